import { useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { api } from "@/api/client";
import { keys } from "@/api/keys";
import { Button } from "@/components/ui/button";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { PasswordForm } from "@/features/account/routes/ProfilePage";
import { isAdmin, safeNext, useSession } from "@/lib/session";

/**
 * After an administrator reset the password, the API answers nothing but this until the
 * user chooses their own: the whole portal waits behind it.
 */
function PasswordRequired() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = async () => {
    try {
      await api.POST("/auth/logout");
    } finally {
      queryClient.clear();
      queryClient.setQueryData(keys.session, null);
      navigate("/login", { replace: true });
    }
  };
  return (
    <main className="mx-auto max-w-lg space-y-4 p-6 pt-16">
      <PasswordForm required onChanged={() => void queryClient.invalidateQueries({ queryKey: keys.session })} />
      <div className="flex justify-center">
        <Button variant="ghost" size="sm" onClick={() => void signOut()}>Sign out</Button>
      </div>
    </main>
  );
}

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
  if (user.mustChangePassword) return <PasswordRequired />;
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
