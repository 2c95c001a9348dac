// The tenant watch stream (`GET /tenants?watch=true&resourceVersion=N`, server-sent events):
// parsing, a pure reducer that folds events into a cached list, and a connection that
// reconnects with backoff and resumes from the last resourceVersion it saw.
import type { Tenant, TenantList } from "./types";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export const WATCH_EVENT_TYPES: readonly WatchEventType[] = ["ADDED", "MODIFIED", "DELETED"];

export interface WatchEvent {
  type: WatchEventType;
  object: Tenant;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function looksLikeTenant(value: unknown): value is Tenant {
  return (
    isRecord(value) &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === "string" &&
    isRecord(value.spec)
  );
}

/**
 * Parses one SSE message. Accepts both forms: a named event (`event: ADDED`) whose data is
 * the tenant, and an unnamed one whose data is `{type, object}`. Anything else is null.
 */
export function parseWatchMessage(eventName: string, data: string): WatchEvent | null {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return null;
  }
  const named = WATCH_EVENT_TYPES.find((t) => t === eventName);
  if (named && looksLikeTenant(payload)) return { type: named, object: payload };
  if (isRecord(payload) && typeof payload.type === "string") {
    const type = WATCH_EVENT_TYPES.find((t) => t === payload.type);
    if (type && looksLikeTenant(payload.object)) return { type, object: payload.object };
  }
  return null;
}

/**
 * Orders two resourceVersions. They are decimal strings (opaque in principle, ordered in
 * practice); non-numeric ones compare as equal so that they never block an update.
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return 0;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function maxVersion(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareResourceVersions(a, b) >= 0 ? a : b;
}

function byName(a: Tenant, b: Tenant): number {
  return a.metadata.name.localeCompare(b.metadata.name);
}

/**
 * Folds one event into a tenant, or into nothing: the updated tenant, `null` for deleted,
 * or `undefined` when the event is stale and the current value stands.
 */
export function applyToTenant(
  current: Tenant | null | undefined,
  event: WatchEvent,
): Tenant | null | undefined {
  const next = event.object;
  if (current) {
    const sameIncarnation = current.metadata.uid === next.metadata.uid;
    if (
      sameIncarnation &&
      compareResourceVersions(next.metadata.resourceVersion, current.metadata.resourceVersion) < 0
    ) {
      return undefined;
    }
    if (event.type === "DELETED") return sameIncarnation ? null : undefined;
    return next;
  }
  return event.type === "DELETED" ? undefined : next;
}

/** Folds one event into a list (sorted by name). Pure; returns the same list if unchanged. */
export function applyWatchEvent(list: TenantList, event: WatchEvent): TenantList {
  const name = event.object.metadata.name;
  const index = list.items.findIndex((t) => t.metadata.name === name);
  const result = applyToTenant(index >= 0 ? list.items[index] : undefined, event);
  const current = list.metadata.resourceVersion;
  const resourceVersion = maxVersion(current, event.object.metadata.resourceVersion) ?? current;
  const metadata = resourceVersion === current ? list.metadata : { ...list.metadata, resourceVersion };
  if (result === undefined) return metadata === list.metadata ? list : { ...list, metadata };
  let items: Tenant[];
  if (result === null) items = list.items.filter((_, i) => i !== index);
  else if (index >= 0) items = list.items.map((t, i) => (i === index ? result : t));
  else items = [...list.items, result].sort(byName);
  return { ...list, items, metadata };
}

/** Whether a tenant matches a `k=v,k2!=v2` label selector (the list filter, client side). */
export function matchesLabelSelector(tenant: Tenant, selector: string): boolean {
  const labels = tenant.metadata.labels ?? {};
  return selector
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .every((part) => {
      const match = /^([^=!\s]+)\s*(!=|==|=)\s*(.*)$/.exec(part);
      if (!match) return true;
      const [, key = "", op, value = ""] = match;
      const actual = labels[key];
      return op === "!=" ? actual !== value : actual === value;
    });
}

export interface WatchHandlers {
  onEvent: (event: WatchEvent) => void;
  /** Called on open, and with `false` while reconnecting. */
  onStatus?: (connected: boolean) => void;
  /** The stream keeps failing: the caller should list again and restart from the new version. */
  onRelist?: () => void;
  /** Called before reconnecting after the server refused the stream (maybe an expired session). */
  onRefresh?: () => Promise<unknown>;
}

export interface WatchOptions {
  url: (resourceVersion: string) => string;
  resourceVersion: string;
  handlers: WatchHandlers;
  /** Injected for tests. */
  EventSourceImpl?: typeof EventSource;
  minDelayMs?: number;
  maxDelayMs?: number;
  relistAfterFailures?: number;
  random?: () => number;
}

/** Backoff for the n-th consecutive failure (0-based): doubling, capped, ±20% jitter. */
export function backoffDelay(attempt: number, min: number, max: number, random = Math.random) {
  const base = Math.min(max, min * 2 ** attempt);
  return Math.round(base * (0.8 + random() * 0.4));
}

/** Opens and keeps open a watch stream. Returns a function that closes it for good. */
export function openWatch(options: WatchOptions): () => void {
  const {
    url,
    handlers,
    EventSourceImpl = EventSource,
    minDelayMs = 1000,
    maxDelayMs = 30_000,
    relistAfterFailures = 4,
    random,
  } = options;
  let resourceVersion = options.resourceVersion;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let closed = false;

  const onMessage = (message: MessageEvent<string>) => {
    const event = parseWatchMessage(message.type, message.data);
    failures = 0;
    if (message.lastEventId && /^\d+$/.test(message.lastEventId)) {
      resourceVersion = maxVersion(resourceVersion, message.lastEventId) ?? resourceVersion;
    }
    if (!event) return;
    resourceVersion = maxVersion(resourceVersion, event.object.metadata.resourceVersion) ?? resourceVersion;
    handlers.onEvent(event);
  };

  const connect = () => {
    if (closed) return;
    const es = new EventSourceImpl(url(resourceVersion), { withCredentials: true });
    source = es;
    es.onopen = () => {
      failures = 0;
      handlers.onStatus?.(true);
    };
    es.onmessage = onMessage;
    for (const type of WATCH_EVENT_TYPES) es.addEventListener(type, onMessage as EventListener);
    es.onerror = () => {
      // Always reconnect ourselves, so the URL carries the newest resourceVersion.
      const refused = es.readyState === EventSourceImpl.CLOSED;
      es.close();
      if (closed) return;
      handlers.onStatus?.(false);
      failures += 1;
      if (failures >= relistAfterFailures) {
        failures = 0;
        handlers.onRelist?.();
        return;
      }
      const delay = backoffDelay(failures - 1, minDelayMs, maxDelayMs, random);
      const refresh = refused && handlers.onRefresh ? handlers.onRefresh() : Promise.resolve();
      void refresh.catch(() => undefined).then(() => {
        if (!closed) timer = setTimeout(connect, delay);
      });
    };
  };

  connect();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    source?.close();
  };
}
