import type { EnvRow } from "@/lib/validation";

/**
 * The JSON merge patch (RFC 7396) of `spec.env` that turns `before` into `rows`: changed and
 * new keys with their values, removed keys as null. Empty when nothing changed.
 */
export function envMergePatch(before: Record<string, string>, rows: readonly EnvRow[]): Record<string, string | null> {
  const after: Record<string, string> = {};
  for (const row of rows) if (row.key) after[row.key] = row.value;
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) if (before[key] !== value) patch[key] = value;
  return patch;
}
