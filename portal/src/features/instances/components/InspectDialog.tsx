import { errorMessage, isUnavailable } from "@/api/problem";
import { Dialog } from "@/components/ui/dialog";
import { CopyButton } from "@/components/ui/misc";
import { ErrorState, LoadingState, Notice } from "@/components/ui/states";
import { useTenantInspect } from "../api/tenant";

/** The service, tasks, mounts and networks behind a site (secrets masked by the API). */
export function InspectDialog({ name, open, onClose }: { name: string; open: boolean; onClose: () => void }) {
  const inspect = useTenantInspect(name, open);
  const text = inspect.data ? JSON.stringify(inspect.data, null, 2) : "";
  return (
    <Dialog open={open} onClose={onClose} title={`Inspect ${name}`} description="The Swarm service as the platform sees it." size="xl">
      {inspect.isPending ? (
        <LoadingState label="Inspecting" />
      ) : inspect.error ? (
        isUnavailable(inspect.error) ? (
          <Notice title="Inspection unavailable">{errorMessage(inspect.error)}</Notice>
        ) : (
          <ErrorState error={inspect.error} onRetry={() => void inspect.refetch()} />
        )
      ) : (
        <div className="space-y-2">
          <div className="flex justify-end"><CopyButton text={text} label="Copy JSON" /></div>
          <pre className="max-h-[60vh] overflow-auto rounded-lg bg-slate-950 p-4 font-mono text-xs text-slate-100" tabIndex={0}>
            {text}
          </pre>
        </div>
      )}
    </Dialog>
  );
}
