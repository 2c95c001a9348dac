import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { keys } from "@/api/keys";
import type { components } from "@/api/schema";

type LoginBody = components["schemas"]["LoginRequest"];
type RegisterBody = components["schemas"]["RegisterRequest"];

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginBody) => unwrap(api.POST("/auth/login", { body })),
    onSuccess: (user) => {
      queryClient.clear();
      queryClient.setQueryData(keys.session, user);
    },
  });
}

export function useRegister() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: RegisterBody) => unwrap(api.POST("/auth/register", { body })),
    onSuccess: (user) => {
      queryClient.clear();
      queryClient.setQueryData(keys.session, user);
    },
  });
}
