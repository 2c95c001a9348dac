// Display formatting shared by every page. Pure functions; "—" stands for "no value".

const DASH = "—";
const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

function isNumber(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** 1536 → "1.5 KiB"; binary units, as the memory quantities of a spec ("512Mi"). */
export function formatBytes(bytes: number | null | undefined, fractionDigits = 1): string {
  if (!isNumber(bytes)) return DASH;
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : fractionDigits;
  return `${sign}${value.toFixed(digits)} ${BINARY_UNITS[unit]}`;
}

/** A size given in MiB, whole where it can be: 1024 → "1 GiB", 512 → "512 MiB", 1536 → "1.5 GiB". */
export function formatMib(mib: number | null | undefined): string {
  if (!isNumber(mib)) return DASH;
  if (mib < 1024) return `${mib} MiB`;
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}

/** A transfer rate: 2048 → "2.0 KiB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  return isNumber(bytesPerSecond) ? `${formatBytes(bytesPerSecond)}/s` : DASH;
}

/** A percentage given on the 0–100 scale: 12.345 → "12.3%". */
export function formatPercent(percent: number | null | undefined, fractionDigits = 1): string {
  if (!isNumber(percent)) return DASH;
  return `${percent.toFixed(fractionDigits)}%`;
}

/** used/allowed as 0–100, clamped; 0 when the limit is unknown or unlimited. */
export function usagePercent(used: number, allowed: number | null | undefined): number {
  if (!isNumber(allowed) || allowed <= 0) return 0;
  return Math.min(100, Math.max(0, (used / allowed) * 100));
}

function toTime(value: string | number | Date): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

/**
 * A compact age like kubectl's: "45s", "12m", "3h", "5d", "2y". Future or invalid
 * timestamps give "0s" and "—".
 */
export function formatAge(
  since: string | number | Date | null | undefined,
  now: number | Date = Date.now(),
): string {
  if (since === null || since === undefined) return DASH;
  const start = toTime(since);
  if (Number.isNaN(start)) return DASH;
  const seconds = Math.max(0, Math.floor((toTime(now) - start) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

/** "3m ago", or "just now" under 5 seconds. */
export function formatRelative(
  since: string | number | Date | null | undefined,
  now: number | Date = Date.now(),
): string {
  const age = formatAge(since, now);
  if (age === DASH) return DASH;
  if (/^[0-4]s$/.test(age)) return "just now";
  return `${age} ago`;
}

/** A local date and time, e.g. "26 Nov 2025, 14:03". */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A time of day, "14:03:27", for "as of" notes. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** 1999, "EUR" → "€19.99"; 0 → "Free" when asked. */
export function formatMoney(
  cents: number,
  currency: string,
  { freeLabel }: { freeLabel?: string } = {},
): string {
  if (cents === 0 && freeLabel) return freeLabel;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "0.5" → "0.5 vCPU", "1" → "1 vCPU". */
export function formatCpu(cores: string | number | null | undefined): string {
  if (cores === null || cores === undefined || cores === "") return DASH;
  return `${cores} vCPU`;
}

/**
 * Parses a memory quantity of the spec ("512Mi", "2Gi") into bytes; null when it is not
 * one of the two accepted units.
 */
export function parseMemory(quantity: string): number | null {
  const match = /^(\d{1,6})(Mi|Gi)$/.exec(quantity.trim());
  if (!match) return null;
  const mib = Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
  return mib * 1024 * 1024;
}
