import { useQueryClient } from "@tanstack/react-query";
import {
  Building2,
  CreditCard,
  FileCode2,
  Globe,
  KeyRound,
  LayoutDashboard,
  Receipt,
  Rocket,
  Server,
  UserCircle,
  Users,
  Wrench,
} from "lucide-react";
import { Suspense } from "react";
import { Outlet, useNavigate } from "react-router";
import { api } from "@/api/client";
import { keys } from "@/api/keys";
import { useTenantWatch } from "@/api/resources/tenants";
import { WatchStatusContext } from "@/api/resources/watch-status";
import { Shell, type NavSection } from "@/components/layout/Shell";
import { LoadingState } from "@/components/ui/states";
import { Announcements } from "@/components/Announcements";
import { AdminMaintenanceBanner, MaintenanceGate } from "@/features/maintenance";
import { isAdmin, useSession } from "@/lib/session";

const MAIN: NavSection = {
  items: [
    { to: "/", label: "Dashboard", icon: LayoutDashboard, end: true },
    { to: "/instances", label: "Sites", icon: Globe },
    { to: "/apply", label: "Apply YAML", icon: FileCode2 },
    { to: "/billing", label: "Billing", icon: CreditCard },
  ],
};

const ACCOUNT: NavSection = {
  title: "Account",
  items: [
    { to: "/account", label: "Profile", icon: UserCircle, end: true },
    { to: "/account/tokens", label: "API tokens", icon: KeyRound },
  ],
};

const ADMIN: NavSection = {
  title: "Admin",
  items: [
    { to: "/admin/maintenance", label: "Maintenance", icon: Wrench },
    { to: "/admin/rollouts", label: "Rollouts", icon: Rocket },
    { to: "/admin/cluster", label: "Cluster", icon: Server },
    { to: "/admin/users", label: "Users", icon: Users },
    { to: "/admin/invoices", label: "Invoices", icon: Receipt },
  ],
};

/** The signed-in frame: navigation, the live tenant stream, and the maintenance gate. */
export function AppLayout() {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const connected = useTenantWatch(Boolean(user));
  const admin = isAdmin(user);

  const logout = async () => {
    try {
      await api.POST("/auth/logout");
    } finally {
      queryClient.clear();
      queryClient.setQueryData(keys.session, null);
      navigate("/login", { replace: true });
    }
  };

  if (!user) return null;
  return (
    <WatchStatusContext.Provider value={connected}>
      <Shell
        sections={admin ? [MAIN, ACCOUNT, ADMIN] : [MAIN, ACCOUNT]}
        user={{ name: user.name ?? "", email: user.email, role: user.role }}
        onLogout={() => void logout()}
        banner={admin ? <AdminMaintenanceBanner /> : undefined}
        topbarExtra={admin ? <span className="hidden items-center gap-1 text-xs text-slate-500 sm:inline-flex"><Building2 className="size-4" aria-hidden /> admin</span> : undefined}
      >
        {/* On every page: an announcement matters wherever the user is. */}
        <Announcements className="mb-6" />
        <Suspense fallback={<LoadingState label="Loading page" />}>
          <Outlet />
        </Suspense>
      </Shell>
      <MaintenanceGate bypass={admin} />
    </WatchStatusContext.Provider>
  );
}
