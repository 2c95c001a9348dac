import { Plus, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { envRowsErrors, type EnvRow } from "@/lib/validation";

/** Key/value rows for environment variables, with per-row validation. */
export function EnvEditor({ rows, onChange }: { rows: EnvRow[]; onChange: (rows: EnvRow[]) => void }) {
  const errors = envRowsErrors(rows);
  const set = (index: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className="space-y-2">
      <legend className="sr-only">Environment variables</legend>
      {rows.length === 0 && <p className="text-sm text-slate-500 dark:text-slate-400">No variables. WordPress runs with the platform defaults.</p>}
      {rows.map((row, index) => {
        const error = errors.get(index);
        const errorId = `env-error-${index}`;
        return (
          <div key={index} className="space-y-1">
            <div className="flex flex-col gap-2 sm:flex-row">
              <Input
                aria-label={`Variable ${index + 1} name`}
                placeholder="NAME"
                className="font-mono sm:w-56"
                value={row.key}
                invalid={Boolean(error)}
                aria-describedby={error ? errorId : undefined}
                spellCheck={false}
                autoCapitalize="characters"
                onChange={(e) => set(index, { key: e.target.value.toUpperCase() })}
              />
              <div className="flex flex-1 gap-2">
                <Input
                  aria-label={`Variable ${index + 1} value`}
                  placeholder="value"
                  className="font-mono"
                  value={row.value}
                  spellCheck={false}
                  onChange={(e) => set(index, { value: e.target.value })}
                />
                <Button
                  variant="ghost"
                  size="md"
                  aria-label={`Remove variable ${row.key || index + 1}`}
                  onClick={() => onChange(rows.filter((_, i) => i !== index))}
                  icon={<Trash2 className="size-4" aria-hidden />}
                />
              </div>
            </div>
            {error && <p id={errorId} role="alert" className="text-xs text-red-600 dark:text-red-400">{error}</p>}
          </div>
        );
      })}
      <Button variant="secondary" size="sm" onClick={() => onChange([...rows, { key: "", value: "" }])} icon={<Plus className="size-4" aria-hidden />}>
        Add variable
      </Button>
    </fieldset>
  );
}
