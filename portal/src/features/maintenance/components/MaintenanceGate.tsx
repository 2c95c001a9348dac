import { Wrench } from "lucide-react";
import { Dialog } from "@/components/ui/dialog";
import { Spinner } from "@/components/ui/states";
import { formatDateTime } from "@/lib/format";
import { MAINTENANCE_POLL_MS, useMaintenanceStatus } from "../api/status";

/**
 * Blocks the whole UI with a non-dismissible dialog while a maintenance window is active and
 * lifts it when the next poll says it ended. Admins are let through (they run the window).
 */
export function MaintenanceGate({ bypass = false }: { bypass?: boolean }) {
  const { data } = useMaintenanceStatus();
  const active = Boolean(data?.active) && !bypass;
  const window = data?.window;
  return (
    <Dialog
      open={active}
      onClose={() => undefined}
      dismissible={false}
      title="Scheduled maintenance in progress"
      size="sm"
    >
      <div className="flex flex-col items-center gap-4 py-2 text-center" data-testid="maintenance-popup">
        <div className="rounded-full bg-amber-100 p-3 dark:bg-amber-900/50">
          <Wrench className="size-7 text-amber-700 dark:text-amber-300" aria-hidden />
        </div>
        <p className="text-sm">{data?.message || window?.message || "The platform is being updated."}</p>
        {window && (
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Until {formatDateTime(window.end)}
          </p>
        )}
        <p className="flex items-center gap-2 text-xs text-slate-500 dark:text-slate-400" role="status">
          <Spinner className="size-4" /> Checking again every {MAINTENANCE_POLL_MS / 1000} seconds…
        </p>
        {/* A focusable element so the dialog can hold focus. */}
        <button type="button" className="sr-only" data-autofocus>
          Waiting for maintenance to end
        </button>
      </div>
    </Dialog>
  );
}
