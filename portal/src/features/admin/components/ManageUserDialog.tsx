import { KeyRound, Trash2, UserCheck, UserX } from "lucide-react";
import { useState } from "react";
import type { AdminUser, Plan, UserPatch } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { SecretBox } from "@/components/ui/misc";
import { ErrorState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { useDeleteUser, useResetPassword, useUpdateUser } from "../api/admin";

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-3 border-t border-slate-200 pt-4 first:border-t-0 first:pt-0 dark:border-slate-800">
      <h3 className="text-sm font-semibold">{title}</h3>
      {children}
    </section>
  );
}

/** Role and plan: saved together, only what changed. */
function RoleAndPlan({ user, plans, self }: { user: AdminUser; plans: Plan[]; self: boolean }) {
  const update = useUpdateUser();
  const toast = useToast();
  const [role, setRole] = useState(user.role);
  const [planId, setPlanId] = useState(user.planId);
  const body: UserPatch = {
    ...(role !== user.role ? { role } : {}),
    ...(planId !== user.planId ? { planId } : {}),
  };
  const changed = Object.keys(body).length > 0;
  return (
    <Section title="Role and plan">
      {update.error && <ErrorState error={update.error} title="Not changed" />}
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field label="Role" hint={self ? "Another administrator can change yours." : undefined}>
          <Select value={role} disabled={self} onChange={(e) => setRole(e.target.value as AdminUser["role"])}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </Select>
        </Field>
        <Field label="Plan" hint={user.pendingPlanId ? `Asked for ${plans.find((p) => p.id === user.pendingPlanId)?.name ?? user.pendingPlanId}: choosing a plan here withdraws the request.` : undefined}>
          <Select value={planId} onChange={(e) => setPlanId(e.target.value)}>
            {plans.map((p) => (
              <option key={p.id} value={p.id}>{p.name}</option>
            ))}
          </Select>
        </Field>
      </div>
      <div className="flex justify-end">
        <Button
          size="sm"
          disabled={!changed}
          loading={update.isPending}
          onClick={() => update.mutate({ id: user.id, body }, { onSuccess: () => toast({ title: `${user.email} changed`, tone: "success" }) })}
        >
          Save changes
        </Button>
      </div>
    </Section>
  );
}

/** Disable (sites kept or stopped) or enable the account. */
function Access({ user, self }: { user: AdminUser; self: boolean }) {
  const update = useUpdateUser();
  const toast = useToast();
  const [stopSites, setStopSites] = useState(false);
  const disabled = Boolean(user.disabledAt);
  return (
    <Section title="Access">
      {update.error && <ErrorState error={update.error} title="Not changed" />}
      {disabled ? (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-600 dark:text-slate-400">Disabled: cannot sign in, and their tokens are refused. Enabling starts no site.</p>
          <Button
            size="sm"
            variant="secondary"
            icon={<UserCheck className="size-4" aria-hidden />}
            loading={update.isPending}
            onClick={() => update.mutate({ id: user.id, body: { disabled: false } }, { onSuccess: () => toast({ title: `${user.email} enabled`, tone: "success" }) })}
          >
            Enable account
          </Button>
        </div>
      ) : (
        <div className="space-y-3">
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {self ? "You cannot disable your own account." : "A disabled account cannot sign in; its sessions end and its tokens are refused until it is enabled."}
          </p>
          {user.sites > 0 && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={stopSites} disabled={self} onChange={(e) => setStopSites(e.target.checked)} className="size-4 accent-indigo-600" />
              Also stop their {user.sites === 1 ? "site" : `${user.sites} sites`} (data is kept; otherwise they keep running)
            </label>
          )}
          <div className="flex justify-end">
            <Button
              size="sm"
              variant="danger"
              disabled={self}
              icon={<UserX className="size-4" aria-hidden />}
              loading={update.isPending}
              onClick={() =>
                update.mutate(
                  { id: user.id, body: { disabled: true, ...(stopSites ? { stopSites: true } : {}) } },
                  { onSuccess: () => toast({ title: `${user.email} disabled`, tone: "info" }) },
                )
              }
            >
              Disable account
            </Button>
          </div>
        </div>
      )}
    </Section>
  );
}

function Password({ user, self }: { user: AdminUser; self: boolean }) {
  const reset = useResetPassword();
  return (
    <Section title="Password">
      {reset.error && <ErrorState error={reset.error} title="Not reset" />}
      {reset.data ? (
        <SecretBox value={reset.data.temporaryPassword} label="Temporary password — shown once. Give it to the user: they must choose their own when they sign in." />
      ) : (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {self ? "Change your own password in your account." : "Sets a generated password, ends their sessions and deletes their access tokens."}
          </p>
          <Button size="sm" variant="secondary" disabled={self} icon={<KeyRound className="size-4" aria-hidden />} loading={reset.isPending} onClick={() => reset.mutate(user.id)}>
            Reset password
          </Button>
        </div>
      )}
    </Section>
  );
}

function Delete({ user, self, onDeleted }: { user: AdminUser; self: boolean; onDeleted: () => void }) {
  const remove = useDeleteUser();
  const toast = useToast();
  const [typed, setTyped] = useState("");
  const blocked = self || user.sites > 0;
  return (
    <Section title="Delete account">
      {remove.error && <ErrorState error={remove.error} title="Not deleted" />}
      {blocked ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {self ? "You cannot delete your own account." : `They still own ${user.sites === 1 ? "a site" : `${user.sites} sites`}: an account is deleted once its sites are gone.`}
        </p>
      ) : (
        <form
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed === user.email) remove.mutate(user.id, { onSuccess: () => { toast({ title: `${user.email} deleted`, tone: "info" }); onDeleted(); } });
          }}
        >
          <Field className="min-w-0 flex-1" label={<>Type <code className="rounded bg-slate-100 px-1 font-mono dark:bg-slate-800">{user.email}</code> to confirm</>}>
            <Input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} className="font-mono" />
          </Field>
          <Button type="submit" size="sm" variant="danger" disabled={typed !== user.email} loading={remove.isPending} icon={<Trash2 className="size-4" aria-hidden />}>
            Delete account
          </Button>
        </form>
      )}
    </Section>
  );
}

/** Everything an administrator can do to one account. */
export function ManageUserDialog({
  user,
  plans,
  self,
  onClose,
}: {
  user: AdminUser;
  plans: Plan[];
  self: boolean;
  onClose: () => void;
}) {
  return (
    <Dialog open onClose={onClose} size="lg" title={`Manage ${user.email}`} description={user.name || undefined} footer={<Button variant="secondary" onClick={onClose}>Close</Button>}>
      <div className="space-y-4">
        <RoleAndPlan user={user} plans={plans} self={self} />
        <Access user={user} self={self} />
        <Password user={user} self={self} />
        <Delete user={user} self={self} onDeleted={onClose} />
      </div>
    </Dialog>
  );
}
