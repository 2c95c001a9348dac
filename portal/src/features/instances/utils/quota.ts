import type { Plan } from "@/api/types";

/** The cheapest plan that allows more than `used` instances, if any. */
export function planAllowingMore(plans: readonly Plan[], used: number): Plan | undefined {
  return [...plans]
    .filter((p) => p.maxInstances === undefined || p.maxInstances === null || p.maxInstances > used)
    .sort((a, b) => a.priceCents - b.priceCents)[0];
}

export function quotaReached(used: number, allowed: number | null | undefined): boolean {
  return allowed !== null && allowed !== undefined && used >= allowed;
}

/** Regions the API accepts by default (SWARMPRESS_REGIONS); a 422 lists the real ones. */
export const DEFAULT_REGIONS = ["eu-west", "us-east", "ap-south"] as const;
