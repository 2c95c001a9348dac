// Log lines from `GET /tenants/{name}/logs`: `text/plain` for a snapshot, server-sent events
// when following. Parsing and buffering are pure functions (tested); the hook owns the stream.
import { useCallback, useEffect, useRef, useState } from "react";
import { API_BASE, apiRequest, ensureSession } from "@/api/http";
import { problemFromResponse } from "@/api/problem";

export interface LogLine {
  /** Monotonic per viewer, for React keys. */
  seq: number;
  text: string;
  timestamp?: string;
  stream?: "stdout" | "stderr";
  replica?: string;
}

export const MAX_LOG_LINES = 5000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * One SSE data payload → a line. Accepts a JSON object (`line`/`message`/`text`, optional
 * `timestamp`, `stream`, `replica`/`task`) or raw text.
 */
export function parseLogData(data: string, seq: number): LogLine {
  if (data.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(data);
      if (isRecord(parsed)) {
        const text = [parsed.line, parsed.message, parsed.text].find((v) => typeof v === "string");
        if (typeof text === "string") {
          const stream = parsed.stream === "stderr" || parsed.stream === "stdout" ? parsed.stream : undefined;
          const replica = [parsed.replica, parsed.task].find((v) => typeof v === "string" || typeof v === "number");
          return {
            seq,
            text,
            ...(typeof parsed.timestamp === "string" ? { timestamp: parsed.timestamp } : {}),
            ...(stream ? { stream } : {}),
            ...(replica !== undefined ? { replica: String(replica) } : {}),
          };
        }
      }
    } catch {
      // not JSON after all: keep the raw text
    }
  }
  return { seq, text: data };
}

/** A plain-text body → lines (a trailing newline adds none). */
export function splitLogText(text: string, firstSeq: number): LogLine[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line, i) => ({ seq: firstSeq + i, text: line }));
}

/** Appends, keeping the newest `max` lines. */
export function appendLines(current: LogLine[], added: LogLine[], max = MAX_LOG_LINES): LogLine[] {
  if (added.length === 0) return current;
  const next = current.concat(added);
  return next.length > max ? next.slice(next.length - max) : next;
}

/** Case-insensitive filter; an empty query keeps everything. */
export function filterLines(lines: LogLine[], query: string): LogLine[] {
  const q = query.trim().toLowerCase();
  if (!q) return lines;
  return lines.filter((l) => l.text.toLowerCase().includes(q));
}

export function linesToText(lines: LogLine[]): string {
  return lines.map((l) => (l.timestamp ? `${l.timestamp} ${l.text}` : l.text)).join("\n") + "\n";
}

/** `notFound`: the site is gone (404); `unavailable`: the engine cannot be asked now (503). */
export type LogStatus = "idle" | "connecting" | "live" | "reconnecting" | "error" | "notFound" | "unavailable";

function refusal(status: number | undefined): LogStatus {
  return status === 404 ? "notFound" : status === 503 ? "unavailable" : "error";
}

export function logsUrl(name: string, params: Record<string, string>): string {
  return `${API_BASE}/tenants/${encodeURIComponent(name)}/logs?${new URLSearchParams(params).toString()}`;
}

interface StreamState {
  /** Which request this state belongs to; a new name/follow starts as "connecting". */
  key: string;
  status: LogStatus;
  error: string | null;
}

/**
 * The viewer's lines. `follow` streams; otherwise the last `tail` lines are fetched once.
 * While paused, new lines are held back; resuming appends them.
 */
export function useLogStream(name: string, { follow, tail = 200 }: { follow: boolean; tail?: number }) {
  const key = `${name}|${follow}|${tail}`;
  const [lines, setLines] = useState<LogLine[]>([]);
  const held = useRef<LogLine[]>([]);
  const [heldCount, setHeldCount] = useState(0);
  const [paused, setPausedState] = useState(false);
  const [state, setState] = useState<StreamState>({ key, status: "connecting", error: null });
  const seq = useRef(0);
  const pausedRef = useRef(false);

  const push = useCallback((added: LogLine[]) => {
    if (pausedRef.current) {
      held.current = appendLines(held.current, added);
      setHeldCount(held.current.length);
    } else {
      setLines((l) => appendLines(l, added));
    }
  }, []);

  const setPaused = useCallback((next: boolean) => {
    pausedRef.current = next;
    setPausedState(next);
    if (!next && held.current.length > 0) {
      const flushed = held.current;
      held.current = [];
      setHeldCount(0);
      setLines((l) => appendLines(l, flushed));
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    const report = (status: LogStatus, error: string | null = null) => {
      if (!cancelled) setState({ key, status, error });
    };
    if (!follow) {
      apiRequest(`/tenants/${encodeURIComponent(name)}/logs?tail=${tail}`, { headers: { Accept: "text/plain" } })
        .then(async (response) => {
          if (!response.ok) throw await problemFromResponse(response);
          const text = await response.text();
          if (cancelled) return;
          const parsed = splitLogText(text, seq.current);
          seq.current += parsed.length;
          setLines(parsed);
          report("idle");
        })
        .catch((cause: unknown) => {
          const status = (cause as { status?: number }).status;
          report(
            refusal(status),
            cause instanceof Error ? cause.message : "Cannot load logs.",
          );
        });
      return () => {
        cancelled = true;
      };
    }

    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;
    let opened = false;
    let since: string | undefined;
    const connect = () => {
      if (cancelled) return;
      const params: Record<string, string> = { follow: "true" };
      if (since) params.since = since;
      else params.tail = String(tail);
      const es = new EventSource(logsUrl(name, params), { withCredentials: true });
      source = es;
      es.onopen = () => {
        failures = 0;
        opened = true;
        report("live");
      };
      es.onmessage = (message: MessageEvent<string>) => {
        const line = parseLogData(message.data, seq.current++);
        since = line.timestamp ?? new Date().toISOString();
        push([line]);
      };
      es.onerror = () => {
        const refused = es.readyState === EventSource.CLOSED;
        es.close();
        if (cancelled) return;
        failures += 1;
        if (!opened && failures >= 3) {
          // Never connected: ask plainly once, to say why (the site is gone, the engine is down).
          void apiRequest(`/tenants/${encodeURIComponent(name)}/logs?tail=1`, { headers: { Accept: "text/plain" } })
            .then((response) =>
              report(
                refusal(response.status),
                response.ok ? "The log stream cannot be opened." : `The log stream was refused (${response.status}).`,
              ),
            )
            .catch(() => report("error", "Cannot reach the server."));
          return;
        }
        if (failures > 6) {
          report("error", "The log stream keeps disconnecting.");
          return;
        }
        report("reconnecting");
        const delay = Math.min(30_000, 1000 * 2 ** (failures - 1));
        void (refused ? ensureSession() : Promise.resolve(true)).then(() => {
          if (!cancelled) timer = setTimeout(connect, delay);
        });
      };
    };
    connect();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      source?.close();
    };
  }, [key, name, follow, tail, push]);

  const clear = useCallback(() => {
    setLines([]);
    held.current = [];
    setHeldCount(0);
  }, []);

  const current = state.key === key ? state : { status: "connecting" as const, error: null };
  return { lines, heldCount, paused, setPaused, status: current.status, error: current.error, clear };
}
