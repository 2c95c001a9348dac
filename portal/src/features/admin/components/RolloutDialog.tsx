import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/problem";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { ErrorState } from "@/components/ui/states";
import { useCreateRollout } from "../api/rollouts";
import { rolloutSpecFromForm, type RolloutForm } from "../utils/rollout";

const INITIAL: RolloutForm = {
  image: "",
  all: true,
  plans: "",
  labels: "",
  tenants: "",
  canary: "1",
  batchSize: "1",
  failureBudget: "0",
  healthTimeoutSeconds: "120",
  forcePull: false,
};

export function RolloutDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateRollout();
  const [form, setForm] = useState(INITIAL);
  const [touched, setTouched] = useState(false);
  const { spec, errors } = rolloutSpecFromForm(form);
  const shown = touched ? errors : {};
  const server = create.error;
  const field = (f: string) => shown[f] ?? (isApiError(server) ? server.fieldError(f) : undefined);
  const set = <K extends keyof RolloutForm>(key: K, value: RolloutForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (spec) create.mutate(spec, { onSuccess: onClose });
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="New rollout"
      description="Moves the selected sites to a new image: canaries first, then batches, with automatic rollback."
      size="lg"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button type="submit" form="rollout-form" loading={create.isPending}>Start rollout</Button>
        </>
      }
    >
      <form id="rollout-form" onSubmit={submit} className="space-y-4" noValidate>
        {server && !isApiError(server, 422) && <ErrorState error={server} />}
        <Field label="Image" error={field("image")}>
          <Input value={form.image} className="font-mono" placeholder="swarmpress/wordpress:6.8" onChange={(e) => set("image", e.target.value)} data-autofocus />
        </Field>
        <fieldset className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
          <legend className="px-1 text-sm font-medium">Sites</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={form.all} onChange={(e) => set("all", e.target.checked)} className="size-4 accent-indigo-600" />
            Every site
          </label>
          {!form.all && (
            <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
              <Field label="Plans" hint="comma-separated ids">
                <Input value={form.plans} onChange={(e) => set("plans", e.target.value)} />
              </Field>
              <Field label="Labels" hint="key=value, …" error={field("labels")}>
                <Input value={form.labels} onChange={(e) => set("labels", e.target.value)} />
              </Field>
              <Field label="Site names" hint="comma-separated">
                <Input value={form.tenants} onChange={(e) => set("tenants", e.target.value)} />
              </Field>
            </div>
          )}
          {field("selector") && <p role="alert" className="text-xs text-red-600">{field("selector")}</p>}
        </fieldset>
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
          <Field label="Canaries" error={field("canary")}>
            <Input type="number" min={0} value={form.canary} onChange={(e) => set("canary", e.target.value)} />
          </Field>
          <Field label="Batch size" error={field("batchSize")}>
            <Input type="number" min={1} value={form.batchSize} onChange={(e) => set("batchSize", e.target.value)} />
          </Field>
          <Field label="Failure budget" error={field("failureBudget")}>
            <Input type="number" min={0} value={form.failureBudget} onChange={(e) => set("failureBudget", e.target.value)} />
          </Field>
          <Field label="Health timeout (s)" error={field("healthTimeoutSeconds")}>
            <Input type="number" min={10} value={form.healthTimeoutSeconds} onChange={(e) => set("healthTimeoutSeconds", e.target.value)} />
          </Field>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={form.forcePull} onChange={(e) => set("forcePull", e.target.checked)} className="size-4 accent-indigo-600" />
          Pull the image even if a tag of that name is present
        </label>
      </form>
    </Dialog>
  );
}
