import { ArrowUpRight } from "lucide-react";
import { Link } from "react-router";
import { usePlans, useSubscription } from "@/api/resources/account";
import { Card, CardBody } from "@/components/ui/card";
import { ProgressBar } from "@/components/ui/misc";
import { Skeleton } from "@/components/ui/states";
import { formatMoney, usagePercent } from "@/lib/format";
import { planAllowingMore, quotaReached } from "../utils/quota";

export function QuotaPanel() {
  const subscription = useSubscription();
  const plans = usePlans();
  if (subscription.isPending) {
    return (
      <Card><CardBody><Skeleton className="h-16 w-full" /></CardBody></Card>
    );
  }
  if (subscription.error || !subscription.data) return null;
  const { used, allowed } = subscription.data.usage.instances;
  const full = quotaReached(used, allowed);
  const better = full && plans.data ? planAllowingMore(plans.data, used) : undefined;
  return (
    <Card>
      <CardBody className="space-y-3">
        <div className="flex items-baseline justify-between text-sm">
          <span className="font-medium">Sites on the {subscription.data.plan.name} plan</span>
          <span className="text-slate-500">{used} / {allowed ?? "∞"}</span>
        </div>
        <ProgressBar value={usagePercent(used, allowed)} label="Sites used" valueText={`${used} of ${allowed ?? "unlimited"}`} />
        {full && (
          <div role="alert" className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950/40 dark:text-amber-200">
            <p className="font-medium">You have used every site your plan allows.</p>
            {better ? (
              <p className="mt-1">
                The <strong>{better.name}</strong> plan allows {better.maxInstances == null ? "unlimited sites" : better.maxInstances === 1 ? "1 site" : `${better.maxInstances} sites`}
                {" "}for {formatMoney(better.priceCents, better.currency, { freeLabel: "free" })}/month.{" "}
                <Link to="/billing?upgrade=1" className="inline-flex items-center gap-0.5 font-medium underline">
                  Upgrade <ArrowUpRight className="size-3.5" aria-hidden />
                </Link>
              </p>
            ) : (
              <p className="mt-1">Delete a site to make room.</p>
            )}
          </div>
        )}
      </CardBody>
    </Card>
  );
}
