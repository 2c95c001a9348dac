/** An ISO instant → the value of an <input type="datetime-local"> in local time. */
export function toLocalInput(iso: string | undefined | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

/** A datetime-local value (local time) → an ISO instant, or null when empty/invalid. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Whether [start, end) contains now. */
export function isActiveNow(start: string, end: string, now = Date.now()): boolean {
  return new Date(start).getTime() <= now && now < new Date(end).getTime();
}
