import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";
import type { components } from "@/api/schema";

export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["ProfileUpdate"]) => unwrap(api.PATCH("/auth/profile", { body })),
    onSuccess: (user) => queryClient.setQueryData(keys.session, user),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: components["schemas"]["PasswordChange"]) => unwrap(api.PUT("/auth/password", { body })),
  });
}

export function useTokens() {
  return useQuery({ queryKey: keys.tokens, queryFn: () => unwrap(api.GET("/auth/tokens")) });
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["TokenRequest"]) => unwrap(api.POST("/auth/tokens", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.tokens }),
  });
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/auth/tokens/{id}", { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.tokens }),
  });
}
