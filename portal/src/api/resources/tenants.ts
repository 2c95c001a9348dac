// The tenant list every page shares, kept live by one watch stream for the whole app.
import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../client";
import { API_BASE, ensureSession } from "../http";
import { keys } from "../keys";
import type { Tenant, TenantList } from "../types";
import { applyToTenant, applyWatchEvent, openWatch } from "../watch";

export const tenantListQuery = queryOptions({
  queryKey: keys.tenants.list(),
  queryFn: async (): Promise<TenantList> => {
    const data = await unwrap(api.GET("/tenants"));
    // The same operation streams watch events with `watch=true`; without it, it lists.
    if (!("items" in data)) throw new Error("GET /tenants answered with a watch event");
    return data;
  },
});

export function useTenantList() {
  return useQuery(tenantListQuery);
}

export function watchUrl(resourceVersion: string): string {
  const params = new URLSearchParams({ watch: "true", resourceVersion });
  return `${API_BASE}/tenants?${params.toString()}`;
}

/**
 * Follows `GET /tenants?watch=true` and folds its events into the list and detail caches.
 * Mount once (the app layout does). Returns whether the stream is currently connected.
 */
export function useTenantWatch(enabled = true): boolean {
  const queryClient = useQueryClient();
  const { isSuccess } = useQuery({ ...tenantListQuery, enabled });
  const [epoch, setEpoch] = useState(0);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (!enabled || !isSuccess || typeof EventSource === "undefined") return;
    const list = queryClient.getQueryData<TenantList>(tenantListQuery.queryKey);
    if (!list) return;
    const close = openWatch({
      url: watchUrl,
      resourceVersion: list.metadata.resourceVersion,
      handlers: {
        onEvent: (event) => {
          queryClient.setQueryData<TenantList>(tenantListQuery.queryKey, (current) =>
            current ? applyWatchEvent(current, event) : current,
          );
          const detailKey = keys.tenants.detail(event.object.metadata.name);
          const current = queryClient.getQueryData<Tenant | null>(detailKey);
          const next = applyToTenant(current, event);
          if (next !== undefined && current !== undefined) {
            queryClient.setQueryData(detailKey, next);
          }
        },
        onStatus: setConnected,
        onRefresh: () => ensureSession(),
        onRelist: () => {
          void queryClient
            .refetchQueries({ queryKey: tenantListQuery.queryKey, exact: true })
            .finally(() => setEpoch((e) => e + 1));
        },
      },
    });
    return () => {
      close();
      setConnected(false);
    };
  }, [enabled, isSuccess, epoch, queryClient]);

  return connected;
}
