import { ArrowUpCircle, Clock, Receipt } from "lucide-react";
import { useSearchParams } from "react-router";
import { usePlans, useSubscription } from "@/api/resources/account";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { ProgressBar } from "@/components/ui/misc";
import { EmptyState, ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { formatDate, formatMoney, usagePercent } from "@/lib/format";
import { useInvoices } from "../api/billing";
import { UpgradeDialog } from "../components/UpgradeDialog";
import { PlanAllocations } from "../components/PlanAllocations";

function Usage({ label, used, allowed }: { label: string; used: number; allowed?: number | null }) {
  return (
    <div className="space-y-1.5">
      <div className="flex justify-between text-sm">
        <span className="font-medium">{label}</span>
        <span className="text-slate-500">{used} / {allowed ?? "unlimited"}</span>
      </div>
      <ProgressBar value={usagePercent(used, allowed)} label={label} valueText={`${used} of ${allowed ?? "unlimited"}`} />
    </div>
  );
}

const INVOICE_TONE = { paid: "green", open: "amber", void: "gray" } as const;

export function BillingPage() {
  const subscription = useSubscription();
  const invoices = useInvoices();
  const plans = usePlans();
  const [params, setParams] = useSearchParams();
  const upgradeOpen = params.get("upgrade") === "1";
  const setUpgrade = (open: boolean) => {
    const next = new URLSearchParams(params);
    if (open) next.set("upgrade", "1");
    else next.delete("upgrade");
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader title="Billing" description="Your plan, what you use, and your invoices." />
      <div className="space-y-6">
        {subscription.isPending ? (
          <LoadingState label="Loading subscription" />
        ) : subscription.error ? (
          <ErrorState error={subscription.error} onRetry={() => void subscription.refetch()} />
        ) : (
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <Card>
              <CardHeader
                title="Plan"
                actions={<Button onClick={() => setUpgrade(true)} icon={<ArrowUpCircle className="size-4" aria-hidden />}>Change plan</Button>}
              />
              <CardBody>
                <p className="text-2xl font-semibold">{subscription.data.plan.name}</p>
                <p className="text-sm text-slate-500">
                  {formatMoney(subscription.data.plan.priceCents, subscription.data.plan.currency, { freeLabel: "Free" })}
                  {subscription.data.plan.priceCents > 0 && " per month"}
                </p>
                {subscription.data.pending && (
                  <Notice className="mt-3" tone="info" icon={Clock} title={`Change to ${plans.data?.find((p) => p.id === subscription.data.pending?.planId)?.name ?? subscription.data.pending.planId} requested`}>
                    Asked {formatDate(subscription.data.pending.startedAt)}. An administrator approves plan upgrades; your limits change then.
                  </Notice>
                )}
                <div className="mt-3">
                  <PlanAllocations plan={subscription.data.plan} />
                </div>
              </CardBody>
            </Card>
            <Card>
              <CardHeader title="Usage" />
              <CardBody className="space-y-4">
                <Usage label="Sites" used={subscription.data.usage.instances.used} allowed={subscription.data.usage.instances.allowed} />
                {subscription.data.usage.replicas && (
                  <Usage label="Replicas" used={subscription.data.usage.replicas.used} allowed={subscription.data.usage.replicas.allowed} />
                )}
              </CardBody>
            </Card>
            <UpgradeDialog open={upgradeOpen} onClose={() => setUpgrade(false)} current={subscription.data.plan} />
          </div>
        )}
        <Card>
          <CardHeader title="Invoices" />
          <CardBody className="p-0">
            {invoices.isPending ? (
              <LoadingState label="Loading invoices" />
            ) : invoices.error ? (
              <ErrorState className="m-4" error={invoices.error} onRetry={() => void invoices.refetch()} />
            ) : invoices.data.length === 0 ? (
              <EmptyState icon={Receipt} title="No invoices yet" />
            ) : (
              <div className="overflow-x-auto">
                <table className="w-full text-left text-sm">
                  <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800">
                    <tr>
                      <th scope="col" className="px-5 py-3 font-medium">Issued</th>
                      <th scope="col" className="px-3 py-3 font-medium">Description</th>
                      <th scope="col" className="px-3 py-3 font-medium">Period</th>
                      <th scope="col" className="px-3 py-3 font-medium">Status</th>
                      <th scope="col" className="px-5 py-3 text-right font-medium">Amount</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                    {invoices.data.map((inv) => (
                      <tr key={inv.id}>
                        <td className="px-5 py-3 whitespace-nowrap">{formatDate(inv.issuedAt)}</td>
                        <td className="px-3 py-3">{inv.description}</td>
                        <td className="px-3 py-3 whitespace-nowrap text-slate-500">{formatDate(inv.periodStart)} – {formatDate(inv.periodEnd)}</td>
                        <td className="px-3 py-3"><Badge tone={INVOICE_TONE[inv.status] ?? "gray"}>{inv.status}</Badge></td>
                        <td className="px-5 py-3 text-right font-medium whitespace-nowrap">{formatMoney(inv.amountCents, inv.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </CardBody>
        </Card>
      </div>
    </>
  );
}
