// What a plan gives each site, as data: counts and allocations, then each feature marked as
// measured (something the platform enforces or meters) or as a label (a name only).
import { Check, Tag } from "lucide-react";
import type { Plan } from "@/api/types";
import { formatMib } from "@/lib/format";

export function PlanAllocations({ plan }: { plan: Plan }) {
  const details = plan.featureDetails ?? [];
  return (
    <ul className="space-y-1 text-sm text-slate-600 dark:text-slate-300" aria-label={`What the ${plan.name} plan gives`}>
      <li>{plan.maxInstances == null ? "Unlimited sites" : plan.maxInstances === 1 ? "1 site" : `${plan.maxInstances} sites`}</li>
      <li>Up to {plan.maxReplicas} {plan.maxReplicas === 1 ? "replica" : "replicas"} per site</li>
      <li>
        {plan.maxCpuMillis / 1000} vCPU, {formatMib(plan.maxMemoryMib)} and {plan.phpWorkersPerReplica} PHP workers per replica
      </li>
      <li>{formatMib(plan.storageMib)} storage per site</li>
      <li>{plan.bandwidthGib >= 1024 ? `${plan.bandwidthGib / 1024} TiB` : `${plan.bandwidthGib} GiB`} traffic per site a month</li>
      {details.map((f) => (
        <li key={f.name} className="flex items-start gap-1.5" title={f.meaning}>
          {f.kind === "measured" ? (
            <Check className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
          ) : (
            <Tag className="mt-0.5 size-4 shrink-0 text-slate-400" aria-hidden />
          )}
          <span>
            {f.name}
            {f.kind === "label" ? (
              <span className="ml-1 text-xs text-slate-500">(label: {f.meaning.replace(/^a label(: | for now: )/, "")})</span>
            ) : (
              <span className="ml-1 text-xs text-slate-500">({f.meaning})</span>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}
