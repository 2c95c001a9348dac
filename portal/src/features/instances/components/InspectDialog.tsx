import { useState, type ReactNode } from "react";
import { errorMessage, isUnavailable } from "@/api/problem";
import type { TenantInspect } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { CopyButton, KeyValue } from "@/components/ui/misc";
import { ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { formatBytes, formatCpu, formatDateTime } from "@/lib/format";
import { useTenantInspect } from "../api/tenant";

function Section({ title, count, children }: { title: string; count?: number; children: ReactNode }) {
  return (
    <section className="space-y-2" aria-label={title}>
      <h3 className="text-sm font-semibold">
        {title}
        {count !== undefined && <span className="ml-1 font-normal text-slate-500">({count})</span>}
      </h3>
      {children}
    </section>
  );
}

function Table({ head, rows }: { head: string[]; rows: ReactNode[][] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-xs">
        <thead className="bg-slate-50 text-slate-500 dark:bg-slate-900/60">
          <tr>{head.map((h) => <th key={h} scope="col" className="px-3 py-2 font-medium">{h}</th>)}</tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {rows.map((cells, i) => (
            <tr key={i}>{cells.map((c, j) => <td key={j} className="px-3 py-2 align-top break-all">{c}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TASK_TONE: Record<string, "green" | "amber" | "red" | "gray"> = {
  running: "green",
  starting: "amber",
  preparing: "amber",
  pending: "amber",
  failed: "red",
  rejected: "red",
};

/** The service, its tasks, environment (secrets masked by the API), mounts, secrets and networks. */
function Structured({ data }: { data: TenantInspect }) {
  const s = data.service;
  return (
    <div className="space-y-5">
      <Section title="Service">
        <KeyValue
          items={[
            ["Name", <span className="font-mono">{s.name}</span>],
            ["Image", <span className="font-mono" title={s.image}>{s.image}</span>],
            ["Replicas", s.replicas ?? "—"],
            ["Limits per replica", `${formatCpu(s.cpuLimitCores)} · ${formatBytes(s.memoryLimitBytes)}`],
            ["Last update", s.updateState ? `${s.updateState}${s.updatedAt ? `, ${formatDateTime(s.updatedAt)}` : ""}` : "—"],
            ["Created", formatDateTime(s.createdAt)],
          ]}
        />
      </Section>
      <Section title="Tasks" count={data.tasks.length}>
        {data.tasks.length === 0 ? (
          <p className="text-sm text-slate-500">No task: the site is stopped or not deployed yet.</p>
        ) : (
          <Table
            head={["Slot", "State", "Node", "Started", "Message"]}
            rows={data.tasks.map((t) => [
              t.slot ?? "—",
              <Badge tone={TASK_TONE[t.state] ?? "gray"}>{t.state}{t.desiredState !== t.state ? ` → ${t.desiredState}` : ""}</Badge>,
              t.node ?? "—",
              formatDateTime(t.startedAt),
              t.error ?? t.message ?? "",
            ])}
          />
        )}
      </Section>
      <Section title="Environment" count={data.env.length}>
        <Table
          head={["Name", "Value"]}
          rows={data.env.map((e) => [
            <span className="font-mono">{e.name}</span>,
            e.masked ? <span className="text-slate-500" title="A secret: never shown">masked</span> : <span className="font-mono">{e.value}</span>,
          ])}
        />
      </Section>
      <Section title="Mounts" count={data.mounts.length}>
        <Table
          head={["Target", "Source", "Type", ""]}
          rows={data.mounts.map((m) => [
            <span className="font-mono">{m.target}</span>,
            <span className="font-mono">{m.source}</span>,
            m.type,
            [m.readOnly ? "read-only" : "", m.wpContent ? "wp-content" : ""].filter(Boolean).join(", "),
          ])}
        />
      </Section>
      <Section title="Secrets" count={data.secrets.length}>
        <Table head={["Secret", "File"]} rows={data.secrets.map((x) => [<span className="font-mono">{x.name}</span>, <span className="font-mono">{x.target}</span>])} />
      </Section>
      <Section title="Networks" count={data.networks.length}>
        <Table head={["Network", "Aliases"]} rows={data.networks.map((n) => [n.name ?? n.id, n.aliases.join(", ")])} />
      </Section>
    </div>
  );
}

/** The service, tasks, mounts and networks behind a site (secrets masked by the API). */
export function InspectDialog({ name, open, onClose }: { name: string; open: boolean; onClose: () => void }) {
  const inspect = useTenantInspect(name, open);
  const [raw, setRaw] = useState(false);
  const text = inspect.data ? JSON.stringify(inspect.data, null, 2) : "";
  return (
    <Dialog open={open} onClose={onClose} title={`Inspect ${name}`} description="The Swarm service as the platform sees it." size="xl">
      {inspect.isPending ? (
        <LoadingState label="Inspecting" />
      ) : inspect.error ? (
        isUnavailable(inspect.error) ? (
          <Notice title="Inspection unavailable">{errorMessage(inspect.error)}</Notice>
        ) : (
          <ErrorState error={inspect.error} onRetry={() => void inspect.refetch()} />
        )
      ) : (
        <div className="space-y-3">
          <div className="flex justify-end gap-2">
            <Button size="sm" variant="secondary" aria-pressed={raw} onClick={() => setRaw(!raw)}>
              {raw ? "Structured view" : "Raw JSON"}
            </Button>
            <CopyButton text={text} label="Copy JSON" />
          </div>
          {raw ? (
            <pre className="max-h-[60vh] overflow-auto rounded-lg bg-slate-950 p-4 font-mono text-xs text-slate-100" tabIndex={0} data-testid="inspect-raw">
              {text}
            </pre>
          ) : (
            <div className="max-h-[60vh] overflow-auto pr-1" tabIndex={0}>
              <Structured data={inspect.data} />
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
