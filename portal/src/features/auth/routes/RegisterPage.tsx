import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { isApiError } from "@/api/problem";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { ErrorState } from "@/components/ui/states";
import { isPlausibleEmail, passwordError } from "@/lib/validation";
import { useRegister } from "../api/auth";
import { AuthShell } from "../components/AuthShell";

export function RegisterPage() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);
  const navigate = useNavigate();
  const register = useRegister();

  const emailProblem = touched && !isPlausibleEmail(email.trim()) ? "Enter a valid e-mail address." : null;
  const passwordProblem = touched ? passwordError(password) : null;
  const serverError = register.error;
  const fieldError = (field: string) => (isApiError(serverError) ? serverError.fieldError(field) : undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!isPlausibleEmail(email.trim()) || passwordError(password)) return;
    register.mutate(
      { email: email.trim(), password, ...(name.trim() ? { name: name.trim() } : {}) },
      { onSuccess: () => navigate("/", { replace: true }) },
    );
  };

  return (
    <AuthShell
      title="Create your account"
      subtitle="Launch a WordPress site in a minute."
      footer={
        <>
          Already have an account?{" "}
          <Link className="font-medium text-indigo-600 hover:underline dark:text-indigo-400" to="/login">
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {serverError && <ErrorState error={serverError} title="Cannot create the account" />}
        <Field label="Name" optional error={fieldError("name")}>
          <Input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        </Field>
        <Field label="E-mail" error={emailProblem ?? fieldError("email")}>
          <Input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password" hint="At least 12 characters." error={passwordProblem ?? fieldError("password")}>
          <Input
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Button type="submit" className="w-full" loading={register.isPending}>
          Create account
        </Button>
      </form>
    </AuthShell>
  );
}
