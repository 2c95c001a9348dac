// The typed API client, generated types from schema.d.ts (`npm run gen:api`).
import createClient from "openapi-fetch";
import { API_BASE, apiFetch } from "./http";
import { parseProblem } from "./problem";
import type { paths } from "./schema";

export const api = createClient<paths>({
  baseUrl: API_BASE,
  credentials: "include",
  fetch: apiFetch,
});

interface ClientResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Resolves to the body of a successful response; throws an ApiError otherwise. */
export async function unwrap<T>(promise: Promise<ClientResult<T>>): Promise<T> {
  let result: ClientResult<T>;
  try {
    result = await promise;
  } catch (cause) {
    throw cause instanceof Error ? cause : new Error(String(cause));
  }
  const { data, error, response } = result;
  if (!response.ok) throw parseProblem(error, response.status, response.statusText);
  return data as T;
}
