// Recharts is heavy: this module is only reached through the lazily loaded analytics tab.
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricsPoint } from "@/api/types";
import { formatBytes, formatPercent } from "@/lib/format";

export type Series = "cpu" | "memory" | "network" | "storage";

function tick(range: string) {
  return (value: string) => {
    const date = new Date(value);
    return range === "7d"
      ? date.toLocaleDateString(undefined, { weekday: "short", day: "numeric" })
      : date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  };
}

const COLORS = { a: "#6366f1", b: "#10b981" };

export function HistoryChart({ points, series, range }: { points: MetricsPoint[]; series: Series; range: string }) {
  const format =
    series === "cpu"
      ? (v: number) => formatPercent(v, 0)
      : series === "memory" || series === "storage"
        ? (v: number) => formatBytes(v, 0)
        : (v: number) => `${formatBytes(v, 0)}/s`;
  const keys =
    series === "cpu"
      ? [{ key: "cpuPercent", name: "CPU", color: COLORS.a }]
      : series === "memory"
        ? [{ key: "memoryBytes", name: "Memory", color: COLORS.a }]
        : series === "storage"
          ? [{ key: "storageBytes", name: "Storage", color: COLORS.b }]
          : [
            { key: "networkRxBytesPerSec", name: "In", color: COLORS.a },
            { key: "networkTxBytesPerSec", name: "Out", color: COLORS.b },
          ];
  return (
    <div className="h-64 w-full" role="img" aria-label={`${series} over the last ${range}`}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} />
          <XAxis dataKey="timestamp" tickFormatter={tick(range)} tick={{ fontSize: 11 }} stroke="currentColor" strokeOpacity={0.4} minTickGap={32} />
          <YAxis tickFormatter={format} tick={{ fontSize: 11 }} width={72} stroke="currentColor" strokeOpacity={0.4} />
          <Tooltip
            formatter={(value) => (typeof value === "number" ? format(value) : String(value))}
            labelFormatter={(label) => new Date(String(label)).toLocaleString()}
            contentStyle={{ borderRadius: 8, fontSize: 12 }}
          />
          {keys.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {keys.map((k) => (
            <Area key={k.key} type="monotone" dataKey={k.key} name={k.name} stroke={k.color} fill={k.color} fillOpacity={0.15} strokeWidth={2} isAnimationActive={false} />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
