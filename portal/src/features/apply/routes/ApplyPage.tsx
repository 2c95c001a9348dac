import { FileUp, FlaskConical, Upload } from "lucide-react";
import { useRef, useState } from "react";
import type { ApplyResult } from "@/api/types";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader, PageHeader } from "@/components/ui/card";
import { Textarea } from "@/components/ui/field";
import { SecretBox } from "@/components/ui/misc";
import { ErrorState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast-context";
import { useApply } from "../api/apply";

const EXAMPLE = `apiVersion: swarmpress.io/v1
kind: Tenant
metadata:
  name: acme-blog
  labels:
    team: web
spec:
  displayName: Acme Blog
  region: eu-west
  replicas: 1
  resources:
    cpu: "0.5"
    memory: 512Mi
  admin:
    user: admin
    email: admin@acme.test
`;

const ACTION_TONE: Record<ApplyResult["action"], Tone> = {
  created: "green",
  configured: "blue",
  unchanged: "gray",
  invalid: "red",
};

const MAX_BYTES = 1024 * 1024;

function Results({ results, dryRun }: { results: ApplyResult[]; dryRun: boolean }) {
  return (
    <Card>
      <CardHeader title={dryRun ? "Dry run" : "Applied"} description={dryRun ? "Nothing was changed. This is what apply would do." : "The platform is converging to these objects."} />
      <CardBody className="overflow-x-auto p-0">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800">
            <tr>
              {/* Only one kind exists today: at phone width its column gives way to the details. */}
              <th scope="col" className="hidden px-5 py-3 font-medium sm:table-cell">Kind</th>
              <th scope="col" className="py-3 pr-3 pl-5 font-medium sm:px-3">Name</th>
              <th scope="col" className="px-3 py-3 font-medium">Result</th>
              <th scope="col" className="px-5 py-3 font-medium">Details</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {results.map((r, i) => (
              <tr key={`${r.kind}/${r.name}/${i}`} className="align-top">
                <td className="hidden px-5 py-3 sm:table-cell">{r.kind}</td>
                <td className="py-3 pr-3 pl-5 font-mono sm:px-3">{r.name || "—"}</td>
                <td className="px-3 py-3"><Badge tone={ACTION_TONE[r.action] ?? "gray"}>{dryRun && r.action !== "invalid" && r.action !== "unchanged" ? `${r.action} (dry run)` : r.action}</Badge></td>
                <td className="px-5 py-3">
                  {r.adminPassword ? (
                    <SecretBox label={`WordPress admin password of ${r.name}: shown only now.`} value={r.adminPassword} />
                  ) : r.errors.length === 0 ? (
                    <span className="text-slate-400">—</span>
                  ) : (
                    <ul className="space-y-0.5 text-red-700 dark:text-red-400">
                      {r.errors.map((e) => (
                        <li key={`${e.field}:${e.message}`}>{e.field && <code className="text-xs">{e.field}</code>} {e.message}</li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </CardBody>
    </Card>
  );
}

export default function ApplyPage() {
  const [yaml, setYaml] = useState("");
  const [checked, setChecked] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const file = useRef<HTMLInputElement>(null);
  const apply = useApply();
  const toast = useToast();
  const lastDryRun = apply.variables?.dryRun ?? true;
  const invalid = apply.data?.results.some((r) => r.action === "invalid") ?? false;
  const canApply = yaml.trim() !== "" && checked === yaml && !invalid && lastDryRun;

  const run = (dryRun: boolean) =>
    apply.mutate(
      { yaml, dryRun },
      {
        onSuccess: () => {
          if (dryRun) setChecked(yaml);
          else {
            setChecked(null);
            toast({ title: "Manifest applied", tone: "success" });
          }
        },
      },
    );

  const load = async (f: File | undefined) => {
    setFileError(null);
    if (!f) return;
    if (f.size > MAX_BYTES) {
      setFileError("The file is larger than 1 MiB.");
      return;
    }
    setYaml(await f.text());
    apply.reset();
  };

  return (
    <>
      <PageHeader title="Apply a manifest" description="Paste or upload YAML (kind: Tenant, several documents separated by ---). Check it with a dry run, then apply." />
      <div className="space-y-6">
        <Card>
          <CardBody className="space-y-3">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <label htmlFor="manifest" className="text-sm font-medium">Manifest</label>
              <div className="flex gap-2">
                <Button variant="ghost" size="sm" onClick={() => setYaml(EXAMPLE)}>Insert example</Button>
                <input ref={file} type="file" accept=".yaml,.yml,application/yaml,text/yaml,text/plain" className="sr-only" tabIndex={-1} aria-hidden onChange={(e) => void load(e.target.files?.[0])} />
                <Button variant="secondary" size="sm" onClick={() => file.current?.click()} icon={<FileUp className="size-4" aria-hidden />}>Upload file</Button>
              </div>
            </div>
            <Textarea
              id="manifest"
              value={yaml}
              onChange={(e) => setYaml(e.target.value)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                void load(e.dataTransfer.files[0]);
              }}
              rows={18}
              spellCheck={false}
              placeholder={"apiVersion: swarmpress.io/v1\nkind: Tenant\n…  (or drop a file here)"}
              className="font-mono text-xs leading-5"
            />
            {fileError && <p role="alert" className="text-sm text-red-600">{fileError}</p>}
            <div className="flex flex-wrap justify-end gap-2">
              <Button variant="secondary" onClick={() => run(true)} loading={apply.isPending && lastDryRun} disabled={!yaml.trim()} icon={<FlaskConical className="size-4" aria-hidden />}>
                Dry run
              </Button>
              <Button onClick={() => run(false)} loading={apply.isPending && !lastDryRun} disabled={!canApply} icon={<Upload className="size-4" aria-hidden />} title={canApply ? undefined : "Run a clean dry run of this exact text first"}>
                Apply
              </Button>
            </div>
          </CardBody>
        </Card>
        {apply.error && <ErrorState error={apply.error} title="The manifest was not accepted" />}
        {apply.data && <Results results={apply.data.results} dryRun={lastDryRun} />}
      </div>
    </>
  );
}
