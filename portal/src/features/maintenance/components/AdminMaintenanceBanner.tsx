import { Wrench } from "lucide-react";
import { useMaintenanceStatus } from "../api/status";

/** What admins see instead of the blocking popup while a window is active. */
export function AdminMaintenanceBanner() {
  const { data } = useMaintenanceStatus();
  if (!data?.active) return null;
  return (
    <div role="status" className="flex items-center gap-2 bg-amber-100 px-4 py-2 text-sm text-amber-900 sm:px-6 dark:bg-amber-950 dark:text-amber-200">
      <Wrench className="size-4" aria-hidden />
      Maintenance is active: users see a blocking notice{data.message ? ` — ${data.message}` : ""}.
    </div>
  );
}
