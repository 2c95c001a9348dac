// Query defaults in one place.
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { keys } from "@/api/keys";
import { ApiError } from "@/api/problem";

function retry(failureCount: number, error: unknown): boolean {
  // A client error will not go away by asking again; a flaky network or a 5xx may.
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // The session ended (the fetch layer already tried a refresh): forget the user, the
        // route guard sends them to the login page.
        if (error instanceof ApiError && error.status === 401 && query.queryKey[0] !== keys.session[0]) {
          client.setQueryData(keys.session, null);
        }
      },
    }),
    mutationCache: new MutationCache({
      onError: (error) => {
        if (error instanceof ApiError && error.status === 401) client.setQueryData(keys.session, null);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        retry,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
  return client;
}
