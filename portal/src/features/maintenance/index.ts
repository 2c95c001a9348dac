export { MaintenanceGate } from "./components/MaintenanceGate";
export { AdminMaintenanceBanner } from "./components/AdminMaintenanceBanner";
