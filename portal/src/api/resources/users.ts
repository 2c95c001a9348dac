import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

/** Every account (administrators only: pass `enabled: false` for anyone else). */
export function useAdminUsers({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: keys.admin.users, queryFn: () => unwrap(api.GET("/admin/users")), enabled });
}
