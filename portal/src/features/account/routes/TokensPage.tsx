import { KeyRound, Plus, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { errorMessage, isApiError } from "@/api/problem";
import type { AccessToken, TokenScope } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { SecretBox } from "@/components/ui/misc";
import { EmptyState, ErrorState, LoadingState, QueryError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { formatDate, formatRelative } from "@/lib/format";
import { isAdmin, useSession } from "@/lib/session";
import { useCreateToken, useRevokeToken, useTokens } from "../api/account";

function CreateTokenCard() {
  const create = useCreateToken();
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [scope, setScope] = useState<TokenScope>("write");
  const [password, setPassword] = useState("");
  const { user } = useSession();
  const secret = create.data?.token;
  const fieldError = (field: string) => (isApiError(create.error) ? create.error.fieldError(field) : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !password) return;
    create.mutate(
      { name: name.trim(), scope, currentPassword: password, ...(days ? { expiresInDays: Number(days) } : {}) },
      {
        onSuccess: () => {
          setName("");
          setPassword("");
        },
      },
    );
  };
  return (
    <Card>
      <CardHeader title="New token" description="For the CLI and scripts: send it as Authorization: Bearer <token>." />
      <CardBody className="space-y-4">
        {secret && <SecretBox label="Your new token: shown only now. Copy it somewhere safe." value={secret} />}
        <form onSubmit={submit} className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_10rem_10rem_1fr_auto] lg:items-end" noValidate>
          <Field label="Name" error={fieldError("name")}>
            <Input value={name} placeholder="laptop CLI" onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Access" error={fieldError("scope")}>
            <Select value={scope} onChange={(e) => setScope(e.target.value as TokenScope)}>
              <option value="read">read only</option>
              <option value="write">read and write</option>
              {isAdmin(user) && <option value="admin">administration</option>}
            </Select>
          </Field>
          <Field label="Expires">
            <Select value={days} onChange={(e) => setDays(e.target.value)}>
              <option value="30">in 30 days</option>
              <option value="90">in 90 days</option>
              <option value="365">in a year</option>
              <option value="3650">in 10 years</option>
            </Select>
          </Field>
          <Field label="Your password" error={fieldError("currentPassword")}>
            <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <Button type="submit" loading={create.isPending} disabled={!name.trim() || !password} icon={<Plus className="size-4" aria-hidden />}>
            Create
          </Button>
        </form>
        {create.error && !isApiError(create.error, 422) && <ErrorState error={create.error} title="Token not created" />}
      </CardBody>
    </Card>
  );
}

export function TokensPage() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const toast = useToast();
  const [revoking, setRevoking] = useState<AccessToken | null>(null);
  return (
    <>
      <PageHeader title="API tokens" description="Personal access tokens act as you. Revoke the ones you no longer use." />
      <div className="space-y-6">
        <CreateTokenCard />
        <Card>
          <CardHeader title="Your tokens" />
          <CardBody className="p-0">
            {tokens.isPending ? (
              <LoadingState label="Loading tokens" />
            ) : tokens.error ? (
              <QueryError className="m-4" error={tokens.error} onRetry={() => void tokens.refetch()} />
            ) : tokens.data.length === 0 ? (
              <EmptyState icon={KeyRound} title="No tokens" />
            ) : (
              <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                {tokens.data.map((t) => (
                  <li key={t.id} className="flex flex-wrap items-center gap-3 px-5 py-3 text-sm">
                    <KeyRound className="size-4 text-slate-400" aria-hidden />
                    <div className="min-w-0 flex-1">
                      <p className="font-medium">{t.name} <code className="ml-1 text-xs text-slate-500">{t.prefix}…</code></p>
                      <p className="text-xs text-slate-500">
                        Created {formatDate(t.createdAt)} · last used {t.lastUsedAt ? formatRelative(t.lastUsedAt) : "never"} ·{" "}
                        {t.expiresAt ? `expires ${formatDate(t.expiresAt)}` : "never expires"} · {t.scope === "read" ? "read only" : t.scope === "admin" ? "administration" : "read and write"}
                      </p>
                    </div>
                    <Button variant="ghost" size="sm" onClick={() => setRevoking(t)} icon={<Trash2 className="size-4" aria-hidden />}>
                      Revoke<span className="sr-only"> {t.name}</span>
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>
      </div>
      <Dialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        description="Anything using this token stops working at once."
        size="sm"
        footer={
          <>
            <Button variant="secondary" onClick={() => setRevoking(null)}>Cancel</Button>
            <Button
              variant="danger"
              loading={revoke.isPending}
              onClick={() =>
                revoking &&
                revoke.mutate(revoking.id, {
                  onSuccess: () => {
                    toast({ title: "Token revoked", tone: "success" });
                    setRevoking(null);
                  },
                  onError: (error) => toast({ title: "Not revoked", description: errorMessage(error), tone: "error" }),
                })
              }
            >
              Revoke
            </Button>
          </>
        }
      >
        <p className="text-sm">The token is deleted for good.</p>
      </Dialog>
    </>
  );
}
