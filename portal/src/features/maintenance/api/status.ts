export { MAINTENANCE_POLL_MS, useMaintenanceStatus } from "@/api/resources/notices";
