import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/problem";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { formatDateTime } from "@/lib/format";
import { useNow } from "@/lib/time";
import { ErrorState } from "@/components/ui/states";
import { useAdminWindows } from "../api/admin";
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
  when: "now",
  startAt: "",
  windowId: "",
};

export function RolloutDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateRollout();
  const allWindows = useAdminWindows();
  // Windows still to come that no rollout has claimed.
  const now = useNow(60_000);
  const windows = (allWindows.data ?? []).filter((w) => !w.rolloutId && new Date(w.end).getTime() > now);
  const [form, setForm] = useState(INITIAL);
  const [touched, setTouched] = useState(false);
  const { spec, window, errors } = rolloutSpecFromForm(form, windows);
  const shown = touched ? errors : {};
  const server = create.error;
  const field = (f: string) => shown[f] ?? (isApiError(server) ? server.fieldError(f) : undefined);
  const set = <K extends keyof RolloutForm>(key: K, value: RolloutForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (spec) create.mutate({ spec, window }, { onSuccess: onClose });
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
          <Button type="submit" form="rollout-form" loading={create.isPending}>{form.when === "now" ? "Start rollout" : "Schedule rollout"}</Button>
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
        <fieldset className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
          <legend className="px-1 text-sm font-medium">When</legend>
          <div className="flex flex-wrap gap-4 text-sm">
            {(
              [
                ["now", "Now"],
                ["at", "At a time"],
                ["window", "In a maintenance window"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex items-center gap-2">
                <input type="radio" name="when" value={value} checked={form.when === value} onChange={() => set("when", value)} className="size-4 accent-indigo-600" />
                {label}
              </label>
            ))}
          </div>
          {form.when === "at" && (
            <Field label="Start at" hint="In your time zone." error={field("startAt")}>
              <Input type="datetime-local" value={form.startAt} onChange={(e) => set("startAt", e.target.value)} />
            </Field>
          )}
          {form.when === "window" && (
            <Field
              label="Maintenance window"
              hint={windows.length ? "The rollout starts when the window begins; users see the window's message meanwhile." : "No upcoming window is free: schedule one on the Maintenance page first."}
              error={field("windowId")}
            >
              <Select value={form.windowId} onChange={(e) => set("windowId", e.target.value)}>
                <option value="">Choose a window</option>
                {windows.map((w) => (
                  <option key={w.id} value={w.id}>{formatDateTime(w.start)} – {formatDateTime(w.end)}: {w.message}</option>
                ))}
              </Select>
            </Field>
          )}
        </fieldset>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={form.forcePull} onChange={(e) => set("forcePull", e.target.checked)} className="size-4 accent-indigo-600" />
          Pull the image even if a tag of that name is present
        </label>
      </form>
    </Dialog>
  );
}
