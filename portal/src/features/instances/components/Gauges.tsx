import { isUnavailable } from "@/api/problem";
import { ProgressBar } from "@/components/ui/misc";
import { ErrorState, Notice, Skeleton } from "@/components/ui/states";
import { MetricsSourceNote } from "@/components/MetricsSourceNote";
import { formatBytes, formatPercent, formatRate, formatTime } from "@/lib/format";
import { useTenantMetrics } from "../api/monitoring";

function Gauge({ label, percent, value, detail }: { label: string; percent?: number; value: string; detail?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
      <p className="text-sm text-slate-500 dark:text-slate-400">{label}</p>
      <p className="mt-1 text-lg font-semibold">{value}</p>
      {detail && <p className="mt-0.5 text-xs text-slate-500">{detail}</p>}
      {percent !== undefined && <ProgressBar className="mt-3" value={percent} label={`${label} usage`} valueText={value} />}
    </div>
  );
}

/** Live CPU, memory, network and storage of one site. */
export function Gauges({ name, running }: { name: string; running: boolean }) {
  const metrics = useTenantMetrics(name, running);
  if (!running) return <Notice title="No live metrics">The site is not running.</Notice>;
  if (metrics.isPending) return <Skeleton className="h-28 w-full" />;
  if (metrics.error) {
    return isUnavailable(metrics.error) ? (
      <Notice title="Metrics unavailable">Live figures appear once monitoring is reachable.</Notice>
    ) : (
      <ErrorState error={metrics.error} onRetry={() => void metrics.refetch()} />
    );
  }
  const m = metrics.data;
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-4">
      <Gauge label="CPU" percent={m.cpuPercent} value={formatPercent(m.cpuPercent)} />
      <Gauge label="Memory" percent={m.memoryPercent} value={formatBytes(m.memoryBytes)} />
      <Gauge label="Network in / out" value={`↓ ${formatRate(m.networkRxBytesPerSec)} · ↑ ${formatRate(m.networkTxBytesPerSec)}`} />
      <Gauge
        label="Storage"
        value={m.storageBytes == null ? "not measured" : formatBytes(m.storageBytes)}
        detail={m.storageBytes == null ? undefined : `files ${formatBytes(m.volumeBytes)} · database ${formatBytes(m.databaseBytes)}`}
      />
      <p className="text-xs text-slate-500 sm:col-span-2 xl:col-span-4" data-testid="metrics-source">
        <MetricsSourceNote source={m.source} /> · {formatTime(m.timestamp)}
      </p>
    </div>
  );
}
