import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { isApiError } from "@/api/problem";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { PublicNotices } from "@/components/PublicNotices";
import { ErrorState } from "@/components/ui/states";
import { safeNext } from "@/lib/session";
import { useLogin } from "../api/auth";
import { AuthShell } from "../components/AuthShell";

export function LoginPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const login = useLogin();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate(
      { email: email.trim(), password },
      { onSuccess: () => navigate(safeNext(params.get("next")), { replace: true }) },
    );
  };

  const error = login.error;
  return (
    <AuthShell
      title="Sign in"
      subtitle="Manage your WordPress sites."
      footer={
        <>
          New here?{" "}
          <Link className="font-medium text-indigo-600 hover:underline dark:text-indigo-400" to="/register">
            Create an account
          </Link>
        </>
      }
    >
      <PublicNotices />
      <form onSubmit={submit} className="mt-4 space-y-4" noValidate>
        {error && !isApiError(error, 422) && <ErrorState error={error} title="Cannot sign in" />}
        <Field label="E-mail" error={isApiError(error) ? error.fieldError("email") : undefined}>
          <Input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </Field>
        <Field label="Password" error={isApiError(error) ? error.fieldError("password") : undefined}>
          <Input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Button type="submit" className="w-full" loading={login.isPending} disabled={!email || !password}>
          Sign in
        </Button>
      </form>
    </AuthShell>
  );
}
