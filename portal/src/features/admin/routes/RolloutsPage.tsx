import { Ban, Pause, Play, Plus, Rocket } from "lucide-react";
import { useState } from "react";
import { errorMessage } from "@/api/problem";
import type { Rollout, RolloutItem } from "@/api/types";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { ProgressBar } from "@/components/ui/misc";
import { EmptyState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDateTime, formatRelative } from "@/lib/format";
import { isTerminal, useRollouts, useRolloutCommand, type RolloutCommand } from "../api/rollouts";
import { RolloutDialog } from "../components/RolloutDialog";
import { rolloutProgress } from "../utils/rollout";

const STATE_TONE: Record<Rollout["state"], Tone> = {
  scheduled: "blue",
  running: "blue",
  paused: "amber",
  completed: "green",
  failed: "red",
  aborted: "gray",
};

const ITEM_TONE: Record<RolloutItem["state"], Tone> = {
  pending: "gray",
  updating: "blue",
  healthy: "green",
  failed: "red",
  rolledBack: "amber",
  skipped: "gray",
};

function RolloutCard({ rollout }: { rollout: Rollout }) {
  const command = useRolloutCommand();
  const toast = useToast();
  const { done, total, failed } = rolloutProgress(rollout);
  const run = (c: RolloutCommand) =>
    command.mutate(
      { id: rollout.id, command: c },
      { onError: (error) => toast({ title: `Could not ${c} the rollout`, description: errorMessage(error), tone: "error" }) },
    );
  const live = !isTerminal(rollout);
  return (
    <Card data-testid={`rollout-${rollout.id}`}>
      <CardHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <code className="font-mono text-sm">{rollout.image}</code>
            <Badge tone={STATE_TONE[rollout.state]} dot pulse={rollout.state === "running"}>{rollout.state}</Badge>
          </span>
        }
        description={`Created ${formatRelative(rollout.createdAt)} · canaries ${rollout.canary ?? 1}, batches of ${rollout.batchSize ?? 1}, failure budget ${rollout.failureBudget ?? 0}${rollout.startAt ? ` · starts ${formatDateTime(rollout.startAt)}` : ""}`}
        actions={
          live && (
            <>
              {rollout.state === "scheduled" && (
                <Button size="sm" onClick={() => run("start")} icon={<Rocket className="size-4" aria-hidden />}>Start now</Button>
              )}
              {rollout.state === "paused" ? (
                <Button size="sm" variant="secondary" onClick={() => run("resume")} icon={<Play className="size-4" aria-hidden />}>Resume</Button>
              ) : (
                <Button size="sm" variant="secondary" onClick={() => run("pause")} icon={<Pause className="size-4" aria-hidden />}>Pause</Button>
              )}
              <Button size="sm" variant="danger" onClick={() => run("abort")} icon={<Ban className="size-4" aria-hidden />}>Abort</Button>
            </>
          )
        }
      />
      <CardBody className="space-y-3">
        <div className="flex items-center gap-3 text-sm">
          <ProgressBar value={total ? (done / total) * 100 : 0} label="Rollout progress" valueText={`${done} of ${total} sites done`} />
          <span className="shrink-0 text-slate-500">{done}/{total}{failed ? ` · ${failed} failed` : ""}</span>
        </div>
        {rollout.message && <p className="text-sm text-slate-600 dark:text-slate-400">{rollout.message}</p>}
        {rollout.items.length > 0 && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="py-2 pr-3 font-medium">Site</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Batch</th>
                  <th scope="col" className="py-2 pr-3 font-medium">State</th>
                  <th scope="col" className="py-2 pr-3 font-medium">From</th>
                  <th scope="col" className="py-2 font-medium">Reason</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {rollout.items.map((item) => (
                  <tr key={item.tenant}>
                    <td className="py-2 pr-3 font-mono">{item.tenant}</td>
                    <td className="py-2 pr-3">{item.batch === 0 ? "canary" : item.batch}</td>
                    <td className="py-2 pr-3"><Badge tone={ITEM_TONE[item.state]} dot pulse={item.state === "updating"}>{item.state}</Badge></td>
                    <td className="py-2 pr-3 font-mono text-xs text-slate-500">{item.fromImage ?? "—"}</td>
                    <td className="py-2 text-slate-600 dark:text-slate-400">{item.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </CardBody>
    </Card>
  );
}

export default function RolloutsPage() {
  const rollouts = useRollouts();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader
        title="Rollouts"
        description="Zero-downtime image updates across sites, with live per-site progress."
        actions={<Button onClick={() => setCreating(true)} icon={<Plus className="size-4" aria-hidden />}>New rollout</Button>}
      />
      {rollouts.isPending ? (
        <LoadingState label="Loading rollouts" />
      ) : rollouts.error ? (
        <QueryError error={rollouts.error} onRetry={() => void rollouts.refetch()} />
      ) : rollouts.data.length === 0 ? (
        <Card><EmptyState icon={Rocket} title="No rollouts yet">Start one to move sites to a new WordPress image.</EmptyState></Card>
      ) : (
        <div className="space-y-4">
          {rollouts.data.map((r) => <RolloutCard key={r.id} rollout={r} />)}
        </div>
      )}
      {creating && <RolloutDialog open onClose={() => setCreating(false)} />}
    </>
  );
}
