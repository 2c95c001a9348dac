import { CheckCircle2, CircleDashed, XCircle } from "lucide-react";
import type { Condition } from "@/api/types";
import { formatRelative } from "@/lib/format";

const ICON = {
  True: <CheckCircle2 className="size-5 text-emerald-600" aria-label="True" />,
  False: <XCircle className="size-5 text-red-600" aria-label="False" />,
  Unknown: <CircleDashed className="size-5 text-slate-400" aria-label="Unknown" />,
};

/** Splits "DatabaseReady" into "Database ready". */
function humanize(type: string): string {
  const words = type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function Conditions({ conditions }: { conditions: Condition[] }) {
  if (conditions.length === 0) {
    return <p className="text-sm text-slate-500 dark:text-slate-400">The controller has not reported yet.</p>;
  }
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800">
      {conditions.map((c) => (
        <li key={c.type} className="flex items-start gap-3 py-2.5">
          {ICON[c.status] ?? ICON.Unknown}
          <div className="min-w-0 flex-1 text-sm">
            <p className="font-medium">{humanize(c.type)}</p>
            {(c.reason || c.message) && (
              <p className="text-slate-500 dark:text-slate-400">
                {c.reason && <span className="font-mono text-xs">{c.reason}</span>}
                {c.reason && c.message && " · "}
                {c.message}
              </p>
            )}
          </div>
          <time className="shrink-0 text-xs text-slate-400" dateTime={c.lastTransitionTime}>
            {formatRelative(c.lastTransitionTime)}
          </time>
        </li>
      ))}
    </ul>
  );
}
