import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";

export function useInvoices() {
  return useQuery({ queryKey: keys.invoices, queryFn: () => unwrap(api.GET("/invoices")) });
}

export function useUpgrade() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (plan: string) => unwrap(api.POST("/subscription/upgrade", { body: { plan } })),
    onSuccess: (subscription) => {
      queryClient.setQueryData(keys.subscription, subscription);
      void queryClient.invalidateQueries({ queryKey: keys.invoices });
    },
  });
}
