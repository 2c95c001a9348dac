import { ArrowDownUp, Cpu, Globe, HardDrive, MemoryStick, Plus, Server } from "lucide-react";
import { Link } from "react-router";
import { errorMessage, isUnavailable } from "@/api/problem";
import { MetricsSourceNote } from "@/components/MetricsSourceNote";
import { useTenantList } from "@/api/resources/tenants";
import { PhaseBadge } from "@/components/PhaseBadge";
import { buttonClasses } from "@/components/ui/styles";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { isAdmin, useSession } from "@/lib/session";
import { formatAge, formatBytes, formatPercent, formatRate, formatTime } from "@/lib/format";
import { useMonitoringSummary } from "../api/dashboard";
import { ClusterHealth } from "../components/ClusterHealth";
import { StatCard } from "../components/StatCard";

function Metrics() {
  const summary = useMonitoringSummary();
  if (summary.error) {
    return isUnavailable(summary.error) ? (
      <Notice title="Metrics unavailable" tone="neutral" className="sm:col-span-1 lg:col-span-2 xl:col-span-4">
        {errorMessage(summary.error)}
      </Notice>
    ) : (
      <ErrorState className="sm:col-span-1 lg:col-span-2 xl:col-span-4" error={summary.error} title="Cannot load metrics" onRetry={() => void summary.refetch()} />
    );
  }
  const data = summary.data;
  return (
    <>
      <StatCard icon={Cpu} label="CPU" loading={summary.isPending} value={formatPercent(data?.cpuPercent)} detail="across running sites" />
      <StatCard
        icon={MemoryStick}
        label="Memory"
        loading={summary.isPending}
        value={formatBytes(data?.memoryBytes)}
        detail={data?.memoryLimitBytes ? `of ${formatBytes(data.memoryLimitBytes)} limit` : "in use"}
      />
      <StatCard
        icon={ArrowDownUp}
        label="Network"
        loading={summary.isPending}
        value={formatRate((data?.networkRxBytesPerSec ?? 0) + (data?.networkTxBytesPerSec ?? 0))}
        detail={data ? `↓ ${formatRate(data.networkRxBytesPerSec)} · ↑ ${formatRate(data.networkTxBytesPerSec)}` : undefined}
      />
      <StatCard
        icon={HardDrive}
        label="Storage"
        loading={summary.isPending}
        value={formatBytes(data?.storageBytes)}
        detail="files and databases of your sites"
      />
      {data && (
        <p className="text-xs text-slate-500 sm:col-span-2 lg:col-span-3 xl:col-span-5" data-testid="metrics-source">
          <MetricsSourceNote source={data.source} /> · {formatTime(data.timestamp)}
        </p>
      )}
    </>
  );
}

export function DashboardPage() {
  const { user } = useSession();
  const tenants = useTenantList();
  const items = tenants.data?.items ?? [];
  const running = items.filter((t) => t.status?.phase === "Running").length;
  const recent = [...items]
    .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))
    .slice(0, 6);

  return (
    <>
      <PageHeader
        title={`Welcome${user?.name ? `, ${user.name}` : ""}`}
        description="Your sites at a glance."
        actions={
          <Link to="/instances/new" className={buttonClasses("primary")}>
            <Plus className="size-4" aria-hidden /> New site
          </Link>
        }
      />
      <div className="space-y-6">
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-5">
          <StatCard
            icon={Server}
            label="Sites"
            loading={tenants.isPending}
            value={items.length}
            detail={`${running} running`}
          />
          <Metrics />
        </div>
        <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
          <Card>
            <CardHeader
              title="Recent sites"
              actions={<Link to="/instances" className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">View all</Link>}
            />
            <CardBody className="p-0">
              {tenants.isPending ? (
                <LoadingState label="Loading sites" />
              ) : tenants.error ? (
                <ErrorState className="m-4" error={tenants.error} onRetry={() => void tenants.refetch()} />
              ) : recent.length === 0 ? (
                <EmptyState
                  icon={Globe}
                  title="No sites yet"
                  action={<Link to="/instances/new" className={buttonClasses("primary", "sm")}>Create your first site</Link>}
                >
                  A WordPress site with its own database and storage, ready in about a minute.
                </EmptyState>
              ) : (
                <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                  {recent.map((t) => (
                    <li key={t.metadata.uid}>
                      <Link
                        to={`/instances/${t.metadata.name}`}
                        className="flex items-center gap-3 px-5 py-3 hover:bg-slate-50 focus-visible:bg-slate-50 focus-visible:outline-none dark:hover:bg-slate-800/50 dark:focus-visible:bg-slate-800/50"
                      >
                        <div className="min-w-0 flex-1">
                          <p className="truncate text-sm font-medium">{t.spec.displayName || t.metadata.name}</p>
                          <p className="truncate text-xs text-slate-500">{t.metadata.name} · {t.spec.region} · {formatAge(t.metadata.creationTimestamp)}</p>
                        </div>
                        <PhaseBadge phase={t.status?.phase} />
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </CardBody>
          </Card>
          {isAdmin(user) && <ClusterHealth />}
        </div>
      </div>
    </>
  );
}
