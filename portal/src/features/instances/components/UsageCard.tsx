// What a site uses of its plan's allocations: storage (files, database, bucket) and this
// month's traffic, with the warning at 80 % and the upload refusal above the allocation.
import { ArrowUpRight, Gauge } from "lucide-react";
import { Link } from "react-router";
import { errorMessage } from "@/api/problem";
import type { AllocationState, TenantUsage } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { ProgressBar } from "@/components/ui/misc";
import { Notice, Skeleton } from "@/components/ui/states";
import { formatBytes, formatDateTime } from "@/lib/format";
import { useMeasureUsage, useTenantUsage } from "../api/tenant";

const STATE_WORDS: Record<AllocationState, string> = {
  within: "within the allocation",
  nearLimit: "close to the allocation",
  exceeded: "over the allocation",
};

/** The banner an owner sees when storage or traffic is close to or over the plan. */
export function UsageWarnings({ usage }: { usage: TenantUsage }) {
  const { storage, bandwidth } = usage;
  return (
    <>
      {storage.state === "exceeded" && (
        <Notice tone="warning" title="Storage is over the plan's allocation: new uploads are refused">
          The site uses {formatBytes(storage.totalBytes)} of {formatBytes(storage.allocationBytes)}. It keeps serving, but
          WordPress refuses new uploads until you free space (then measure again) or{" "}
          <Link to="/billing?upgrade=1" className="inline-flex items-center gap-0.5 font-medium underline">
            upgrade <ArrowUpRight className="size-3.5" aria-hidden />
          </Link>
          .
        </Notice>
      )}
      {storage.state === "nearLimit" && (
        <Notice tone="warning" title={`Storage is at ${storage.percent} % of the plan's allocation`}>
          The site uses {formatBytes(storage.totalBytes)} of {formatBytes(storage.allocationBytes)}; above it, new uploads
          are refused.
        </Notice>
      )}
      {bandwidth.state !== "within" && (
        <Notice tone="warning" title={`Traffic this month is ${STATE_WORDS[bandwidth.state]}`}>
          {formatBytes(bandwidth.bytes)} of {formatBytes(bandwidth.allocationBytes)} in {bandwidth.month}. Traffic is not
          cut off; a bigger plan allows more.
        </Notice>
      )}
    </>
  );
}

export function UsageCard({ name }: { name: string }) {
  const usage = useTenantUsage(name);
  const measure = useMeasureUsage(name);
  const data = usage.data;
  return (
    <Card>
      <CardHeader
        title="Plan usage"
        description={data?.plan ? `Against the ${data.plan} plan's allocations per site` : "Against your plan's allocations per site"}
        actions={
          <Button
            variant="secondary"
            size="sm"
            onClick={() => measure.mutate()}
            loading={measure.isPending}
            icon={<Gauge className="size-4" aria-hidden />}
          >
            Measure now
          </Button>
        }
      />
      <CardBody className="space-y-4">
        {usage.isPending && <Skeleton className="h-24 w-full" />}
        {usage.error && <p role="alert" className="text-sm text-red-600">{errorMessage(usage.error)}</p>}
        {measure.error && <p role="alert" className="text-sm text-red-600">{errorMessage(measure.error)}</p>}
        {data && (
          <>
            <section aria-label="Storage" className="space-y-1.5">
              <div className="flex items-baseline justify-between text-sm">
                <span className="font-medium">Storage</span>
                <span className="text-slate-500">
                  {formatBytes(data.storage.totalBytes)} of {formatBytes(data.storage.allocationBytes)} ({data.storage.percent} %)
                </span>
              </div>
              <ProgressBar
                value={data.storage.percent}
                label="Storage used"
                valueText={`${formatBytes(data.storage.totalBytes)} of ${formatBytes(data.storage.allocationBytes)}, ${STATE_WORDS[data.storage.state]}`}
              />
              <p className="text-xs text-slate-500">
                Files {formatBytes(data.storage.volumeBytes)} · database {formatBytes(data.storage.databaseBytes)} · bucket{" "}
                {formatBytes(data.storage.bucketBytes)} ·{" "}
                {data.storage.measuredAt ? `measured ${formatDateTime(data.storage.measuredAt)}` : "not measured yet"}
              </p>
            </section>
            <section aria-label="Traffic" className="space-y-1.5">
              <div className="flex items-baseline justify-between text-sm">
                <span className="font-medium">Traffic in {data.bandwidth.month}</span>
                <span className="text-slate-500">
                  {formatBytes(data.bandwidth.bytes)} of {formatBytes(data.bandwidth.allocationBytes)} ({data.bandwidth.percent} %)
                </span>
              </div>
              <ProgressBar
                value={data.bandwidth.percent}
                label="Traffic this month"
                valueText={`${formatBytes(data.bandwidth.bytes)} of ${formatBytes(data.bandwidth.allocationBytes)}, ${STATE_WORDS[data.bandwidth.state]}`}
              />
              {data.history.length > 1 && (
                <table className="mt-2 w-full text-xs text-slate-600 dark:text-slate-400">
                  <caption className="sr-only">Traffic per month</caption>
                  <tbody>
                    {data.history.map((m) => (
                      <tr key={m.month}>
                        <th scope="row" className="py-0.5 text-left font-normal">{m.month}</th>
                        <td className="py-0.5 text-right">{formatBytes(m.bytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </CardBody>
    </Card>
  );
}
