import type { MaintenanceWindow, Rollout, RolloutSpec } from "@/api/types";

/** Items that reached an end state, and all of them, for a progress bar. */
export function rolloutProgress(rollout: Pick<Rollout, "items">): { done: number; total: number; failed: number } {
  const total = rollout.items.length;
  const done = rollout.items.filter((i) => ["healthy", "failed", "rolledBack", "skipped"].includes(i.state)).length;
  const failed = rollout.items.filter((i) => i.state === "failed" || i.state === "rolledBack").length;
  return { done, total, failed };
}

export interface RolloutForm {
  image: string;
  all: boolean;
  plans: string;
  labels: string;
  tenants: string;
  canary: string;
  batchSize: string;
  failureBudget: string;
  healthTimeoutSeconds: string;
  forcePull: boolean;
  /** Now, at a time (`startAt`, a `datetime-local` value in the browser's zone), or when the
   * maintenance window `windowId` begins. */
  when: "now" | "at" | "window";
  startAt: string;
  windowId: string;
}

const list = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The form → a rollout spec, or the errors that stop it, keyed by field. */
export function rolloutSpecFromForm(
  form: RolloutForm,
  windows: readonly MaintenanceWindow[] = [],
): { spec?: RolloutSpec; window?: MaintenanceWindow; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const image = form.image.trim();
  if (!image || /\s/.test(image)) errors.image = "An image reference such as swarmpress/wordpress:6.8.";
  const labels: Record<string, string> = {};
  for (const pair of list(form.labels)) {
    const [key, value, ...rest] = pair.split("=");
    if (!key || value === undefined || rest.length) errors.labels = `"${pair}" is not key=value.`;
    else labels[key.trim()] = value.trim();
  }
  const plans = list(form.plans);
  const tenants = list(form.tenants);
  if (!form.all && !plans.length && !tenants.length && !Object.keys(labels).length) {
    errors.selector = "Choose every site, or at least one plan, label or site.";
  }
  const number = (field: keyof RolloutForm, min: number) => {
    const value = Number(form[field]);
    if (!Number.isInteger(value) || value < min) errors[field] = `A whole number, at least ${min}.`;
    return value;
  };
  let startAt: string | undefined;
  let window: MaintenanceWindow | undefined;
  if (form.when === "at") {
    const at = new Date(form.startAt);
    if (!form.startAt || Number.isNaN(at.getTime())) errors.startAt = "Choose a date and time.";
    else startAt = at.toISOString();
  } else if (form.when === "window") {
    window = windows.find((w) => w.id === form.windowId);
    // The window's start as the rollout's own: it cannot begin before the window names it.
    if (!window) errors.windowId = "Choose a maintenance window.";
    else startAt = window.start;
  }
  const spec: RolloutSpec = {
    ...(startAt ? { startAt } : {}),
    image,
    selector: form.all ? { all: true } : { plans, labels, tenants },
    canary: number("canary", 0),
    batchSize: number("batchSize", 1),
    failureBudget: number("failureBudget", 0),
    healthTimeoutSeconds: number("healthTimeoutSeconds", 10),
    forcePull: form.forcePull,
  };
  return Object.keys(errors).length ? { errors } : { spec, window, errors };
}
