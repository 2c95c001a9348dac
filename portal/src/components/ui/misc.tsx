import { Check, Copy } from "lucide-react";
import { useState } from "react";
import { copyText } from "@/lib/clipboard";
import { cn } from "@/lib/cn";
import { Button } from "./button";

export function CopyButton({ text, label = "Copy", className }: { text: string; label?: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="secondary"
      size="sm"
      className={className}
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        }
      }}
      icon={copied ? <Check className="size-4 text-emerald-600" aria-hidden /> : <Copy className="size-4" aria-hidden />}
    >
      <span aria-live="polite">{copied ? "Copied" : label}</span>
    </Button>
  );
}

/** A secret shown once, with a copy button. */
export function SecretBox({ value, label }: { value: string; label: string }) {
  return (
    <div className="rounded-lg border border-amber-300 bg-amber-50 p-3 dark:border-amber-800 dark:bg-amber-950/40">
      <p className="mb-2 text-xs font-medium text-amber-900 dark:text-amber-200">{label}</p>
      <div className="flex items-center gap-2">
        <code className="min-w-0 flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-sm dark:bg-slate-950" data-testid="secret-value">
          {value}
        </code>
        <CopyButton text={value} />
      </div>
    </div>
  );
}

export function ProgressBar({
  value,
  label,
  className,
  valueText,
}: {
  /** 0–100 */
  value: number;
  label: string;
  className?: string;
  valueText?: string;
}) {
  const clamped = Math.max(0, Math.min(100, value));
  const tone = clamped >= 90 ? "bg-red-500" : clamped >= 75 ? "bg-amber-500" : "bg-indigo-500";
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped)}
      aria-valuetext={valueText}
      className={cn("h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800", className)}
    >
      <div className={cn("h-full rounded-full transition-all", tone)} style={{ width: `${clamped}%` }} />
    </div>
  );
}

export function KeyValue({ items }: { items: Array<[string, React.ReactNode]> }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
      {items.map(([key, value]) => (
        <div key={key} className="min-w-0">
          <dt className="text-slate-500 dark:text-slate-400">{key}</dt>
          <dd className="mt-0.5 truncate font-medium">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
