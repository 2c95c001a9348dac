// Client-side checks that mirror the API's rules (schema/src/tenant_name.rs and
// schema/src/resource/validation.rs) so users see mistakes while typing. A tenant name's
// lengths and pattern come from the API's OpenAPI document (src/api/limits.ts, generated);
// the API stays the authority: its problem+json field errors are shown as well.

import { TENANT_NAME_MAX, TENANT_NAME_MIN, TENANT_NAME_PATTERN } from "../api/limits";

export { TENANT_NAME_MAX, TENANT_NAME_MIN };
const TENANT_NAME = new RegExp(TENANT_NAME_PATTERN);

export const RESERVED_TENANT_NAMES: readonly string[] = [
  "api",
  "www",
  "admin",
  "traefik",
  "prometheus",
  "mariadb",
  "s3",
  "portal",
  "mail",
  "ftp",
  "localhost",
  "swarmpress",
];

/** Why `name` is not a valid tenant name (a DNS label), or null when it is. */
export function tenantNameError(name: string): string | null {
  if (name.length === 0) return "Choose a name for the site's address.";
  if (name.length < TENANT_NAME_MIN || name.length > TENANT_NAME_MAX) {
    return `Must be ${TENANT_NAME_MIN} to ${TENANT_NAME_MAX} characters (now ${name.length}).`;
  }
  const bad = [...name].find((c) => !/[a-z0-9-]/.test(c));
  if (bad !== undefined) return `Only a-z, 0-9 and "-" are allowed, not "${bad}".`;
  if (!/^[a-z]/.test(name)) return "Must start with a lowercase letter.";
  if (name.endsWith("-")) return 'Must not end with "-".';
  if (name.includes("--")) return 'Must not contain "--".';
  // The API's own pattern has the last word, should it ever be stricter than the above.
  if (!TENANT_NAME.test(name)) return "Not a valid name.";
  if (RESERVED_TENANT_NAMES.includes(name)) return `"${name}" is reserved.`;
  return null;
}

/** Turns a display name into a suggested tenant name: "Acme Blog!" → "acme-blog". */
export function slugify(displayName: string): string {
  const slug = displayName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, TENANT_NAME_MAX)
    .replace(/-+$/, "");
  return slug;
}

export const RESERVED_ENV_PREFIXES: readonly string[] = ["WORDPRESS_", "SWARMPRESS_"];
export const MAX_ENV_VARS = 64;
export const MAX_ENV_VALUE_BYTES = 4096;

export function envNameError(name: string): string | null {
  if (name.length === 0) return "Name is required.";
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) return "Use A-Z, 0-9 and _, not starting with a digit.";
  const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `Names starting with ${prefix} are reserved for the platform.`;
  return null;
}

export interface EnvRow {
  key: string;
  value: string;
}

/** Per-row errors of an environment editor (duplicates included), keyed by row index. */
export function envRowsErrors(rows: readonly EnvRow[]): Map<number, string> {
  const errors = new Map<number, string>();
  const seen = new Map<string, number>();
  const filled = rows.filter((r) => r.key !== "" || r.value !== "");
  if (filled.length > MAX_ENV_VARS) {
    errors.set(rows.length - 1, `At most ${MAX_ENV_VARS} variables are allowed.`);
  }
  rows.forEach((row, index) => {
    if (row.key === "" && row.value === "") return;
    const error = envNameError(row.key);
    if (error) {
      errors.set(index, error);
      return;
    }
    if (new TextEncoder().encode(row.value).length > MAX_ENV_VALUE_BYTES) {
      errors.set(index, `Value must be at most ${MAX_ENV_VALUE_BYTES} bytes.`);
      return;
    }
    const first = seen.get(row.key);
    if (first !== undefined) errors.set(index, `${row.key} is already set above.`);
    else seen.set(row.key, index);
  });
  return errors;
}

/** Rows → the `env` map of a spec (empty rows dropped). */
export function envRowsToMap(rows: readonly EnvRow[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const row of rows) if (row.key !== "") env[row.key] = row.value;
  return env;
}

export function envMapToRows(env: Record<string, string> | undefined): EnvRow[] {
  return Object.entries(env ?? {}).map(([key, value]) => ({ key, value }));
}

/** The API's plausibility check for e-mail addresses (not RFC 5322). */
export function isPlausibleEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.indexOf("@");
  if (at < 0 || email.indexOf("@", at + 1) >= 0) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length < 1 || local.length > 64 || local.startsWith(".") || local.endsWith(".")) {
    return false;
  }
  if (![...local].every((c) => c > " " && c <= "~" && !'@"(),:;<>[\\]'.includes(c))) return false;
  const labels = domain.split(".");
  return (
    labels.length >= 2 &&
    labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))
  );
}

/**
 * `spec.pathPrefix`: the path of its address the site is served under, as the API checks it:
 * `^(/[A-Za-z0-9._-]+)+$`, at most 200 characters. Empty means `/` (no prefix).
 */
export function pathPrefixError(prefix: string): string | null {
  if (prefix === "") return null;
  if (prefix.length > 200) return "At most 200 characters.";
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(prefix)) return 'A path such as "/blog": segments of letters, digits, ".", "_" and "-", no trailing "/".';
  return null;
}

/** `^[A-Za-z0-9_.-]{1,60}$` */
export function isAdminUser(user: string): boolean {
  return /^[A-Za-z0-9_.-]{1,60}$/.test(user);
}

/** "0.5" style cores between 0.1 and 4, at most three decimals. */
export function cpuError(cpu: string): string | null {
  if (!/^\d{1,2}(\.\d{1,3})?$/.test(cpu)) return 'Cores as a number such as "0.5".';
  const value = Number(cpu);
  if (value < 0.1 || value > 4) return "Between 0.1 and 4 cores.";
  return null;
}

/** "512Mi" or "2Gi", 128Mi to 8Gi. */
export function memoryError(memory: string): string | null {
  const match = /^(\d{1,6})(Mi|Gi)$/.exec(memory);
  if (!match) return 'Like "512Mi" or "2Gi".';
  const mib = Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
  if (mib < 128 || mib > 8192) return "Between 128Mi and 8Gi.";
  return null;
}

/** A minimal password policy for the forms; the API enforces its own. */
export function passwordError(password: string): string | null {
  const length = [...password].length;
  if (length < 12) return "At least 12 characters.";
  if (length > 256) return "At most 256 characters.";
  return null;
}

/**
 * Parses a label selector as the API takes it (`k=v,k2=v2`) and returns an error for an
 * obviously malformed one, or null.
 */
export function labelSelectorError(selector: string): string | null {
  const trimmed = selector.trim();
  if (trimmed === "") return null;
  for (const part of trimmed.split(",")) {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9._/-]{0,62})\s*(=|==|!=)\s*([A-Za-z0-9._-]{0,63})\s*$/.exec(
      part,
    );
    if (!match) return `"${part.trim()}" is not key=value.`;
  }
  return null;
}
