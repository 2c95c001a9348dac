import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

export type HistoryRange = "1h" | "24h" | "7d";
export const HISTORY_RANGES: readonly HistoryRange[] = ["1h", "24h", "7d"];

export function useTenantMetrics(name: string, enabled = true) {
  return useQuery({
    queryKey: keys.monitoring.metrics(name),
    queryFn: () => unwrap(api.GET("/monitoring/{name}/metrics", { params: { path: { name } } })),
    refetchInterval: 15_000,
    enabled,
  });
}

export function useTenantHistory(name: string, range: HistoryRange) {
  return useQuery({
    queryKey: keys.monitoring.history(name, range),
    queryFn: () =>
      unwrap(api.GET("/monitoring/{name}/history", { params: { path: { name }, query: { range } } })),
    refetchInterval: range === "1h" ? 60_000 : 5 * 60_000,
  });
}
