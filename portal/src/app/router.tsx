import { lazy } from "react";
import { createBrowserRouter, Link } from "react-router";
import { buttonClasses } from "@/components/ui/styles";
import { EmptyState } from "@/components/ui/states";
import { DashboardPage } from "@/features/dashboard/routes/DashboardPage";
import { LoginPage } from "@/features/auth/routes/LoginPage";
import { RegisterPage } from "@/features/auth/routes/RegisterPage";
import { InstancesPage } from "@/features/instances/routes/InstancesPage";
import { CreateInstancePage } from "@/features/instances/routes/CreateInstancePage";
import { InstanceDetailPage } from "@/features/instances/routes/InstanceDetailPage";
import { OverviewTab } from "@/features/instances/routes/OverviewTab";
import { LogsTab } from "@/features/instances/routes/LogsTab";
import { SettingsTab } from "@/features/instances/routes/SettingsTab";
import { RequireAdmin, RequireAuth, RequireGuest } from "./guards";
import { AppLayout } from "./AppLayout";
import { RouteError } from "./RouteError";

// Code-split: Recharts (analytics), the YAML page, and pages most users never open.
const AnalyticsTab = lazy(() => import("@/features/instances/routes/AnalyticsTab").then((m) => ({ default: m.AnalyticsTab })));
const ApplyPage = lazy(() => import("@/features/apply/routes/ApplyPage"));
const BillingPage = lazy(() => import("@/features/billing/routes/BillingPage").then((m) => ({ default: m.BillingPage })));
const ProfilePage = lazy(() => import("@/features/account/routes/ProfilePage").then((m) => ({ default: m.ProfilePage })));
const TokensPage = lazy(() => import("@/features/account/routes/TokensPage").then((m) => ({ default: m.TokensPage })));
const MaintenancePage = lazy(() => import("@/features/admin/routes/MaintenancePage"));
const UsersPage = lazy(() => import("@/features/admin/routes/UsersPage"));
const InvoicesPage = lazy(() => import("@/features/admin/routes/InvoicesPage"));
const ClusterPage = lazy(() => import("@/features/admin/routes/ClusterPage"));
const RolloutsPage = lazy(() => import("@/features/admin/routes/RolloutsPage"));

function NotFound() {
  return (
    <EmptyState title="Page not found" action={<Link to="/" className={buttonClasses("secondary", "sm")}>Go to the dashboard</Link>}>
      The address may be mistyped, or the page has moved.
    </EmptyState>
  );
}

export const router = createBrowserRouter([
  { path: "/login", element: <RequireGuest><LoginPage /></RequireGuest>, errorElement: <RouteError /> },
  { path: "/register", element: <RequireGuest><RegisterPage /></RequireGuest>, errorElement: <RouteError /> },
  {
    path: "/",
    element: <RequireAuth><AppLayout /></RequireAuth>,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: "instances", element: <InstancesPage /> },
      { path: "instances/new", element: <CreateInstancePage /> },
      {
        path: "instances/:name",
        element: <InstanceDetailPage />,
        children: [
          { index: true, element: <OverviewTab /> },
          { path: "analytics", element: <AnalyticsTab /> },
          { path: "logs", element: <LogsTab /> },
          { path: "settings", element: <SettingsTab /> },
        ],
      },
      { path: "apply", element: <ApplyPage /> },
      { path: "billing", element: <BillingPage /> },
      { path: "account", element: <ProfilePage /> },
      { path: "account/tokens", element: <TokensPage /> },
      { path: "admin/maintenance", element: <RequireAdmin><MaintenancePage /></RequireAdmin> },
      { path: "admin/rollouts", element: <RequireAdmin><RolloutsPage /></RequireAdmin> },
      { path: "admin/users", element: <RequireAdmin><UsersPage /></RequireAdmin> },
      { path: "admin/invoices", element: <RequireAdmin><InvoicesPage /></RequireAdmin> },
      { path: "admin/cluster", element: <RequireAdmin><ClusterPage /></RequireAdmin> },
      { path: "*", element: <NotFound /> },
    ],
  },
]);
