import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

/** Totals over the caller's running tenants; refreshed every 30 s. */
export function useMonitoringSummary() {
  return useQuery({
    queryKey: keys.monitoring.summary,
    queryFn: () => unwrap(api.GET("/monitoring/summary")),
    refetchInterval: 30_000,
  });
}

export function useCluster(enabled: boolean) {
  return useQuery({
    queryKey: keys.cluster,
    queryFn: () => unwrap(api.GET("/cluster")),
    enabled,
    refetchInterval: 30_000,
  });
}
