import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

export const MAINTENANCE_POLL_MS = 10_000;

/** `GET /maintenance/status` (public), every 10 s, also while the tab is in the background. */
export function useMaintenanceStatus() {
  return useQuery({
    queryKey: keys.maintenanceStatus,
    queryFn: () => unwrap(api.GET("/maintenance/status")),
    refetchInterval: MAINTENANCE_POLL_MS,
    refetchIntervalInBackground: true,
    retry: false,
    staleTime: 0,
  });
}
