import { Server } from "lucide-react";
import { Link } from "react-router";
import { errorMessage, isUnavailable } from "@/api/problem";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { formatBytes } from "@/lib/format";
import { useCluster } from "../api/dashboard";

export function ClusterHealth() {
  const { data, error, isPending, refetch } = useCluster(true);
  return (
    <Card>
      <CardHeader
        title="Cluster health"
        description="Swarm nodes and capacity"
        actions={<Link to="/admin/cluster" className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">Manage</Link>}
      />
      <CardBody>
        {isPending ? (
          <LoadingState label="Loading cluster" />
        ) : error ? (
          isUnavailable(error) ? (
            <Notice title="Cluster status unavailable">{errorMessage(error)}</Notice>
          ) : (
            <ErrorState error={error} onRetry={() => void refetch()} />
          )
        ) : (
          <ul className="divide-y divide-slate-200 dark:divide-slate-800">
            {data.nodes.map((node) => {
              const ready = node.state.toLowerCase() === "ready";
              const active = node.availability.toLowerCase() === "active";
              return (
                <li key={node.id} className="flex flex-wrap items-center gap-3 py-2.5 text-sm">
                  <Server className="size-4 text-slate-400" aria-hidden />
                  <span className="font-medium">{node.hostname}</span>
                  <Badge tone="gray">{node.role}</Badge>
                  <span className="ml-auto flex gap-2">
                    <Badge tone={ready ? "green" : "red"} dot>{node.state}</Badge>
                    <Badge tone={active ? "green" : "amber"}>{node.availability}</Badge>
                  </span>
                  <span className="w-full text-xs text-slate-500 sm:w-auto">
                    {node.cpus ?? "—"} CPU · {formatBytes(node.memoryBytes)}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}
