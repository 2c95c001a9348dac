import { Eraser, Hammer, Play, RotateCw, Square, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { errorMessage, isApiError } from "@/api/problem";
import { useSubscription } from "@/api/resources/account";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { useToast } from "@/components/ui/toast-context";
import { cpuError, envMapToRows, envRowsErrors, memoryError, pathPrefixError, type EnvRow } from "@/lib/validation";
import { useDeleteTenant, usePatchTenant, usePurgeCache, useScaleTenant, useTenantAction, type TenantAction } from "../api/tenant";
import { DeleteDialog } from "../components/DeleteDialog";
import { EnvEditor } from "../components/EnvEditor";
import { envMergePatch } from "../utils/env-patch";
import { useTenantContext } from "../utils/tenant-context";

const ACTIONS: Record<TenantAction, { label: string; done: string; confirm?: string }> = {
  start: { label: "Start", done: "Starting" },
  stop: { label: "Stop", done: "Stopping", confirm: "The site goes offline until you start it again. Data is kept." },
  restart: { label: "Restart", done: "Restarting" },
  rebuild: { label: "Rebuild", done: "Rebuilding", confirm: "Pulls the image anew from its registry, pins it by digest and replaces every replica (an image with no registry is redeployed from the platform's copy)." },
};

function ScaleCard() {
  const t = useTenantContext();
  const name = t.metadata.name;
  const scale = useScaleTenant(name);
  const toast = useToast();
  const subscription = useSubscription();
  const plan = subscription.data?.plan;
  const maxReplicas = plan?.maxReplicas;
  const [replicas, setReplicas] = useState(String(t.spec.replicas ?? 1));
  const [cpu, setCpu] = useState(t.spec.resources?.cpu ?? "0.5");
  const [memory, setMemory] = useState(t.spec.resources?.memory ?? "512Mi");

  const replicaCount = Number(replicas);
  const replicasProblem =
    !Number.isInteger(replicaCount) || replicaCount < 1
      ? "At least 1 (use Stop to take the site offline)."
      : maxReplicas !== undefined && replicaCount > maxReplicas
        ? `Your plan allows up to ${maxReplicas}.`
        : null;
  const cpuProblem = cpuError(cpu);
  const memoryProblem = memoryError(memory);
  const server = scale.error;
  const field = (f: string) => (isApiError(server) ? server.fieldError(f) : undefined);
  const unchanged =
    replicaCount === (t.spec.replicas ?? 1) && cpu === t.spec.resources?.cpu && memory === t.spec.resources?.memory;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (replicasProblem || cpuProblem || memoryProblem) return;
    scale.mutate(
      { replicas: replicaCount, resources: { cpu, memory } },
      { onSuccess: () => toast({ title: "Scaling", description: `${replicaCount} × ${cpu} vCPU / ${memory}`, tone: "success" }) },
    );
  };

  return (
    <Card>
      <CardHeader title="Scale" description="Replicas serve traffic side by side; resources are limits per replica." />
      <CardBody>
        <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-3" noValidate>
          <Field label="Replicas" hint={maxReplicas ? `Up to ${maxReplicas} on your plan` : undefined} error={replicasProblem ?? field("replicas") ?? field("spec.replicas")}>
            <Input type="number" min={1} max={maxReplicas} inputMode="numeric" value={replicas} onChange={(e) => setReplicas(e.target.value)} />
          </Field>
          <Field label="CPU (cores)" hint={plan ? `0.1 to ${plan.maxCpuMillis / 1000} on your plan` : "0.1 to 4"} error={cpuProblem ?? field("resources.cpu") ?? field("spec.resources.cpu")}>
            <Input value={cpu} inputMode="decimal" onChange={(e) => setCpu(e.target.value)} />
          </Field>
          <Field label="Memory" hint={plan ? `128Mi to ${plan.maxMemoryMib}Mi on your plan` : "128Mi to 8Gi"} error={memoryProblem ?? field("resources.memory") ?? field("spec.resources.memory")}>
            <Input value={memory} onChange={(e) => setMemory(e.target.value)} />
          </Field>
          <div className="sm:col-span-3 flex items-center justify-end gap-3">
            {server && !isApiError(server, 422) && <p role="alert" className="text-sm text-red-600">{errorMessage(server)}</p>}
            <Button type="submit" loading={scale.isPending} disabled={unchanged}>Apply scale</Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

function EnvCard() {
  const t = useTenantContext();
  const patch = usePatchTenant(t.metadata.name);
  const toast = useToast();
  const before = t.spec.env ?? {};
  const [rows, setRows] = useState<EnvRow[]>(() => envMapToRows(before));
  const diff = envMergePatch(before, rows);
  const dirty = Object.keys(diff).length > 0;
  const invalid = envRowsErrors(rows).size > 0;
  return (
    <Card>
      <CardHeader title="Environment" description="Changing variables restarts the replicas." />
      <CardBody className="space-y-4">
        <EnvEditor rows={rows} onChange={setRows} />
        {patch.error && <p role="alert" className="text-sm text-red-600">{errorMessage(patch.error)}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" disabled={!dirty} onClick={() => setRows(envMapToRows(before))}>Discard</Button>
          <Button
            disabled={!dirty || invalid}
            loading={patch.isPending}
            onClick={() => confirmWhenSaved(patch.mutateAsync({ env: diff }), () => toast({ title: "Environment saved", tone: "success" }))}
          >
            Save variables
          </Button>
        </div>
      </CardBody>
    </Card>
  );
}

/**
 * Runs `confirm` once `saved` succeeds. The environment and path cards are keyed by the spec
 * they edit, so the saved spec — often announced by the watch stream before the PATCH's own
 * answer — remounts them; a `mutate(…, { onSuccess })` callback dies with the unmounted card
 * and the confirmation was lost. The promise outlives the card. A failure needs nothing here:
 * the card shows the mutation's error, and an unchanged spec does not remount it.
 */
function confirmWhenSaved(saved: Promise<unknown>, confirm: () => void) {
  saved.then(confirm, () => undefined);
}

/** Where on its address the site is served: `/` or a path such as `/blog`. */
function PathCard() {
  const t = useTenantContext();
  const patch = usePatchTenant(t.metadata.name);
  const toast = useToast();
  const current = t.spec.pathPrefix ?? "";
  const [prefix, setPrefix] = useState(current);
  const problem = pathPrefixError(prefix);
  const server = patch.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problem || prefix === current) return;
    // null removes the prefix (merge patch): the site moves back to the root.
    confirmWhenSaved(patch.mutateAsync({ pathPrefix: prefix === "" ? null : prefix }), () => toast({ title: `Served at ${prefix || "/"}`, tone: "success" }));
  };
  return (
    <Card>
      <CardHeader title="Path" description="The path of the site's address it is served under. Changing it moves the site: links to the old path stop working." />
      <CardBody>
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3" noValidate>
          <Field className="min-w-0 flex-1" label="Path prefix" optional hint="Empty: at the root of the address." error={problem ?? (isApiError(server) ? server.fieldError("spec.pathPrefix") : undefined)}>
            <Input value={prefix} className="font-mono" placeholder="/" maxLength={200} spellCheck={false} autoCapitalize="none" onChange={(e) => setPrefix(e.target.value)} />
          </Field>
          <Button type="submit" loading={patch.isPending} disabled={prefix === current || Boolean(problem)}>Save path</Button>
        </form>
        {server && !isApiError(server, 422) && <p role="alert" className="mt-2 text-sm text-red-600">{errorMessage(server)}</p>}
      </CardBody>
    </Card>
  );
}

/** Purges WordPress's object cache and transients and PHP's opcache in every replica. */
function CacheCard() {
  const t = useTenantContext();
  const purge = usePurgeCache(t.metadata.name);
  const stopped = t.spec.state === "Stopped";
  const report = purge.data;
  return (
    <Card>
      <CardHeader title="Cache" description="Purging flushes WordPress's object cache and transients and resets PHP's opcache in every replica — after changing files or options behind WordPress's back." />
      <CardBody className="space-y-3">
        <Button variant="secondary" onClick={() => purge.mutate()} loading={purge.isPending} disabled={stopped || Boolean(t.metadata.deletionTimestamp)} icon={<Eraser className="size-4" aria-hidden />}>
          Purge cache
        </Button>
        {purge.error && <p role="alert" className="text-sm text-red-600">{errorMessage(purge.error)}</p>}
        {report && (
          <div role="status" className="space-y-1 text-sm" data-testid="purge-report">
            <p className="font-medium">
              {report.state === "succeeded" ? "Purged in every replica" : report.state === "failed" ? "Not purged everywhere" : "Still purging — check back shortly"}
              {report.message ? `: ${report.message}` : ""}
            </p>
            <ul className="space-y-0.5 text-xs text-slate-600 dark:text-slate-400">
              {report.replicas.map((r) => (
                <li key={r.task}>
                  <span className={r.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-600"}>{r.ok ? "✓" : "✗"}</span> {r.node} · {r.task.slice(0, 12)}: {r.message}
                </li>
              ))}
            </ul>
          </div>
        )}
      </CardBody>
    </Card>
  );
}

function LifecycleCard() {
  const t = useTenantContext();
  const action = useTenantAction(t.metadata.name);
  const toast = useToast();
  const [confirming, setConfirming] = useState<TenantAction | null>(null);
  const stopped = t.spec.state === "Stopped";
  const deleting = Boolean(t.metadata.deletionTimestamp);
  const run = (a: TenantAction) => {
    setConfirming(null);
    action.mutate(a, {
      onSuccess: () => toast({ title: `${ACTIONS[a].done} ${t.metadata.name}`, tone: "success" }),
      onError: (error) => toast({ title: `${ACTIONS[a].label} failed`, description: errorMessage(error), tone: "error" }),
    });
  };
  const ask = (a: TenantAction) => (ACTIONS[a].confirm ? setConfirming(a) : run(a));
  const busy = action.isPending ? action.variables : undefined;
  return (
    <Card>
      <CardHeader title="Lifecycle" description={stopped ? "The site is stopped." : "The site is meant to be running."} />
      <CardBody className="flex flex-wrap gap-2">
        {stopped ? (
          <Button onClick={() => ask("start")} loading={busy === "start"} disabled={deleting} icon={<Play className="size-4" aria-hidden />}>Start</Button>
        ) : (
          <Button variant="secondary" onClick={() => ask("stop")} loading={busy === "stop"} disabled={deleting} icon={<Square className="size-4" aria-hidden />}>Stop</Button>
        )}
        <Button variant="secondary" onClick={() => ask("restart")} loading={busy === "restart"} disabled={deleting || stopped} icon={<RotateCw className="size-4" aria-hidden />}>Restart</Button>
        <Button variant="secondary" onClick={() => ask("rebuild")} loading={busy === "rebuild"} disabled={deleting} icon={<Hammer className="size-4" aria-hidden />}>Rebuild</Button>
      </CardBody>
      <Dialog
        open={confirming !== null}
        onClose={() => setConfirming(null)}
        title={confirming ? `${ACTIONS[confirming].label} ${t.metadata.name}?` : ""}
        size="sm"
        footer={
          <>
            <Button variant="secondary" onClick={() => setConfirming(null)}>Cancel</Button>
            <Button onClick={() => confirming && run(confirming)} data-autofocus>{confirming ? ACTIONS[confirming].label : ""}</Button>
          </>
        }
      >
        <p className="text-sm">{confirming ? ACTIONS[confirming].confirm : ""}</p>
      </Dialog>
    </Card>
  );
}

function DangerCard() {
  const t = useTenantContext();
  const remove = useDeleteTenant(t.metadata.name);
  const toast = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const deleting = Boolean(t.metadata.deletionTimestamp);
  return (
    <Card className="border-red-200 dark:border-red-900">
      <CardHeader title="Delete site" description="Removes the site, its database and its files. This cannot be undone." />
      <CardBody>
        <Button variant="danger" onClick={() => setOpen(true)} disabled={deleting} icon={<Trash2 className="size-4" aria-hidden />}>
          {deleting ? "Deleting…" : "Delete site"}
        </Button>
      </CardBody>
      <DeleteDialog
        name={t.metadata.name}
        open={open}
        onClose={() => setOpen(false)}
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() =>
          remove.mutate(undefined, {
            onSuccess: () => {
              setOpen(false);
              toast({ title: `Deleting ${t.metadata.name}`, tone: "success" });
              navigate("/instances");
            },
          })
        }
      />
    </Card>
  );
}

export function SettingsTab() {
  const t = useTenantContext();
  return (
    <div className="space-y-6">
      <LifecycleCard />
      <CacheCard />
      <ScaleCard />
      {/* Remounts with fresh rows when the stored env changes (another writer, the watch stream). */}
      <EnvCard key={JSON.stringify(t.spec.env ?? {})} />
      <PathCard key={t.spec.pathPrefix ?? ""} />
      <DangerCard />
    </div>
  );
}
