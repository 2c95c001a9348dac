// One tenant: read, events, inspect, and every write the portal makes to it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";
import type { Tenant, TenantCreateRequest, TenantList } from "@/api/types";

export function useTenant(name: string) {
  return useQuery({
    queryKey: keys.tenants.detail(name),
    queryFn: () => unwrap(api.GET("/tenants/{name}", { params: { path: { name } } })),
  });
}

export function useTenantEvents(name: string) {
  return useQuery({
    queryKey: keys.tenants.events(name),
    queryFn: () => unwrap(api.GET("/tenants/{name}/events", { params: { path: { name } } })),
    refetchInterval: 10_000,
  });
}

export function useTenantInspect(name: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.tenants.inspect(name),
    queryFn: () => unwrap(api.GET("/tenants/{name}/inspect", { params: { path: { name } } })),
    enabled,
  });
}

/** Writes the tenant a write returned into the caches (the watch stream confirms it later). */
function useStoreTenant() {
  const queryClient = useQueryClient();
  return (tenant: Tenant | undefined) => {
    if (!tenant?.metadata) return;
    queryClient.setQueryData(keys.tenants.detail(tenant.metadata.name), tenant);
    queryClient.setQueryData<TenantList>(keys.tenants.list(), (list) => {
      if (!list) return list;
      const exists = list.items.some((t) => t.metadata.name === tenant.metadata.name);
      const items = exists
        ? list.items.map((t) => (t.metadata.name === tenant.metadata.name ? tenant : t))
        : [...list.items, tenant].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      return { ...list, items };
    });
    void queryClient.invalidateQueries({ queryKey: keys.tenants.events(tenant.metadata.name) });
  };
}

export function useCreateTenant() {
  const store = useStoreTenant();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TenantCreateRequest) => unwrap(api.POST("/tenants", { body })),
    onSuccess: (created) => {
      // The password is shown once by the wizard; keep it out of the shared caches.
      const { adminPassword: _shownOnce, ...tenant } = created;
      store(tenant);
      void queryClient.invalidateQueries({ queryKey: keys.subscription });
    },
  });
}

export type TenantAction = "start" | "stop" | "restart" | "rebuild";

export function useTenantAction(name: string) {
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (action: TenantAction) => {
      const params = { params: { path: { name } } };
      switch (action) {
        case "start":
          return unwrap(api.POST("/tenants/{name}/start", params));
        case "stop":
          return unwrap(api.POST("/tenants/{name}/stop", params));
        case "restart":
          return unwrap(api.POST("/tenants/{name}/restart", params));
        case "rebuild":
          return unwrap(api.POST("/tenants/{name}/rebuild", params));
      }
    },
    onSuccess: store,
  });
}

/** `POST /tenants/{name}/purge-cache`: the controller's report, or where it stands after 20 s. */
export function usePurgeCache(name: string) {
  return useMutation({
    mutationFn: () => unwrap(api.POST("/tenants/{name}/purge-cache", { params: { path: { name } } })),
  });
}

/** `GET /tenants/{name}/usage`: storage and traffic against the plan's allocations. */
export function useTenantUsage(name: string) {
  return useQuery({
    queryKey: keys.tenants.usage(name),
    queryFn: () => unwrap(api.GET("/tenants/{name}/usage", { params: { path: { name } } })),
    refetchInterval: 60_000,
  });
}

/** `POST /tenants/{name}/usage/measure`: measures now, then reads the usage again. */
export function useMeasureUsage(name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/tenants/{name}/usage/measure", { params: { path: { name } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.tenants.usage(name) }),
  });
}

export function useScaleTenant(name: string) {
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (body: { replicas?: number; resources?: { cpu: string; memory: string } }) =>
      unwrap(api.POST("/tenants/{name}/scale", { params: { path: { name } }, body })),
    onSuccess: store,
  });
}

/** A JSON merge patch of the spec (RFC 7396): `{env: {A: "1", B: null}}` sets A, removes B. */
export function usePatchTenant(name: string) {
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (patch: Record<string, unknown>) =>
      unwrap(
        api.PATCH("/tenants/{name}", {
          params: { path: { name } },
          body: patch,
          headers: { "Content-Type": "application/merge-patch+json" },
        }),
      ),
    onSuccess: store,
  });
}

export function useDeleteTenant(name: string) {
  const store = useStoreTenant();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/tenants/{name}", { params: { path: { name } } })),
    onSuccess: (tenant) => {
      store(tenant);
      void queryClient.invalidateQueries({ queryKey: keys.subscription });
    },
  });
}
