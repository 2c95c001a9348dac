import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Tenant, TenantList } from "./types";
import {
  applyToTenant,
  applyWatchEvent,
  backoffDelay,
  compareResourceVersions,
  matchesLabelSelector,
  openWatch,
  parseWatchMessage,
  type WatchEvent,
} from "./watch";

function tenant(name: string, resourceVersion: string, extra: Partial<Tenant["metadata"]> = {}, phase = "Running"): Tenant {
  return {
    apiVersion: "swarmpress.io/v1",
    kind: "Tenant",
    metadata: {
      name,
      uid: `uid-${name}`,
      owner: "owner",
      labels: {},
      generation: 1,
      resourceVersion,
      creationTimestamp: "2025-11-26T10:00:00Z",
      ...extra,
    },
    spec: { displayName: name, region: "eu-west", admin: { email: "a@b.co" } },
    status: { phase: phase as NonNullable<Tenant["status"]>["phase"] },
  } as Tenant;
}

function list(items: Tenant[], resourceVersion = "10"): TenantList {
  return { apiVersion: "swarmpress.io/v1", kind: "TenantList", metadata: { resourceVersion }, items };
}

const ev = (type: WatchEvent["type"], object: Tenant): WatchEvent => ({ type, object });

describe("parseWatchMessage", () => {
  it("reads named events whose data is the tenant", () => {
    const t = tenant("a", "11");
    expect(parseWatchMessage("ADDED", JSON.stringify(t))).toEqual({ type: "ADDED", object: t });
  });

  it("reads unnamed {type, object} events", () => {
    const t = tenant("a", "11");
    expect(parseWatchMessage("message", JSON.stringify({ type: "MODIFIED", object: t }))).toEqual({ type: "MODIFIED", object: t });
  });

  it("ignores garbage, unknown types and non-tenants", () => {
    expect(parseWatchMessage("ADDED", "not json")).toBeNull();
    expect(parseWatchMessage("BOOKMARK", JSON.stringify(tenant("a", "1")))).toBeNull();
    expect(parseWatchMessage("ADDED", JSON.stringify({ hello: 1 }))).toBeNull();
  });
});

describe("compareResourceVersions", () => {
  it("compares decimal strings numerically, beyond 2^53", () => {
    expect(compareResourceVersions("9", "10")).toBe(-1);
    expect(compareResourceVersions("10", "9")).toBe(1);
    expect(compareResourceVersions("9007199254740993", "9007199254740992")).toBe(1);
    expect(compareResourceVersions("5", "5")).toBe(0);
    expect(compareResourceVersions("abc", "5")).toBe(0);
  });
});

describe("applyWatchEvent", () => {
  it("adds in name order and advances the list version", () => {
    const next = applyWatchEvent(list([tenant("b", "5")]), ev("ADDED", tenant("a", "11")));
    expect(next.items.map((t) => t.metadata.name)).toEqual(["a", "b"]);
    expect(next.metadata.resourceVersion).toBe("11");
  });

  it("replaces on MODIFIED", () => {
    const start = list([tenant("a", "5", {}, "Provisioning")]);
    const next = applyWatchEvent(start, ev("MODIFIED", tenant("a", "12", {}, "Running")));
    expect(next.items[0]?.status?.phase).toBe("Running");
    expect(start.items[0]?.status?.phase).toBe("Provisioning"); // pure
  });

  it("treats MODIFIED of an unknown tenant as an add", () => {
    expect(applyWatchEvent(list([]), ev("MODIFIED", tenant("a", "12"))).items).toHaveLength(1);
  });

  it("removes on DELETED", () => {
    const next = applyWatchEvent(list([tenant("a", "5"), tenant("b", "6")]), ev("DELETED", tenant("a", "13")));
    expect(next.items.map((t) => t.metadata.name)).toEqual(["b"]);
  });

  it("ignores stale events of the same incarnation", () => {
    const start = list([tenant("a", "20", {}, "Running")], "20");
    const next = applyWatchEvent(start, ev("MODIFIED", tenant("a", "15", {}, "Provisioning")));
    expect(next).toBe(start);
  });

  it("does not let an old incarnation's DELETED remove a recreated tenant", () => {
    const recreated = tenant("a", "30", { uid: "uid-new" });
    const next = applyWatchEvent(list([recreated], "30"), ev("DELETED", tenant("a", "25", { uid: "uid-old" })));
    expect(next.items).toEqual([recreated]);
  });

  it("replaces an old incarnation when a new one arrives", () => {
    const next = applyWatchEvent(list([tenant("a", "5", { uid: "old" })]), ev("ADDED", tenant("a", "40", { uid: "new" })));
    expect(next.items[0]?.metadata.uid).toBe("new");
  });

  it("ignores DELETED of a tenant it never had", () => {
    const start = list([], "50");
    expect(applyWatchEvent(start, ev("DELETED", tenant("zz", "40")))).toBe(start);
  });
});

describe("applyToTenant", () => {
  it("updates, deletes, or leaves a detail cache entry", () => {
    const a = tenant("a", "5");
    expect(applyToTenant(a, ev("MODIFIED", tenant("a", "6")))?.metadata.resourceVersion).toBe("6");
    expect(applyToTenant(a, ev("DELETED", tenant("a", "7")))).toBeNull();
    expect(applyToTenant(a, ev("MODIFIED", tenant("a", "4")))).toBeUndefined();
    expect(applyToTenant(undefined, ev("DELETED", tenant("a", "7")))).toBeUndefined();
  });
});

describe("matchesLabelSelector", () => {
  const t = tenant("a", "1", { labels: { team: "web", env: "prod" } });
  it("matches equality and inequality, all terms", () => {
    expect(matchesLabelSelector(t, "")).toBe(true);
    expect(matchesLabelSelector(t, "team=web")).toBe(true);
    expect(matchesLabelSelector(t, "team==web,env=prod")).toBe(true);
    expect(matchesLabelSelector(t, "team=web,env=dev")).toBe(false);
    expect(matchesLabelSelector(t, "env!=dev")).toBe(true);
    expect(matchesLabelSelector(t, "missing=x")).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap with ±20% jitter", () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(10, 1000, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(800);
    expect(backoffDelay(0, 1000, 30_000, () => 1)).toBe(1200);
  });
});

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: MessageEvent<string>) => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, (e: MessageEvent<string>) => void>();
  closed = false;
  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (e: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  emit(type: string, data: unknown, id: string) {
    const event = { type, data: JSON.stringify(data), lastEventId: id } as MessageEvent<string>;
    this.listeners.get(type)?.(event);
  }
  fail(refused = false) {
    this.readyState = refused ? 2 : 0;
    this.onerror?.();
  }
}

describe("openWatch", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const start = (handlers: Parameters<typeof openWatch>[0]["handlers"]) =>
    openWatch({
      url: (rv) => `/api/v1/tenants?watch=true&resourceVersion=${rv}`,
      resourceVersion: "10",
      handlers,
      EventSourceImpl: FakeEventSource as unknown as typeof EventSource,
      random: () => 0.5,
    });

  it("delivers events and resumes from the last id after an error", async () => {
    const events: WatchEvent[] = [];
    const status: boolean[] = [];
    const close = start({ onEvent: (e) => events.push(e), onStatus: (s) => status.push(s) });
    const first = FakeEventSource.instances[0]!;
    expect(first.url).toContain("resourceVersion=10");
    expect(first.init).toEqual({ withCredentials: true });
    first.open();
    first.emit("ADDED", tenant("a", "11"), "11");
    first.emit("MODIFIED", tenant("a", "14"), "14");
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);

    first.fail();
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    const second = FakeEventSource.instances[1]!;
    expect(second.url).toContain("resourceVersion=14");
    expect(status).toEqual([true, false]);
    close();
    expect(second.closed).toBe(true);
  });

  it("refreshes the session before reconnecting a refused stream", async () => {
    const onRefresh = vi.fn(() => Promise.resolve(true));
    start({ onEvent: () => undefined, onRefresh });
    FakeEventSource.instances[0]!.fail(true);
    expect(onRefresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("asks for a relist after repeated failures without messages", async () => {
    const onRelist = vi.fn();
    start({ onEvent: () => undefined, onRelist });
    for (let i = 0; i < 3; i++) {
      FakeEventSource.instances.at(-1)!.fail();
      await vi.advanceTimersByTimeAsync(30_000);
    }
    expect(onRelist).not.toHaveBeenCalled();
    FakeEventSource.instances.at(-1)!.fail();
    expect(onRelist).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(4); // the caller restarts the watch
  });

  it("stops reconnecting once closed", async () => {
    const close = start({ onEvent: () => undefined });
    FakeEventSource.instances[0]!.fail();
    close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
