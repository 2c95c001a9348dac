import { Wrench } from "lucide-react";
import { useMaintenanceStatus } from "@/api/resources/notices";
import { formatDateTime } from "@/lib/format";
import { Announcements } from "./Announcements";

/**
 * What a visitor should know before signing in: maintenance in progress (sign-in still works;
 * the portal waits until it ends) and the active announcements.
 */
export function PublicNotices() {
  const { data: maintenance } = useMaintenanceStatus();
  return (
    <div className="space-y-3">
      {maintenance?.active && (
        <div role="status" className="flex gap-3 rounded-xl border border-violet-200 bg-violet-50 p-4 text-sm text-violet-900 dark:border-violet-900 dark:bg-violet-950/40 dark:text-violet-100" data-testid="maintenance-status">
          <Wrench className="mt-0.5 size-5 shrink-0" aria-hidden />
          <div className="min-w-0">
            <p className="font-semibold">Maintenance in progress</p>
            {maintenance.message && <p className="mt-0.5 whitespace-pre-line">{maintenance.message}</p>}
            {maintenance.window && <p className="mt-1 text-xs opacity-75">Until {formatDateTime(maintenance.window.end)}</p>}
          </div>
        </div>
      )}
      <Announcements />
    </div>
  );
}
