import { ArrowLeft, ExternalLink, SearchCode } from "lucide-react";
import { useState } from "react";
import { Link, NavLink, Outlet, useParams } from "react-router";
import { isApiError } from "@/api/problem";
import { useWatchConnected } from "@/api/resources/watch-status";
import { PhaseBadge } from "@/components/PhaseBadge";
import { Button } from "@/components/ui/button";
import { buttonClasses, focusRing } from "@/components/ui/styles";
import { PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { cn } from "@/lib/cn";
import { useTenant } from "../api/tenant";
import { InspectDialog } from "../components/InspectDialog";
import { LiveIndicator } from "../components/LiveIndicator";

const TABS = [
  { to: "", label: "Overview", end: true },
  { to: "analytics", label: "Analytics" },
  { to: "logs", label: "Logs" },
  { to: "settings", label: "Settings" },
];

export function InstanceDetailPage() {
  const { name = "" } = useParams();
  const tenant = useTenant(name);
  const connected = useWatchConnected();
  const [inspecting, setInspecting] = useState(false);

  const back = (
    <Link to="/instances" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800 dark:hover:text-slate-200">
      <ArrowLeft className="size-4" aria-hidden /> Sites
    </Link>
  );

  if (tenant.isPending) return <LoadingState label="Loading site" />;
  if (tenant.error) {
    if (isApiError(tenant.error, 404)) {
      return (
        <>
          <PageHeader title={name} back={back} />
          <EmptyState title="This site does not exist" action={<Link className={buttonClasses("secondary", "sm")} to="/instances">Back to sites</Link>}>
            It may have been deleted.
          </EmptyState>
        </>
      );
    }
    return <ErrorState error={tenant.error} onRetry={() => void tenant.refetch()} />;
  }
  const t = tenant.data;
  if (!t) {
    // The watch stream reported it deleted.
    return (
      <>
        <PageHeader title={name} back={back} />
        <EmptyState title="This site was deleted" action={<Link className={buttonClasses("secondary", "sm")} to="/instances">Back to sites</Link>} />
      </>
    );
  }
  const url = t.status?.url;
  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="inline-flex flex-wrap items-center gap-3">
            {t.spec.displayName || t.metadata.name}
            <PhaseBadge phase={t.status?.phase} />
          </span>
        }
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="font-mono">{t.metadata.name}</span> · {t.spec.region}
            {t.status?.nodes && t.status.nodes.length > 0 && (
              <span title="The nodes its tasks run on">· on {t.status.nodes.join(", ")}</span>
            )}{" "}
            <LiveIndicator connected={connected} />
          </span>
        }
        actions={
          <>
            <Button variant="secondary" onClick={() => setInspecting(true)} icon={<SearchCode className="size-4" aria-hidden />}>
              Inspect
            </Button>
            {url && (
              <a href={url} target="_blank" rel="noreferrer" className={buttonClasses("primary")} data-testid="visit-site">
                Visit site <ExternalLink className="size-4" aria-hidden />
              </a>
            )}
          </>
        }
      />
      <nav aria-label="Site sections" className="mb-6 border-b border-slate-200 dark:border-slate-800">
        <ul className="-mb-px flex gap-1 overflow-x-auto">
          {TABS.map((tab) => (
            <li key={tab.label}>
              <NavLink
                to={tab.to}
                end={tab.end}
                className={({ isActive }) =>
                  cn(
                    "inline-block border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap",
                    focusRing,
                    isActive
                      ? "border-indigo-600 text-indigo-700 dark:text-indigo-300"
                      : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800 dark:hover:text-slate-200",
                  )
                }
              >
                {tab.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet context={t} />
      <InspectDialog name={t.metadata.name} open={inspecting} onClose={() => setInspecting(false)} />
    </>
  );
}
