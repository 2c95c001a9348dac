// The one fetch the portal uses: cookies included, the CSRF header on writes, and one
// transparent retry after refreshing the session when the access token has expired.
// It has no UI side effects: a 401 that survives the refresh is returned to the caller.

export const API_BASE = "/api/v1";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Requests whose 401 means "wrong credentials", not "expired access token". */
const NO_REFRESH = ["/auth/login", "/auth/register", "/auth/refresh", "/auth/logout"];

let refreshing: Promise<boolean> | null = null;

/**
 * Rotates the session cookies once, however many requests ask at the same time.
 * Resolves to whether the session is still valid.
 */
export function refreshSession(fetchImpl: typeof fetch = fetch): Promise<boolean> {
  refreshing ??= fetchImpl(`${API_BASE}/auth/refresh`, {
    method: "POST",
    credentials: "include",
    headers: { "X-Requested-With": "swarmpress" },
  })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function pathOf(url: string): string {
  try {
    return new URL(url, "http://localhost").pathname;
  } catch {
    return url;
  }
}

/** Adds what every API request needs; leaves the caller's headers otherwise untouched. */
export function prepareRequest(request: Request): Request {
  const headers = new Headers(request.headers);
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    headers.set("X-Requested-With", "swarmpress");
  }
  if (!headers.has("Accept")) headers.set("Accept", "application/json, application/problem+json");
  return new Request(request, { headers, credentials: "include" });
}

export function createApiFetch(fetchImpl: typeof fetch = (...args) => fetch(...args)) {
  return async function apiFetch(input: Request): Promise<Response> {
    const request = prepareRequest(input);
    const retry = request.clone();
    const response = await fetchImpl(request);
    if (response.status !== 401) return response;
    const path = pathOf(request.url);
    if (NO_REFRESH.some((p) => path.endsWith(p))) return response;
    if (!(await refreshSession(fetchImpl))) return response;
    return fetchImpl(retry);
  };
}

export const apiFetch = createApiFetch();

/** A request outside the typed client (plain-text logs, YAML bodies): same rules. */
export function apiRequest(path: string, init: RequestInit = {}): Promise<Response> {
  const url = path.startsWith("/api/") ? path : `${API_BASE}${path}`;
  return apiFetch(new Request(url, init));
}

/**
 * After a stream (EventSource) was refused: makes sure the session is usable before
 * reconnecting. An EventSource cannot tell a 401 from a dropped connection or a page being
 * left, so this asks the API, and the session is refreshed only on a real 401. A blind
 * refresh sent while the page unloads rotates the session on the server but loses the new
 * cookies with the page; the next refresh then presents the old token, which the API treats
 * as stolen, and the whole session ends.
 */
export function ensureSession(
  fetcher: (request: Request) => Promise<Response> = apiFetch,
  origin: string = globalThis.location?.origin ?? "http://localhost",
): Promise<boolean> {
  return fetcher(new Request(new URL(`${API_BASE}/auth/profile`, origin)))
    .then((response) => response.ok)
    .catch(() => false);
}
