import { BarChart3 } from "lucide-react";
import { useState } from "react";
import { errorMessage, isUnavailable } from "@/api/problem";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState, ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { cn } from "@/lib/cn";
import { focusRing } from "@/components/ui/styles";
import { HISTORY_RANGES, useTenantHistory, type HistoryRange } from "../api/monitoring";
import { HistoryChart, type Series } from "../components/HistoryChart";
import { useTenantContext } from "../utils/tenant-context";

const SERIES: Array<{ id: Series; title: string }> = [
  { id: "cpu", title: "CPU" },
  { id: "memory", title: "Memory" },
  { id: "network", title: "Network" },
  { id: "storage", title: "Storage (files and database)" },
];

export function AnalyticsTab() {
  const t = useTenantContext();
  const [range, setRange] = useState<HistoryRange>("1h");
  const history = useTenantHistory(t.metadata.name, range);

  const picker = (
    <div role="group" aria-label="Time range" className="inline-flex rounded-lg border border-slate-300 p-0.5 dark:border-slate-700">
      {HISTORY_RANGES.map((r) => (
        <button
          key={r}
          type="button"
          aria-pressed={range === r}
          onClick={() => setRange(r)}
          className={cn(
            "rounded-md px-3 py-1 text-sm font-medium",
            focusRing,
            range === r ? "bg-indigo-600 text-white" : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
          )}
        >
          {r}
        </button>
      ))}
    </div>
  );

  let body;
  if (history.isPending) body = <LoadingState label="Loading history" />;
  else if (history.error)
    body = isUnavailable(history.error) ? (
      <Notice title="History unavailable">{errorMessage(history.error)}</Notice>
    ) : (
      <ErrorState error={history.error} onRetry={() => void history.refetch()} />
    );
  else if (history.data.points.length === 0)
    body = <EmptyState icon={BarChart3} title="No data for this range yet">Points appear a few minutes after the site starts.</EmptyState>;
  else
    body = (
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        {SERIES.map((s) => (
          <Card key={s.id}>
            <CardHeader title={s.title} />
            <CardBody>
              <HistoryChart points={history.data.points} series={s.id} range={range} />
            </CardBody>
          </Card>
        ))}
      </div>
    );

  return (
    <div className="space-y-4">
      <div className="flex justify-end">{picker}</div>
      {body}
    </div>
  );
}
