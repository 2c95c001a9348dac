import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/problem";
import type { Announcement, AnnouncementInput } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select, Textarea } from "@/components/ui/field";
import { ErrorState } from "@/components/ui/states";
import { useSaveAnnouncement } from "../api/admin";
import { fromLocalInput, toLocalInput } from "../utils/datetime";

const HOUR = 3_600_000;

export function AnnouncementDialog({ editing, open, onClose }: { editing: Announcement | null; open: boolean; onClose: () => void }) {
  const save = useSaveAnnouncement();
  const [type, setType] = useState<AnnouncementInput["type"]>(editing?.type ?? "info");
  const [title, setTitle] = useState(editing?.title ?? "");
  const [message, setMessage] = useState(editing?.message ?? "");
  const [start, setStart] = useState(() => toLocalInput(editing?.start ?? new Date().toISOString()));
  const [end, setEnd] = useState(() => toLocalInput(editing?.end ?? new Date(Date.now() + 24 * HOUR).toISOString()));
  const startIso = fromLocalInput(start);
  const endIso = fromLocalInput(end);
  const periodProblem = startIso && endIso && endIso <= startIso ? "Must be after the start." : null;
  const server = save.error;
  const field = (f: string) => (isApiError(server) ? server.fieldError(f) : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim() || !message.trim() || !startIso || !endIso || periodProblem) return;
    save.mutate(
      { ...(editing ? { id: editing.id } : {}), body: { type, title: title.trim(), message: message.trim(), start: startIso, end: endIso } },
      { onSuccess: onClose },
    );
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={editing ? "Edit announcement" : "New announcement"}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button type="submit" form="announcement-form" loading={save.isPending}>{editing ? "Save" : "Publish"}</Button>
        </>
      }
    >
      <form id="announcement-form" onSubmit={submit} className="space-y-4" noValidate>
        {server && !isApiError(server, 422) && <ErrorState error={server} />}
        <Field label="Type" error={field("type")}>
          <Select value={type} onChange={(e) => setType(e.target.value as AnnouncementInput["type"])}>
            <option value="info">Information</option>
            <option value="warning">Warning</option>
            <option value="maintenance">Maintenance</option>
          </Select>
        </Field>
        <Field label="Title" error={field("title")}>
          <Input value={title} onChange={(e) => setTitle(e.target.value)} data-autofocus />
        </Field>
        <Field label="Message" error={field("message")}>
          <Textarea rows={4} value={message} onChange={(e) => setMessage(e.target.value)} />
        </Field>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <Field label="Shown from" error={field("start")}>
            <Input type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
          </Field>
          <Field label="Shown until" error={periodProblem ?? field("end")}>
            <Input type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />
          </Field>
        </div>
      </form>
    </Dialog>
  );
}
