import { Check, Users, X } from "lucide-react";
import type { User } from "@/api/types";
import { usePlans } from "@/api/resources/account";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDate } from "@/lib/format";
import { useAdminUsers, useDecidePlanRequest, usePlanRequests } from "../api/admin";

/** Plan upgrades users asked for, each approved or refused here. Hidden when there are none. */
function PlanRequests({ users }: { users: User[] }) {
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

export default function UsersPage() {
  const users = useAdminUsers();
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
                  <th scope="col" className="px-5 py-3 font-medium">Joined</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td className="px-5 py-3">
                      <span className="font-medium">{u.name || "—"}</span>
                      {/* At phone width the e-mail sits under the name instead of in its own column. */}
                      <span className="block text-xs break-all text-slate-500 sm:hidden">{u.email}</span>
                    </td>
                    <td className="hidden px-3 py-3 sm:table-cell">{u.email}</td>
                    <td className="px-3 py-3"><Badge tone={u.role === "admin" ? "violet" : "gray"}>{u.role}</Badge></td>
                    <td className="px-5 py-3 whitespace-nowrap text-slate-500">{formatDate(u.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
