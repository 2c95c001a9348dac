import { ArrowDownToLine, Download, Pause, Play, Radio, Search, Trash2 } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { Notice } from "@/components/ui/states";
import { downloadText } from "@/lib/clipboard";
import { cn } from "@/lib/cn";
import { filterLines, linesToText, useLogStream, type LogStatus } from "../api/logs";

const STATUS: Record<LogStatus, { label: string; tone: "green" | "gray" | "amber" | "red" }> = {
  idle: { label: "Snapshot", tone: "gray" },
  connecting: { label: "Connecting", tone: "gray" },
  live: { label: "Live", tone: "green" },
  reconnecting: { label: "Reconnecting", tone: "amber" },
  error: { label: "Disconnected", tone: "red" },
  notFound: { label: "Not found", tone: "gray" },
  unavailable: { label: "Unavailable", tone: "gray" },
};

function highlight(text: string, query: string) {
  const q = query.trim();
  if (!q) return text;
  const parts: React.ReactNode[] = [];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let from = 0;
  let at = lower.indexOf(needle);
  while (at >= 0) {
    parts.push(text.slice(from, at));
    parts.push(<mark key={at} className="rounded-sm bg-amber-300 text-slate-950">{text.slice(at, at + q.length)}</mark>);
    from = at + q.length;
    at = lower.indexOf(needle, from);
  }
  parts.push(text.slice(from));
  return parts;
}

/** Follows a site's logs: follow/snapshot, pause, search, download. */
export function LogViewer({ name }: { name: string }) {
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [stick, setStick] = useState(true);
  const { lines, heldCount, paused, setPaused, status, error, clear } = useLogStream(name, { follow });
  const visible = useMemo(() => filterLines(lines, query), [lines, query]);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (el && stick) el.scrollTop = el.scrollHeight;
  }, [visible, stick]);

  if (status === "notFound") {
    return <Notice title="Not found">This site no longer exists.</Notice>;
  }
  if (status === "unavailable") {
    return <Notice title="Logs unavailable">{error ?? "The container engine cannot be reached right now."} Try again in a moment.</Notice>;
  }
  const s = STATUS[status];
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <div className="relative min-w-48 flex-1">
          <Search className="pointer-events-none absolute top-3 left-3 size-4 text-slate-400" aria-hidden />
          <Input type="search" aria-label="Search logs" placeholder="Search logs" className="pl-9" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <Badge tone={s.tone} dot pulse={status === "live"}>{s.label}</Badge>
        <Button
          variant="secondary"
          size="sm"
          aria-pressed={follow}
          onClick={() => setFollow((f) => !f)}
          icon={<Radio className="size-4" aria-hidden />}
        >
          {follow ? "Following" : "Follow"}
        </Button>
        <Button
          variant="secondary"
          size="sm"
          aria-pressed={paused}
          disabled={!follow}
          onClick={() => setPaused(!paused)}
          icon={paused ? <Play className="size-4" aria-hidden /> : <Pause className="size-4" aria-hidden />}
        >
          {paused ? `Resume${heldCount ? ` (${heldCount} new)` : ""}` : "Pause"}
        </Button>
        <Button variant="secondary" size="sm" onClick={clear} icon={<Trash2 className="size-4" aria-hidden />}>Clear</Button>
        <Button
          variant="secondary"
          size="sm"
          disabled={lines.length === 0}
          onClick={() => downloadText(`${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`, linesToText(visible))}
          icon={<Download className="size-4" aria-hidden />}
        >
          Download
        </Button>
      </div>
      {error && <p role="alert" className="text-sm text-red-600 dark:text-red-400">{error}</p>}
      <div className="relative">
        <div
          ref={box}
          role="log"
          aria-live={paused ? "off" : "polite"}
          aria-label={`Logs of ${name}`}
          tabIndex={0}
          onScroll={(e) => {
            const el = e.currentTarget;
            setStick(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
          className="h-[28rem] overflow-auto rounded-xl bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-200 focus-visible:outline-2 focus-visible:outline-indigo-500"
          data-testid="log-viewer"
        >
          {visible.length === 0 ? (
            <p className="text-slate-500">{query ? "No line matches the search." : status === "connecting" ? "Connecting…" : "No log lines yet. Visit the site to produce some."}</p>
          ) : (
            visible.map((line) => (
              <div key={line.seq} className={cn("break-all whitespace-pre-wrap", line.stream === "stderr" && "text-red-300")}>
                {line.timestamp && <span className="mr-2 text-slate-500">{line.timestamp}</span>}
                {line.replica && <span className="mr-2 text-sky-400">[{line.replica}]</span>}
                {highlight(line.text, query)}
              </div>
            ))
          )}
        </div>
        {!stick && (
          <Button
            size="sm"
            className="absolute right-4 bottom-4 shadow-lg"
            onClick={() => setStick(true)}
            icon={<ArrowDownToLine className="size-4" aria-hidden />}
          >
            Jump to newest
          </Button>
        )}
      </div>
      <p className="text-xs text-slate-500">
        {visible.length} of {lines.length} lines{query ? " match" : ""} · the newest 5,000 are kept
      </p>
    </div>
  );
}
