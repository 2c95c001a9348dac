import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { KeyValue } from "@/components/ui/misc";
import { Notice } from "@/components/ui/states";
import { formatAge, formatCpu, formatDateTime } from "@/lib/format";
import { Conditions } from "../components/Conditions";
import { EventsTimeline } from "../components/EventsTimeline";
import { Gauges } from "../components/Gauges";
import { UsageCard, UsageWarnings } from "../components/UsageCard";
import { useTenantUsage } from "../api/tenant";
import { useTenantContext } from "../utils/tenant-context";

export function OverviewTab() {
  const t = useTenantContext();
  const status = t.status;
  const converging = (status?.observedGeneration ?? 0) < t.metadata.generation;
  const usage = useTenantUsage(t.metadata.name);
  return (
    <div className="space-y-6">
      {status?.message && (status.phase === "Failed" || status.phase === "Degraded") && (
        <Notice tone="warning" title={`The site is ${status.phase.toLowerCase()}`}>{status.message}</Notice>
      )}
      {usage.data && <UsageWarnings usage={usage.data} />}
      <Gauges name={t.metadata.name} running={status?.phase === "Running"} />
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        <Card>
          <CardHeader title="Status" description={converging ? "Applying your latest change…" : "Up to date with your settings"} />
          <CardBody>
            <KeyValue
              items={[
                ["Address", status?.url ? <a className="text-indigo-600 hover:underline dark:text-indigo-400" href={status.url} target="_blank" rel="noreferrer">{status.url}</a> : "—"],
                ["Replicas", `${status?.replicas?.running ?? 0} running of ${t.spec.replicas ?? 1}`],
                ["Resources", `${formatCpu(t.spec.resources?.cpu)} · ${t.spec.resources?.memory ?? "—"} per replica`],
                ["State", t.spec.state ?? "Running"],
                ["Image", <span className="font-mono text-xs">{status?.image ?? t.spec.image ?? "platform default"}</span>],
                ["Generation", `${status?.observedGeneration ?? 0} / ${t.metadata.generation}`],
                ["Created", `${formatDateTime(t.metadata.creationTimestamp)} (${formatAge(t.metadata.creationTimestamp)})`],
                ["Admin", `${t.spec.admin.user ?? "admin"} <${t.spec.admin.email}>`],
              ]}
            />
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Conditions" />
          <CardBody className="py-2">
            <Conditions conditions={status?.conditions ?? []} />
          </CardBody>
        </Card>
      </div>
      <UsageCard name={t.metadata.name} />
      <Card>
        <CardHeader title="Events" description="What the controller did, newest first" />
        <CardBody>
          <EventsTimeline name={t.metadata.name} />
        </CardBody>
      </Card>
    </div>
  );
}
