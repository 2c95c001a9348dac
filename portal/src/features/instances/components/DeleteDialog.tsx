import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { ErrorState } from "@/components/ui/states";

/** Deletion confirmed by typing the site's name. */
export function DeleteDialog({
  name,
  open,
  onClose,
  onConfirm,
  pending,
  error,
}: {
  name: string;
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  pending: boolean;
  error: unknown;
}) {
  const [typed, setTyped] = useState("");
  const matches = typed === name;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Delete this site?"
      description="The WordPress site, its database and its uploads are removed for good."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button variant="danger" disabled={!matches} loading={pending} onClick={onConfirm} form="delete-form" type="submit">
            Delete site
          </Button>
        </>
      }
    >
      <form
        id="delete-form"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (matches) onConfirm();
        }}
      >
        {Boolean(error) && <ErrorState error={error} title="Not deleted" />}
        <Field label={<>Type <code className="rounded bg-slate-100 px-1 font-mono dark:bg-slate-800">{name}</code> to confirm</>}>
          <Input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} data-autofocus className="font-mono" />
        </Field>
      </form>
    </Dialog>
  );
}
