import { Server } from "lucide-react";
import { Link } from "react-router";
import { errorMessage } from "@/api/problem";
import type { ClusterNode } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { EmptyState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatBytes } from "@/lib/format";
import { useClusterNodes, useSetAvailability } from "../api/admin";

function NodeActions({ node }: { node: ClusterNode }) {
  const set = useSetAvailability();
  const toast = useToast();
  const availability = node.availability.toLowerCase();
  const change = (to: "active" | "drain") =>
    set.mutate(
      { id: node.id, availability: to },
      {
        onSuccess: () => toast({ title: to === "drain" ? `Draining ${node.hostname}` : `${node.hostname} is active`, tone: "success" }),
        onError: (error) => toast({ title: "Not changed", description: errorMessage(error), tone: "error" }),
      },
    );
  return availability === "active" ? (
    <Button variant="secondary" size="sm" loading={set.isPending} onClick={() => change("drain")}>Drain<span className="sr-only"> {node.hostname}</span></Button>
  ) : (
    <Button size="sm" loading={set.isPending} onClick={() => change("active")}>Activate<span className="sr-only"> {node.hostname}</span></Button>
  );
}

export default function ClusterPage() {
  const cluster = useClusterNodes();
  return (
    <>
      <PageHeader title="Cluster" description="Swarm nodes. Draining a node moves its sites elsewhere, each started on another node of its region before it stops here." />
      {cluster.isPending ? (
        <LoadingState label="Loading cluster" />
      ) : cluster.error ? (
        <QueryError error={cluster.error} onRetry={() => void cluster.refetch()} />
      ) : (
        <div className="space-y-6">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
            <Card className="p-5"><p className="text-sm text-slate-500">Nodes</p><p className="text-2xl font-semibold">{cluster.data.nodes.length}</p></Card>
            <Card className="p-5"><p className="text-sm text-slate-500">CPUs</p><p className="text-2xl font-semibold">{cluster.data.totals?.cpus ?? "—"}</p></Card>
            <Card className="p-5"><p className="text-sm text-slate-500">Memory</p><p className="text-2xl font-semibold">{formatBytes(cluster.data.totals?.memoryBytes)}</p></Card>
          </div>
          <Card>
            <CardHeader title="Nodes" description={cluster.data.services ? `${cluster.data.services.running ?? 0} of ${cluster.data.services.total ?? 0} services running` : undefined} />
            <CardBody className="p-0">
              {cluster.data.nodes.length === 0 ? (
                <EmptyState icon={Server} title="No nodes reported" />
              ) : (
                <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                  {cluster.data.nodes.map((n) => (
                    <li key={n.id} className="flex flex-wrap items-center gap-3 px-5 py-3 text-sm">
                      <Server className="size-4 text-slate-400" aria-hidden />
                      {/* Wide enough for its line of facts; the badges wrap below on phones. */}
                      <div className="min-w-40 flex-1">
                        <p className="font-medium">{n.hostname}</p>
                        <p className="text-xs text-slate-500">{n.cpus ?? "—"} CPU · {formatBytes(n.memoryBytes)} · {n.role}</p>
                        <p className="text-xs text-slate-500">
                          {n.regions.length > 0 ? `Regions: ${n.regions.join(", ")}` : "In no region"} ·{" "}
                          {n.sites.length === 0 ? "no sites" : `${n.sites.length} site${n.sites.length === 1 ? "" : "s"}`}
                        </p>
                        {n.sites.length > 0 && (
                          <p className="mt-1 flex flex-wrap gap-1">
                            {n.sites.map((site) => (
                              <Link key={site} to={`/instances/${site}`} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 hover:underline dark:bg-slate-800 dark:text-slate-300">
                                {site}
                              </Link>
                            ))}
                          </p>
                        )}
                      </div>
                      <Badge tone={n.state.toLowerCase() === "ready" ? "green" : "red"} dot>{n.state}</Badge>
                      <Badge tone={n.availability.toLowerCase() === "active" ? "green" : "amber"}>{n.draining ? "draining: sites moving" : n.availability}</Badge>
                      <NodeActions node={n} />
                    </li>
                  ))}
                </ul>
              )}
            </CardBody>
          </Card>
        </div>
      )}
    </>
  );
}
