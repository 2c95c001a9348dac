import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/problem";
import type { User } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { useSession } from "@/lib/session";
import { formatDate } from "@/lib/format";
import { isPlausibleEmail, passwordError } from "@/lib/validation";
import { useChangePassword, useUpdateProfile } from "../api/account";

function ProfileForm({ user }: { user: User }) {
  const update = useUpdateProfile();
  const toast = useToast();
  const [name, setName] = useState(user.name ?? "");
  const [email, setEmail] = useState(user.email);
  const [password, setPassword] = useState("");
  const emailChanged = email.trim() !== user.email;
  const emailProblem = email && !isPlausibleEmail(email) ? "Enter a valid e-mail address." : null;
  const server = update.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (emailProblem) return;
    update.mutate(
      { name: name.trim(), email: email.trim(), ...(emailChanged ? { currentPassword: password } : {}) },
      {
        onSuccess: () => {
          setPassword("");
          toast({ title: "Profile saved", tone: "success" });
        },
      },
    );
  };
  return (
    <Card>
      <CardHeader title="Profile" description={`Member since ${formatDate(user.createdAt)} · ${user.role}`} />
      <CardBody>
        <form onSubmit={submit} className="space-y-4" noValidate>
          {server && !isApiError(server, 422) && <ErrorState error={server} title="Profile not saved" />}
          <Field label="Name" error={isApiError(server) ? server.fieldError("name") : undefined}>
            <Input value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="E-mail" error={emailProblem ?? (isApiError(server) ? server.fieldError("email") : undefined)}>
            <Input type="email" value={email} autoComplete="email" onChange={(e) => setEmail(e.target.value)} />
          </Field>
          {emailChanged && (
            <Field label="Current password" hint="Your e-mail is how you sign in: changing it needs your password." error={isApiError(server) ? server.fieldError("currentPassword") : undefined}>
              <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
          )}
          <div className="flex justify-end">
            <Button type="submit" loading={update.isPending}>Save profile</Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

/** Changing one's password; `required` is the form a reset password leaves the user with. */
export function PasswordForm({ required = false, onChanged }: { required?: boolean; onChanged?: () => void }) {
  const change = useChangePassword();
  const toast = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [touched, setTouched] = useState(false);
  const nextProblem = touched || next ? passwordError(next) : null;
  const confirmProblem = confirm && confirm !== next ? "The passwords differ." : null;
  const server = change.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!current || passwordError(next) || next !== confirm) return;
    change.mutate(
      { currentPassword: current, newPassword: next },
      {
        onSuccess: () => {
          toast({ title: "Password changed", description: "Other sessions were signed out and your access tokens revoked.", tone: "success" });
          onChanged?.();
          setCurrent("");
          setNext("");
          setConfirm("");
          setTouched(false);
        },
      },
    );
  };
  return (
    <Card>
      <CardHeader
        title={required ? "Choose a new password" : "Password"}
        description={
          required
            ? "An administrator reset your password. Enter the temporary one you were given and choose your own (at least 12 characters) to go on."
            : "At least 12 characters. Changing it signs out your other sessions and revokes your access tokens."
        }
      />
      <CardBody>
        <form onSubmit={submit} className="space-y-4" noValidate>
          {server && !isApiError(server, 422) && <ErrorState error={server} title="Password not changed" />}
          <Field label={required ? "Temporary password" : "Current password"} error={isApiError(server) ? server.fieldError("currentPassword") : undefined}>
            <Input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
          </Field>
          <Field label="New password" error={nextProblem ?? (isApiError(server) ? server.fieldError("newPassword") : undefined)}>
            <Input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          <Field label="Repeat new password" error={confirmProblem}>
            <Input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </Field>
          <div className="flex justify-end">
            <Button type="submit" loading={change.isPending}>Change password</Button>
          </div>
        </form>
      </CardBody>
    </Card>
  );
}

export function ProfilePage() {
  const { user, isLoading } = useSession();
  if (isLoading || !user) return <LoadingState label="Loading profile" />;
  return (
    <>
      <PageHeader title="Account" description="Your profile and password." />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <ProfileForm user={user} />
        <PasswordForm />
      </div>
    </>
  );
}
