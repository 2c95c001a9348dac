import { ArrowLeft, ArrowRight, CheckCircle2, ExternalLink } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { isApiError } from "@/api/problem";
import { useImages, useRegions, useSubscription } from "@/api/resources/account";
import { useTenantList } from "@/api/resources/tenants";
import type { CreatedTenant } from "@/api/types";
import { PhaseBadge } from "@/components/PhaseBadge";
import { Button } from "@/components/ui/button";
import { buttonClasses } from "@/components/ui/styles";
import { Card, CardBody, PageHeader } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { SecretBox } from "@/components/ui/misc";
import { ErrorState } from "@/components/ui/states";
import { useSession } from "@/lib/session";
import { cn } from "@/lib/cn";
import { type EnvRow, envRowsErrors, envRowsToMap, isAdminUser, isPlausibleEmail, passwordError, pathPrefixError, slugify, tenantNameError } from "@/lib/validation";
import { useCreateTenant } from "../api/tenant";
import { EnvEditor } from "../components/EnvEditor";
import { QuotaPanel } from "../components/QuotaPanel";
import { defaultRegion, quotaReached, regionOptions } from "../utils/quota";

const STEPS = ["Site", "Environment", "Administrator", "Review"] as const;

function Stepper({ step }: { step: number }) {
  return (
    <ol className="mb-6 flex flex-wrap gap-2 text-sm" aria-label="Progress">
      {STEPS.map((label, i) => (
        <li key={label} className="flex items-center gap-2" aria-current={i === step ? "step" : undefined}>
          <span
            className={cn(
              "flex size-6 items-center justify-center rounded-full text-xs font-semibold",
              i < step && "bg-indigo-600 text-white",
              i === step && "bg-indigo-100 text-indigo-700 ring-2 ring-indigo-600 dark:bg-indigo-950 dark:text-indigo-300",
              i > step && "bg-slate-200 text-slate-600 dark:bg-slate-800 dark:text-slate-400",
            )}
          >
            {i + 1}
          </span>
          <span className={cn(i === step ? "font-medium" : "text-slate-500 dark:text-slate-400")}>{label}</span>
          {i < STEPS.length - 1 && <span className="mx-1 hidden h-px w-6 bg-slate-300 sm:block dark:bg-slate-700" aria-hidden />}
        </li>
      ))}
    </ol>
  );
}

/** After creation: the admin password (shown once) and the site's live phase. */
function Created({ created }: { created: CreatedTenant }) {
  const name = created.metadata.name;
  const list = useTenantList();
  const live = list.data?.items.find((t) => t.metadata.name === name) ?? created;
  const phase = live.status?.phase;
  return (
    <Card className="mx-auto max-w-2xl">
      <CardBody className="space-y-5 py-6">
        <div className="flex items-start gap-3">
          <CheckCircle2 className="size-7 shrink-0 text-emerald-600" aria-hidden />
          <div>
            <h2 className="text-lg font-semibold">{created.spec.displayName} is on its way</h2>
            <p className="text-sm text-slate-500 dark:text-slate-400">
              The platform is creating its database, storage and service. This page updates by itself.
            </p>
          </div>
        </div>
        <div className="flex items-center gap-3 text-sm">
          <span className="text-slate-500">Status</span> <PhaseBadge phase={phase} />
        </div>
        {created.adminPassword && (
          <SecretBox
            label={`WordPress password for "${created.spec.admin.user ?? "admin"}": shown only now, copy it somewhere safe.`}
            value={created.adminPassword}
          />
        )}
        <div className="flex flex-wrap gap-2">
          <Link to={`/instances/${name}`} className={buttonClasses("primary")}>
            Open site dashboard
          </Link>
          {phase === "Running" && live.status?.url && (
            <a href={live.status.url} target="_blank" rel="noreferrer" className={buttonClasses("secondary")}>
              Visit site <ExternalLink className="size-4" aria-hidden />
            </a>
          )}
        </div>
      </CardBody>
    </Card>
  );
}

export function CreateInstancePage() {
  const { user } = useSession();
  const subscription = useSubscription();
  const create = useCreateTenant();
  const [step, setStep] = useState(0);
  const [displayName, setDisplayName] = useState("");
  const [name, setName] = useState("");
  const [nameEdited, setNameEdited] = useState(false);
  const regions = useRegions();
  // Empty until the user picks one: the first region whose sites start now.
  const [picked, setPicked] = useState("");
  const region = picked || defaultRegion(regions.data?.items);
  const images = useImages();
  // Empty: the platform's default image.
  const [image, setImage] = useState("");
  // Empty: served at the root of its address.
  const [pathPrefix, setPathPrefix] = useState("");
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [adminUser, setAdminUser] = useState("admin");
  const [adminEmail, setAdminEmail] = useState(user?.email ?? "");
  const [adminPassword, setAdminPassword] = useState("");
  const [touched, setTouched] = useState(false);

  const nameProblem = name || touched ? tenantNameError(name) : null;
  const displayProblem = touched && !displayName.trim() ? "Give the site a name." : null;
  const envProblems = envRowsErrors(env);
  const pathProblem = pathPrefixError(pathPrefix);
  const adminUserProblem = adminUser && !isAdminUser(adminUser) ? "1 to 60 characters: letters, digits, _ . -" : null;
  const adminEmailProblem = adminEmail && !isPlausibleEmail(adminEmail) ? "Enter a valid e-mail address." : null;
  const adminPasswordProblem = adminPassword ? passwordError(adminPassword) : null;
  const usage = subscription.data?.usage.instances;
  const full = usage ? quotaReached(usage.used, usage.allowed) : false;

  const server = create.error;
  const fieldError = (field: string) => (isApiError(server) ? server.fieldError(field) : undefined);

  const stepValid = [
    !tenantNameError(name) && displayName.trim() !== "" && region !== "" && !pathProblem,
    envProblems.size === 0,
    !adminUserProblem && !adminEmailProblem && !adminPasswordProblem && adminEmail !== "",
    true,
  ];

  if (create.data) return (
    <>
      <PageHeader title="New site" />
      <Created created={create.data} />
    </>
  );

  const next = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!stepValid[step]) return;
    if (step < STEPS.length - 1) {
      setStep(step + 1);
      setTouched(false);
      return;
    }
    create.mutate({
      metadata: { name },
      spec: {
        displayName: displayName.trim(),
        region,
        ...(image ? { image } : {}),
        ...(pathPrefix ? { pathPrefix } : {}),
        env: envRowsToMap(env),
        admin: { user: adminUser, email: adminEmail.trim() },
      },
      ...(adminPassword ? { adminPassword } : {}),
    });
  };

  return (
    <>
      <PageHeader
        title="New site"
        description="A WordPress site with its own database, storage and address."
        back={
          <Link to="/instances" className="inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800 dark:hover:text-slate-200">
            <ArrowLeft className="size-4" aria-hidden /> Sites
          </Link>
        }
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[1fr_20rem]">
        <Card>
          <CardBody className="py-6">
            <Stepper step={step} />
            <form onSubmit={next} noValidate className="space-y-5">
              {server && <ErrorState error={server} title="The site was not created" />}
              {step === 0 && (
                <>
                  <Field label="Site name" error={displayProblem ?? fieldError("spec.displayName")}>
                    <Input
                      value={displayName}
                      autoFocus
                      placeholder="Acme Blog"
                      maxLength={100}
                      onChange={(e) => {
                        setDisplayName(e.target.value);
                        if (!nameEdited) setName(slugify(e.target.value));
                      }}
                    />
                  </Field>
                  <Field
                    label="Address"
                    hint={`3–32 characters: a-z, 0-9 and "-", starting with a letter. The site will be at ${name || "name"}.…`}
                    error={nameProblem ?? fieldError("metadata.name")}
                  >
                    <Input
                      value={name}
                      className="font-mono"
                      placeholder="acme-blog"
                      maxLength={40}
                      spellCheck={false}
                      autoCapitalize="none"
                      onChange={(e) => {
                        setNameEdited(true);
                        setName(e.target.value.toLowerCase());
                      }}
                    />
                  </Field>
                  {name && !nameProblem && (
                    <p className="-mt-3 flex items-center gap-1 text-xs text-emerald-700 dark:text-emerald-400" aria-live="polite">
                      <CheckCircle2 className="size-3.5" aria-hidden /> “{name}” is a valid address
                    </p>
                  )}
                  <Field
                    label="Region"
                    hint={regions.isError ? "The regions cannot be listed right now." : "Where the site runs. A region without an active node cannot start sites."}
                    error={fieldError("spec.region")}
                  >
                    <Select value={region} onChange={(e) => setPicked(e.target.value)}>
                      {regionOptions(regions.data?.items ?? []).map((r) => (
                        <option key={r.name} value={r.name} disabled={!r.usable}>{r.label}</option>
                      ))}
                    </Select>
                  </Field>
                  <Field
                    label="Path"
                    optional
                    hint={`Serve the site under a path of its address, e.g. /blog. Empty: at the root.`}
                    error={pathProblem ?? fieldError("spec.pathPrefix")}
                  >
                    <Input value={pathPrefix} className="font-mono" placeholder="/" maxLength={200} spellCheck={false} autoCapitalize="none" onChange={(e) => setPathPrefix(e.target.value)} />
                  </Field>
                  <Field label="WordPress image" hint="The images this platform offers." error={fieldError("spec.image")}>
                    <Select value={image} onChange={(e) => setImage(e.target.value)}>
                      <option value="">{images.data ? `${images.data.defaultImage} (default)` : "the platform's default"}</option>
                      {images.data?.images
                        .filter((i) => i !== images.data.defaultImage)
                        .map((i) => (
                          <option key={i} value={i}>{i}</option>
                        ))}
                    </Select>
                  </Field>
                </>
              )}
              {step === 1 && (
                <div className="space-y-2">
                  <h2 className="text-sm font-medium">Environment variables</h2>
                  <p className="text-sm text-slate-500 dark:text-slate-400">
                    Passed to WordPress. Names starting with WORDPRESS_ or SWARMPRESS_ are reserved.
                  </p>
                  <EnvEditor rows={env} onChange={setEnv} />
                  {fieldError("spec.env") && <p role="alert" className="text-xs text-red-600">{fieldError("spec.env")}</p>}
                </div>
              )}
              {step === 2 && (
                <>
                  <p className="text-sm text-slate-500 dark:text-slate-400">
                    The WordPress administrator. Unless you choose a password, a strong one is generated and shown once.
                  </p>
                  <Field label="Admin user name" error={adminUserProblem ?? fieldError("spec.admin.user")}>
                    <Input value={adminUser} autoComplete="off" onChange={(e) => setAdminUser(e.target.value)} autoFocus />
                  </Field>
                  <Field label="Admin e-mail" error={adminEmailProblem ?? fieldError("spec.admin.email") ?? (touched && !adminEmail ? "Required." : null)}>
                    <Input type="email" value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} />
                  </Field>
                  <Field
                    label="Admin password"
                    optional
                    hint="Leave empty to have a strong one generated."
                    error={adminPasswordProblem ?? fieldError("adminPassword")}
                  >
                    <Input type="password" autoComplete="new-password" value={adminPassword} onChange={(e) => setAdminPassword(e.target.value)} />
                  </Field>
                </>
              )}
              {step === 3 && (
                <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
                  {[
                    ["Site name", displayName],
                    ["Address", name],
                    ["Region", region],
                    ["Image", image || "default"],
                    ["Path", pathPrefix || "/"],
                    ["Environment", env.length ? `${env.length} variable(s)` : "none"],
                    ["Admin user", adminUser],
                    ["Admin e-mail", adminEmail],
                    ["Admin password", adminPassword ? "chosen by you" : "generated"],
                  ].map(([k, v]) => (
                    <div key={k} className="rounded-lg bg-slate-50 p-3 dark:bg-slate-800/50">
                      <dt className="text-xs text-slate-500">{k}</dt>
                      <dd className="mt-0.5 font-medium break-all">{v}</dd>
                    </div>
                  ))}
                </dl>
              )}
              <div className="flex justify-between gap-2 border-t border-slate-200 pt-5 dark:border-slate-800">
                <Button variant="secondary" onClick={() => setStep(step - 1)} disabled={step === 0} icon={<ArrowLeft className="size-4" aria-hidden />}>
                  Back
                </Button>
                {step < STEPS.length - 1 ? (
                  <Button type="submit">
                    Continue <ArrowRight className="size-4" aria-hidden />
                  </Button>
                ) : (
                  <Button type="submit" loading={create.isPending} disabled={full}>
                    Create site
                  </Button>
                )}
              </div>
            </form>
          </CardBody>
        </Card>
        <aside className="space-y-4">
          <QuotaPanel />
        </aside>
      </div>
    </>
  );
}
