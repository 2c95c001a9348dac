import { ExternalLink, Globe, Plus, Search } from "lucide-react";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { useTenantList } from "@/api/resources/tenants";
import type { Phase } from "@/api/types";
import { matchesLabelSelector } from "@/api/watch";
import { PhaseBadge } from "@/components/PhaseBadge";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/styles";
import { Card, PageHeader } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { useAdminUsers } from "@/api/resources/users";
import { formatAge } from "@/lib/format";
import { isAdmin, useSession } from "@/lib/session";
import { labelSelectorError } from "@/lib/validation";
import { LiveIndicator } from "../components/LiveIndicator";
import { useWatchConnected } from "@/api/resources/watch-status";

const PHASES: Phase[] = ["Pending", "Provisioning", "Running", "Updating", "Stopped", "Degraded", "Failed", "Deleting"];

export function InstancesPage() {
  const tenants = useTenantList();
  const connected = useWatchConnected();
  // Administrators see every user's sites: the owner column tells whose each is.
  const { user } = useSession();
  const admin = isAdmin(user);
  const users = useAdminUsers({ enabled: admin });
  const ownerOf = (id: string) => (id === user?.id ? "you" : users.data?.find((u) => u.id === id)?.email ?? id.slice(0, 8));
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const phase = params.get("phase") ?? "";
  const selector = params.get("labels") ?? "";
  const selectorProblem = labelSelectorError(selector);

  const update = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const all = tenants.data?.items;
  const items = useMemo(() => {
    const query = q.trim().toLowerCase();
    return (all ?? []).filter(
      (t) =>
        (!query ||
          t.metadata.name.includes(query) ||
          t.spec.displayName.toLowerCase().includes(query)) &&
        (!phase || (t.status?.phase ?? "Pending") === phase) &&
        (selectorProblem !== null || !selector || matchesLabelSelector(t, selector)),
    );
  }, [all, q, phase, selector, selectorProblem]);

  const filtered = Boolean(q || phase || selector);

  return (
    <>
      <PageHeader
        title="Sites"
        description={<span className="inline-flex items-center gap-2">Your WordPress instances <LiveIndicator connected={connected} /></span>}
        actions={
          <Link to="/instances/new" className={buttonClasses("primary")}>
            <Plus className="size-4" aria-hidden /> New site
          </Link>
        }
      />
      <Card className="mb-4 p-4">
        <div className="grid grid-cols-1 gap-3 md:grid-cols-[1fr_12rem_1fr]">
          <Field label="Search">
            <div className="relative">
              <Search className="pointer-events-none absolute top-3 left-3 size-4 text-slate-400" aria-hidden />
              <Input className="pl-9" type="search" placeholder="Name" value={q} onChange={(e) => update("q", e.target.value)} />
            </div>
          </Field>
          <Field label="Phase">
            <Select value={phase} onChange={(e) => update("phase", e.target.value)}>
              <option value="">All phases</option>
              {PHASES.map((p) => (
                <option key={p} value={p}>{p}</option>
              ))}
            </Select>
          </Field>
          <Field label="Label selector" hint="e.g. team=web,env!=dev" error={selectorProblem}>
            <Input value={selector} placeholder="key=value" onChange={(e) => update("labels", e.target.value)} spellCheck={false} />
          </Field>
        </div>
      </Card>

      {tenants.isPending ? (
        <LoadingState label="Loading sites" />
      ) : tenants.error ? (
        <ErrorState error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : items.length === 0 ? (
        <Card>
          {filtered ? (
            <EmptyState icon={Search} title="No site matches these filters">
              Clear the search, phase or label selector to see every site.
            </EmptyState>
          ) : (
            <EmptyState
              icon={Globe}
              title="No sites yet"
              action={<Link to="/instances/new" className={buttonClasses("primary", "sm")}>Create a site</Link>}
            >
              Each site gets its own database, storage and address.
            </EmptyState>
          )}
        </Card>
      ) : (
        <Card className="overflow-hidden">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Sites</caption>
            <thead className="hidden border-b border-slate-200 bg-slate-50 text-xs tracking-wide text-slate-500 uppercase md:table-header-group dark:border-slate-800 dark:bg-slate-900/60">
              <tr>
                <th scope="col" className="px-5 py-3 font-medium">Site</th>
                <th scope="col" className="px-3 py-3 font-medium">Phase</th>
                <th scope="col" className="px-3 py-3 font-medium">Replicas</th>
                <th scope="col" className="px-3 py-3 font-medium">Region</th>
                {admin && <th scope="col" className="px-3 py-3 font-medium">Owner</th>}
                <th scope="col" className="px-3 py-3 font-medium">Labels</th>
                <th scope="col" className="px-3 py-3 font-medium">Age</th>
                <th scope="col" className="px-5 py-3"><span className="sr-only">Open</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {items.map((t) => (
                <tr key={t.metadata.uid} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 md:table-row md:p-0" data-testid={`tenant-row-${t.metadata.name}`}>
                  <td className="w-full min-w-0 md:w-auto md:px-5 md:py-3">
                    <Link to={`/instances/${t.metadata.name}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                      {t.spec.displayName || t.metadata.name}
                    </Link>
                    <p className="text-xs text-slate-500">{t.metadata.name}</p>
                  </td>
                  <td className="md:px-3 md:py-3"><PhaseBadge phase={t.status?.phase} /></td>
                  <td className="text-slate-600 md:px-3 md:py-3 dark:text-slate-300">
                    <span className="md:hidden">Replicas </span>
                    {t.status?.replicas?.running ?? 0}/{t.spec.replicas ?? 1}
                  </td>
                  <td className="text-slate-600 md:px-3 md:py-3 dark:text-slate-300">{t.spec.region}</td>
                  {admin && (
                    <td className="max-w-48 text-xs break-all text-slate-600 md:px-3 md:py-3 dark:text-slate-300" data-testid="tenant-owner">
                      <span className="md:hidden">Owner </span>
                      {ownerOf(t.metadata.owner)}
                    </td>
                  )}
                  <td className="hidden md:table-cell md:px-3 md:py-3">
                    <div className="flex max-w-64 flex-wrap gap-1">
                      {Object.entries(t.metadata.labels ?? {}).map(([k, v]) => (
                        <Badge key={k} tone="gray" className="font-mono">{k}={v}</Badge>
                      ))}
                    </div>
                  </td>
                  <td className="text-slate-500 md:px-3 md:py-3">{formatAge(t.metadata.creationTimestamp)}</td>
                  <td className="ml-auto md:px-5 md:py-3 md:text-right">
                    {t.status?.url && t.status.phase === "Running" && (
                      <a
                        href={t.status.url}
                        target="_blank"
                        rel="noreferrer"
                        className="inline-flex items-center gap-1 text-xs font-medium text-slate-600 hover:text-indigo-600 dark:text-slate-300"
                      >
                        Visit <ExternalLink className="size-3.5" aria-hidden />
                        <span className="sr-only">{t.metadata.name} (opens in a new tab)</span>
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </>
  );
}
