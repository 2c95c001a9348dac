import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/problem";
import type { MaintenanceWindow } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Textarea } from "@/components/ui/field";
import { ErrorState } from "@/components/ui/states";
import { useSaveWindow } from "../api/admin";
import { fromLocalInput, toLocalInput } from "../utils/datetime";

const HOUR = 3_600_000;

export function WindowDialog({ editing, open, onClose }: { editing: MaintenanceWindow | null; open: boolean; onClose: () => void }) {
  const save = useSaveWindow();
  const [message, setMessage] = useState(editing?.message ?? "Scheduled maintenance: the portal is back shortly.");
  const [start, setStart] = useState(() => toLocalInput(editing?.start ?? new Date().toISOString()));
  const [end, setEnd] = useState(() => toLocalInput(editing?.end ?? new Date(Date.now() + HOUR).toISOString()));
  const [blocking, setBlocking] = useState(editing?.blocking ?? false);
  const startIso = fromLocalInput(start);
  const endIso = fromLocalInput(end);
  const periodProblem = startIso && endIso && endIso <= startIso ? "Must be after the start." : null;
  const server = save.error;
  const field = (f: string) => (isApiError(server) ? server.fieldError(f) : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!message.trim() || !startIso || !endIso || periodProblem) return;
    save.mutate(
      { ...(editing ? { id: editing.id } : {}), body: { message: message.trim(), start: startIso, end: endIso, blocking, rolloutId: editing?.rolloutId ?? null } },
      { onSuccess: onClose },
    );
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={editing ? "Edit maintenance window" : "Schedule maintenance"}
      description="While a window is active, users see a blocking notice."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button type="submit" form="window-form" loading={save.isPending}>{editing ? "Save" : "Schedule"}</Button>
        </>
      }
    >
      <form id="window-form" onSubmit={submit} className="space-y-4" noValidate>
        {server && !isApiError(server, 422) && <ErrorState error={server} />}
        <Field label="Message shown to users" error={field("message")}>
          <Textarea rows={3} value={message} onChange={(e) => setMessage(e.target.value)} data-autofocus />
        </Field>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <Field label="Starts" error={field("start")}>
            <Input type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
          </Field>
          <Field label="Ends" error={periodProblem ?? field("end")}>
            <Input type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />
          </Field>
        </div>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" checked={blocking} onChange={(e) => setBlocking(e.target.checked)} className="mt-0.5 size-4 accent-indigo-600" />
          <span>
            Block writes
            <span className="block text-xs text-slate-500">The API refuses every change but an administrator&apos;s (the CLI and tokens too) until the window ends; reads keep working.</span>
          </span>
        </label>
      </form>
    </Dialog>
  );
}
