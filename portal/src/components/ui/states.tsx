import { AlertTriangle, Inbox, Loader2, RotateCcw, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { errorMessage, isApiError, isUnavailable } from "@/api/problem";
import { cn } from "@/lib/cn";
import { Button } from "./button";

export function Spinner({ className, label }: { className?: string; label?: string }) {
  return (
    <Loader2
      className={cn("size-5 animate-spin text-indigo-500", className)}
      role={label ? "img" : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
    />
  );
}

export function LoadingState({ label = "Loading", fullPage }: { label?: string; fullPage?: boolean }) {
  return (
    <div
      role="status"
      aria-live="polite"
      className={cn(
        "flex items-center justify-center gap-3 py-12 text-sm text-slate-500 dark:text-slate-400",
        fullPage && "min-h-screen",
      )}
    >
      <Spinner />
      <span>{label}…</span>
    </div>
  );
}

export function Skeleton({ className }: { className?: string }) {
  return <div className={cn("animate-pulse rounded-md bg-slate-200 dark:bg-slate-800", className)} aria-hidden />;
}

export function EmptyState({
  icon: Icon = Inbox,
  title,
  children,
  action,
  className,
}: {
  icon?: LucideIcon;
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div className={cn("flex flex-col items-center justify-center px-6 py-12 text-center", className)}>
      <div className="mb-3 rounded-full bg-slate-100 p-3 dark:bg-slate-800">
        <Icon className="size-6 text-slate-500 dark:text-slate-400" aria-hidden />
      </div>
      <h3 className="text-base font-semibold">{title}</h3>
      {children && <div className="mt-1 max-w-md text-sm text-slate-500 dark:text-slate-400">{children}</div>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

/** Shows an error's `detail` (and its field errors) with a retry button. */
export function ErrorState({
  error,
  onRetry,
  title = "Something went wrong",
  className,
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
  className?: string;
}) {
  const fields = isApiError(error) ? error.fieldErrors : [];
  return (
    <div
      role="alert"
      className={cn(
        "rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200",
        className,
      )}
    >
      <div className="flex items-start gap-3">
        <AlertTriangle className="mt-0.5 size-5 shrink-0" aria-hidden />
        <div className="min-w-0 flex-1">
          <p className="font-medium">{isApiError(error) ? error.title || title : title}</p>
          <p className="mt-1 break-words">{errorMessage(error)}</p>
          {fields.length > 0 && (
            <ul className="mt-2 list-disc space-y-0.5 pl-5">
              {fields.map((f) => (
                <li key={`${f.field}:${f.message}`}>
                  {f.field && <code className="font-mono text-xs">{f.field}</code>} {f.message}
                </li>
              ))}
            </ul>
          )}
        </div>
        {onRetry && (
          <Button variant="secondary" size="sm" onClick={onRetry} icon={<RotateCcw className="size-4" aria-hidden />}>
            Retry
          </Button>
        )}
      </div>
    </div>
  );
}

/** A neutral notice: "metrics unavailable", "nothing yet". */
export function Notice({
  icon: Icon = AlertTriangle,
  title,
  children,
  tone = "neutral",
  className,
}: {
  icon?: LucideIcon;
  title: ReactNode;
  children?: ReactNode;
  tone?: "neutral" | "warning" | "info";
  className?: string;
}) {
  const tones = {
    neutral: "border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300",
    warning: "border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200",
    info: "border-sky-200 bg-sky-50 text-sky-900 dark:border-sky-900 dark:bg-sky-950/40 dark:text-sky-200",
  };
  return (
    <div className={cn("flex items-start gap-3 rounded-xl border p-4 text-sm", tones[tone], className)}>
      <Icon className="mt-0.5 size-5 shrink-0" aria-hidden />
      <div>
        <p className="font-medium">{title}</p>
        {children && <div className="mt-1 opacity-90">{children}</div>}
      </div>
    </div>
  );
}

/**
 * A failed query: a service that is down for now (503) is a neutral notice with the API's
 * reason and a retry; anything else (a 404 reads "Not Found") is an error with its detail.
 */
export function QueryError({
  error,
  onRetry,
  className,
  unavailable = "Temporarily unavailable",
}: {
  error: unknown;
  onRetry?: () => void;
  className?: string;
  unavailable?: string;
}) {
  if (isUnavailable(error)) {
    return (
      <Notice className={className} title={unavailable}>
        {errorMessage(error)}
        {onRetry && (
          <Button variant="secondary" size="sm" className="mt-2" onClick={onRetry} icon={<RotateCcw className="size-4" aria-hidden />}>
            Retry
          </Button>
        )}
      </Notice>
    );
  }
  return <ErrorState className={className} error={error} onRetry={onRetry} />;
}
