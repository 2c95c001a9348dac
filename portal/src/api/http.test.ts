import { describe, expect, it, vi } from "vitest";
import { createApiFetch, ensureSession, prepareRequest } from "./http";

const ok = () => new Response("{}", { status: 200 });
const unauthorized = () => new Response("{}", { status: 401 });

describe("prepareRequest", () => {
  it("adds the CSRF header to writes only, and includes credentials", () => {
    const get = prepareRequest(new Request("http://x/api/v1/tenants"));
    expect(get.headers.get("X-Requested-With")).toBeNull();
    expect(get.credentials).toBe("include");
    const post = prepareRequest(new Request("http://x/api/v1/tenants", { method: "POST", body: "{}" }));
    expect(post.headers.get("X-Requested-With")).toBe("swarmpress");
    const del = prepareRequest(new Request("http://x/api/v1/tenants/a", { method: "DELETE" }));
    expect(del.headers.get("X-Requested-With")).toBe("swarmpress");
  });
});

describe("apiFetch", () => {
  it("refreshes once on 401 and retries the request with its body", async () => {
    const seen: string[] = [];
    const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (!(input instanceof Request)) {
        // The refresh call: a relative URL string.
        seen.push(`${init?.method} ${String(input)}`);
        return ok();
      }
      const path = new URL(input.url).pathname;
      seen.push(`${input.method} ${path} ${await input.text()}`.trim());
      return seen.filter((s) => s.startsWith("POST /api/v1/tenants")).length === 1 ? unauthorized() : ok();
    });
    const apiFetch = createApiFetch(fetchImpl as typeof fetch);
    const response = await apiFetch(new Request("http://x/api/v1/tenants", { method: "POST", body: '{"a":1}' }));
    expect(response.status).toBe(200);
    expect(seen).toEqual(['POST /api/v1/tenants {"a":1}', "POST /api/v1/auth/refresh", 'POST /api/v1/tenants {"a":1}']);
  });

  it("returns the 401 when the refresh fails, without retrying", async () => {
    const fetchImpl = vi.fn(async () => unauthorized());
    const apiFetch = createApiFetch(fetchImpl as typeof fetch);
    const response = await apiFetch(new Request("http://x/api/v1/subscription"));
    expect(response.status).toBe(401);
    expect(fetchImpl).toHaveBeenCalledTimes(2); // the request and the refresh
  });

  it("never refreshes for the login request itself", async () => {
    const fetchImpl = vi.fn(async () => unauthorized());
    const apiFetch = createApiFetch(fetchImpl as typeof fetch);
    await apiFetch(new Request("http://x/api/v1/auth/login", { method: "POST", body: "{}" }));
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const fetchImpl = vi.fn(async (input: RequestInfo | URL) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith("/auth/refresh")) {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 5));
        return ok();
      }
      return (input as Request).headers.get("X-Retry") ? ok() : unauthorized();
    });
    const apiFetch = createApiFetch(fetchImpl as typeof fetch);
    await Promise.all([apiFetch(new Request("http://x/api/v1/a")), apiFetch(new Request("http://x/api/v1/b"))]);
    expect(refreshes).toBe(1);
  });
});

describe("ensureSession", () => {
  const calls = (fetchImpl: ReturnType<typeof vi.fn>) =>
    fetchImpl.mock.calls.map(([input, init]) =>
      input instanceof Request ? `${input.method} ${new URL(input.url).pathname}` : `${init?.method} ${String(input)}`,
    );

  it("does not refresh a session that still works", async () => {
    // A blind refresh while the page unloads would rotate the tokens and lose the new ones.
    const fetchImpl = vi.fn(async () => ok());
    expect(await ensureSession(createApiFetch(fetchImpl as typeof fetch), "http://x")).toBe(true);
    expect(calls(fetchImpl)).toEqual(["GET /api/v1/auth/profile"]);
  });

  it("refreshes when the API answers 401, and says whether that worked", async () => {
    const fetchImpl = vi.fn(async (input: RequestInfo | URL) =>
      input instanceof Request && fetchImpl.mock.calls.length === 1 ? unauthorized() : ok(),
    );
    expect(await ensureSession(createApiFetch(fetchImpl as typeof fetch), "http://x")).toBe(true);
    expect(calls(fetchImpl)).toEqual(["GET /api/v1/auth/profile", "POST /api/v1/auth/refresh", "GET /api/v1/auth/profile"]);

    const refused = vi.fn(async () => unauthorized());
    expect(await ensureSession(createApiFetch(refused as typeof fetch), "http://x")).toBe(false);
  });
});
