import { AlertTriangle, CircleDot } from "lucide-react";
import { errorMessage, isUnavailable } from "@/api/problem";
import { EmptyState, ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useTenantEvents } from "../api/tenant";

export function EventsTimeline({ name }: { name: string }) {
  const events = useTenantEvents(name);
  if (events.isPending) return <LoadingState label="Loading events" />;
  if (events.error) {
    return isUnavailable(events.error) ? (
      <Notice title="Events unavailable">{errorMessage(events.error)}</Notice>
    ) : (
      <ErrorState error={events.error} onRetry={() => void events.refetch()} />
    );
  }
  if (events.data.length === 0) return <EmptyState title="No events yet">The controller records what it does here.</EmptyState>;
  return (
    <ol className="relative space-y-4 border-l border-slate-200 pl-6 dark:border-slate-800" aria-label="Events, newest first">
      {events.data.map((e, i) => {
        const warning = e.type === "Warning";
        return (
          <li key={`${e.reason}-${e.lastTimestamp}-${i}`} className="relative">
            <span className="absolute top-0.5 -left-[33px] rounded-full bg-white p-0.5 dark:bg-slate-900">
              {warning ? (
                <AlertTriangle className="size-4 text-amber-500" aria-label="Warning" />
              ) : (
                <CircleDot className="size-4 text-indigo-500" aria-label="Normal" />
              )}
            </span>
            <div className="flex flex-wrap items-baseline gap-x-2 text-sm">
              <span className="font-medium">{e.reason}</span>
              {e.count > 1 && <span className="text-xs text-slate-500">×{e.count}</span>}
              <time className="ml-auto text-xs text-slate-400" dateTime={e.lastTimestamp} title={formatDateTime(e.lastTimestamp)}>
                {formatRelative(e.lastTimestamp)}
              </time>
            </div>
            <p className="text-sm break-words text-slate-600 dark:text-slate-400">{e.message}</p>
          </li>
        );
      })}
    </ol>
  );
}
