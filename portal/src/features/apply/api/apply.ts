import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

/** `POST /apply?dryRun=…` with a multi-document YAML body. */
export function useApply() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ yaml, dryRun }: { yaml: string; dryRun: boolean }) =>
      unwrap(
        api.POST("/apply", {
          params: { query: { dryRun } },
          body: yaml,
          bodySerializer: (body: string) => body,
          headers: { "Content-Type": "application/yaml" },
        }),
      ),
    onSuccess: (_, { dryRun }) => {
      if (!dryRun) void queryClient.invalidateQueries({ queryKey: keys.tenants.all });
    },
  });
}
