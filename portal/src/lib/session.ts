// The session: who is signed in, read from `GET /auth/profile`. `null` means signed out.
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { keys } from "@/api/keys";
import { parseProblem } from "@/api/problem";
import type { User } from "@/api/types";

export const sessionQuery = queryOptions({
  queryKey: keys.session,
  queryFn: async (): Promise<User | null> => {
    const { data, error, response } = await api.GET("/auth/profile");
    if (response.status === 401) return null;
    if (!response.ok) throw parseProblem(error, response.status, response.statusText);
    return data ?? null;
  },
  staleTime: 5 * 60_000,
});

export function useSession() {
  const query = useQuery(sessionQuery);
  return { user: query.data ?? null, isLoading: query.isPending, error: query.error };
}

export function isAdmin(user: User | null): boolean {
  return user?.role === "admin";
}

/** Only same-site paths are followed after login. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  return next;
}
