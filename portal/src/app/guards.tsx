import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { isAdmin, safeNext, useSession } from "@/lib/session";

/** Renders children for a signed-in user; otherwise sends them to the login page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { user, isLoading, error } = useSession();
  const location = useLocation();
  if (isLoading) return <LoadingState label="Loading your session" fullPage />;
  if (error) {
    return (
      <div className="mx-auto max-w-xl p-6">
        <ErrorState error={error} title="Cannot reach the platform" onRetry={() => window.location.reload()} />
      </div>
    );
  }
  if (!user) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return children;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useSession();
  if (!isAdmin(user)) return <Navigate to="/" replace />;
  return children;
}

/** Only lets a signed-out visitor in (login, register). */
export function RequireGuest({ children }: { children: ReactNode }) {
  const { user, isLoading } = useSession();
  const location = useLocation();
  if (isLoading) return <LoadingState label="Loading" fullPage />;
  if (user) return <Navigate to={safeNext(new URLSearchParams(location.search).get("next"))} replace />;
  return children;
}
