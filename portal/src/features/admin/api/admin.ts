import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";
import type { AnnouncementInput, InvoiceStatus, MaintenanceWindowInput, UserPatch } from "@/api/types";

export function useAdminAnnouncements() {
  return useQuery({ queryKey: keys.admin.announcements, queryFn: () => unwrap(api.GET("/admin/announcements")) });
}

export function useAdminWindows() {
  return useQuery({ queryKey: keys.admin.windows, queryFn: () => unwrap(api.GET("/admin/maintenance-windows")) });
}

export { useAdminUsers } from "@/api/resources/users";

/** What administrators did to accounts, newest first (the latest 100). */
export function useAudit() {
  return useQuery({
    queryKey: keys.admin.audit,
    queryFn: () => unwrap(api.GET("/admin/audit", { params: { query: { limit: 100 } } })),
  });
}

/** After any change to an account: the list, the log and the plan requests may all differ. */
function useInvalidateUsers() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: keys.admin.users });
    void queryClient.invalidateQueries({ queryKey: keys.admin.audit });
    void queryClient.invalidateQueries({ queryKey: keys.admin.planRequests });
  };
}

/** Every user's invoices, newest first (the latest 200), or only those in `status`. */
export function useAdminInvoices(status: InvoiceStatus | "") {
  return useQuery({
    queryKey: [...keys.admin.invoices, status],
    queryFn: () => unwrap(api.GET("/admin/invoices", { params: { query: { limit: 200, ...(status ? { status } : {}) } } })),
  });
}

export function useMarkInvoicePaid() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/admin/invoices/{id}/pay", { params: { path: { id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.invoices });
      void queryClient.invalidateQueries({ queryKey: keys.admin.audit });
    },
  });
}

export function useUpdateUser() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UserPatch }) =>
      unwrap(api.PATCH("/admin/users/{id}", { params: { path: { id } }, body })),
    onSuccess: invalidate,
  });
}

export function useResetPassword() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/admin/users/{id}/password-reset", { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function useDeleteUser() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/admin/users/{id}", { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function usePlanRequests() {
  return useQuery({ queryKey: keys.admin.planRequests, queryFn: () => unwrap(api.GET("/admin/plan-requests")) });
}

export function useDecidePlanRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, approve }: { id: string; approve: boolean }) =>
      approve
        ? unwrap(api.POST("/admin/plan-requests/{id}/approve", { params: { path: { id } } }))
        : unwrap(api.POST("/admin/plan-requests/{id}/refuse", { params: { path: { id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.planRequests });
      void queryClient.invalidateQueries({ queryKey: keys.admin.users });
      void queryClient.invalidateQueries({ queryKey: keys.admin.audit });
    },
  });
}

export function useClusterNodes() {
  return useQuery({ queryKey: keys.cluster, queryFn: () => unwrap(api.GET("/cluster")), refetchInterval: 15_000 });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: keys.admin.announcements });
    void queryClient.invalidateQueries({ queryKey: keys.admin.windows });
    void queryClient.invalidateQueries({ queryKey: keys.announcements });
    void queryClient.invalidateQueries({ queryKey: keys.maintenanceStatus });
  };
}

export function useSaveAnnouncement() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: AnnouncementInput }) =>
      id
        ? unwrap(api.PUT("/admin/announcements/{id}", { params: { path: { id } }, body }))
        : unwrap(api.POST("/admin/announcements", { body })),
    onSuccess: invalidate,
  });
}

export function useDeleteAnnouncement() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/admin/announcements/{id}", { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function useSaveWindow() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: MaintenanceWindowInput }) =>
      id
        ? unwrap(api.PUT("/admin/maintenance-windows/{id}", { params: { path: { id } }, body }))
        : unwrap(api.POST("/admin/maintenance-windows", { body })),
    onSuccess: invalidate,
  });
}

export function useDeleteWindow() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/admin/maintenance-windows/{id}", { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function useSetAvailability() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, availability }: { id: string; availability: "active" | "pause" | "drain" }) =>
      unwrap(api.POST("/cluster/nodes/{id}/availability", { params: { path: { id } }, body: { availability } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.cluster }),
  });
}
