import { Check, Settings2, Users, X } from "lucide-react";
import { useState } from "react";
import type { AdminUser, AuditEntry, Plan } from "@/api/types";
import { usePlans } from "@/api/resources/account";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDate } from "@/lib/format";
import { useSession } from "@/lib/session";
import { useAdminUsers, useAudit, useDecidePlanRequest, usePlanRequests } from "../api/admin";
import { ManageUserDialog } from "../components/ManageUserDialog";

/** Plan upgrades users asked for, each approved or refused here. Hidden when there are none. */
function PlanRequests({ users }: { users: AdminUser[] }) {
  const requests = usePlanRequests();
  const plans = usePlans();
  const decide = useDecidePlanRequest();
  const toast = useToast();
  if (requests.isPending || requests.error || requests.data.length === 0) {
    return requests.error ? <QueryError className="mb-6" error={requests.error} onRetry={() => void requests.refetch()} /> : null;
  }
  const planName = (id: string) => plans.data?.find((p) => p.id === id)?.name ?? id;
  return (
    <Card className="mb-6">
      <CardHeader title="Plan requests" description="Upgrades users asked for. Approving starts the plan now and issues an open invoice." />
      <CardBody className="space-y-3">
        {decide.error && <ErrorState error={decide.error} title="Not decided" />}
        <ul className="divide-y divide-slate-200 dark:divide-slate-800">
          {requests.data.map((r) => {
            const who = users.find((u) => u.id === r.userId)?.email ?? r.userId;
            return (
              <li key={r.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div>
                  <p className="font-medium break-all">{who}</p>
                  <p className="text-sm text-slate-500">{planName(r.planId)} · asked {formatDate(r.startedAt)}</p>
                </div>
                <div className="flex gap-2">
                  <Button
                    size="sm"
                    icon={<Check className="size-4" aria-hidden />}
                    loading={decide.isPending && decide.variables?.id === r.id && decide.variables.approve}
                    onClick={() => decide.mutate({ id: r.id, approve: true }, { onSuccess: () => toast({ title: `${who} is on ${planName(r.planId)}`, tone: "success" }) })}
                    aria-label={`Approve ${planName(r.planId)} for ${who}`}
                  >
                    Approve
                  </Button>
                  <Button
                    size="sm"
                    variant="secondary"
                    icon={<X className="size-4" aria-hidden />}
                    loading={decide.isPending && decide.variables?.id === r.id && !decide.variables.approve}
                    onClick={() => decide.mutate({ id: r.id, approve: false }, { onSuccess: () => toast({ title: "Request refused", tone: "info" }) })}
                    aria-label={`Refuse ${planName(r.planId)} for ${who}`}
                  >
                    Refuse
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      </CardBody>
    </Card>
  );
}

const ACTIONS: Record<AuditEntry["action"], string> = {
  roleChanged: "changed the role of",
  planChanged: "changed the plan of",
  planRequestApproved: "approved a plan request of",
  planRequestRefused: "refused a plan request of",
  disabled: "disabled",
  enabled: "enabled",
  passwordReset: "reset the password of",
  deleted: "deleted",
  invoicePaid: "marked paid an invoice of",
};

function describe(detail: AuditEntry["detail"]): string {
  if (detail.from !== undefined && detail.to !== undefined) return `${detail.from} → ${detail.to}`;
  return Object.entries(detail).map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** The audit log: what administrators did to accounts, newest first. */
function AuditLog() {
  const audit = useAudit();
  return (
    <Card className="mt-6">
      <CardHeader title="Audit log" description="What administrators did to accounts: who, what, when and from where. The latest 100." />
      {audit.isPending ? (
        <LoadingState label="Loading the audit log" />
      ) : audit.error ? (
        <QueryError className="m-4" error={audit.error} onRetry={() => void audit.refetch()} />
      ) : audit.data.length === 0 ? (
        <CardBody><p className="text-sm text-slate-500">Nothing yet.</p></CardBody>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Audit log">
          {audit.data.map((e) => (
            <li key={e.id} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-5 py-3 text-sm" data-testid="audit-entry">
              <span className="min-w-0 break-all">
                <span className="font-medium">{e.actor.email}</span> {ACTIONS[e.action]} <span className="font-medium">{e.target.label}</span>
                {Object.keys(e.detail).length > 0 && <span className="text-slate-500"> ({describe(e.detail)})</span>}
              </span>
              <span className="text-xs whitespace-nowrap text-slate-500">
                {formatDate(e.at)}
                {e.source && <> · {e.source}</>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function State({ user }: { user: AdminUser }) {
  if (user.disabledAt) return <Badge tone="red">disabled</Badge>;
  if (user.mustChangePassword) return <Badge tone="amber">password reset</Badge>;
  return <Badge tone="green">active</Badge>;
}

export default function UsersPage() {
  const users = useAdminUsers();
  const plans = usePlans();
  const { user: me } = useSession();
  const [managing, setManaging] = useState<string | null>(null);
  const planName = (id: string) => plans.data?.find((p: Plan) => p.id === id)?.name ?? id;
  const selected = managing ? users.data?.find((u) => u.id === managing) : undefined;
  return (
    <>
      <PageHeader title="Users" description="Everyone with an account on this platform." />
      <PlanRequests users={users.data ?? []} />
      <Card className="overflow-hidden">
        {users.isPending ? (
          <LoadingState label="Loading users" />
        ) : users.error ? (
          <QueryError className="m-4" error={users.error} onRetry={() => void users.refetch()} />
        ) : users.data.length === 0 ? (
          <EmptyState icon={Users} title="No users" />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/60">
                <tr>
                  <th scope="col" className="px-5 py-3 font-medium">Name</th>
                  <th scope="col" className="hidden px-3 py-3 font-medium sm:table-cell">E-mail</th>
                  <th scope="col" className="px-3 py-3 font-medium">Role</th>
                  <th scope="col" className="px-3 py-3 font-medium">Plan</th>
                  <th scope="col" className="px-3 py-3 text-right font-medium">Sites</th>
                  <th scope="col" className="px-3 py-3 font-medium">State</th>
                  <th scope="col" className="hidden px-3 py-3 font-medium md:table-cell">Joined</th>
                  <th scope="col" className="px-5 py-3"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {users.data.map((u) => (
                  <tr key={u.id} data-testid={`user-row-${u.email}`}>
                    <td className="px-5 py-3">
                      <span className="font-medium">{u.name || "—"}</span>
                      {/* At phone width the e-mail sits under the name instead of in its own column. */}
                      <span className="block text-xs break-all text-slate-500 sm:hidden">{u.email}</span>
                    </td>
                    <td className="hidden px-3 py-3 break-all sm:table-cell">{u.email}</td>
                    <td className="px-3 py-3"><Badge tone={u.role === "admin" ? "violet" : "gray"}>{u.role}</Badge></td>
                    <td className="px-3 py-3 whitespace-nowrap">
                      {planName(u.planId)}
                      {u.pendingPlanId && <span className="block text-xs text-amber-700 dark:text-amber-300">asks {planName(u.pendingPlanId)}</span>}
                    </td>
                    <td className="px-3 py-3 text-right tabular-nums">{u.sites}</td>
                    <td className="px-3 py-3"><State user={u} /></td>
                    <td className="hidden px-3 py-3 whitespace-nowrap text-slate-500 md:table-cell">{formatDate(u.createdAt)}</td>
                    <td className="px-5 py-3 text-right">
                      <Button size="sm" variant="secondary" icon={<Settings2 className="size-4" aria-hidden />} onClick={() => setManaging(u.id)} aria-label={`Manage ${u.email}`}>
                        Manage
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <AuditLog />
      {selected && (
        <ManageUserDialog key={selected.id} user={selected} plans={plans.data ?? []} self={selected.id === me?.id} onClose={() => setManaging(null)} />
      )}
    </>
  );
}
