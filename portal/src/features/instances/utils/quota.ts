import type { Plan, Region } from "@/api/types";

/** The cheapest plan that allows more than `used` instances, if any. */
export function planAllowingMore(plans: readonly Plan[], used: number): Plan | undefined {
  return [...plans]
    .filter((p) => p.maxInstances === undefined || p.maxInstances === null || p.maxInstances > used)
    .sort((a, b) => a.priceCents - b.priceCents)[0];
}

export function quotaReached(used: number, allowed: number | null | undefined): boolean {
  return allowed !== null && allowed !== undefined && used >= allowed;
}

/** Whether new sites in the region start now: it has an active node, or its nodes could
 * not be counted (the API then says `null`). */
export function regionUsable(region: Region): boolean {
  return region.activeNodes === null || region.activeNodes === undefined || region.activeNodes > 0;
}

/** The wizard's choice: the offered regions, each with what its nodes mean for a new site. */
export function regionOptions(regions: readonly Region[]): { name: string; label: string; usable: boolean }[] {
  return regions
    .filter((r) => r.offered)
    .map((r) => {
      const usable = regionUsable(r);
      let label = r.name;
      if (r.activeNodes !== null && r.activeNodes !== undefined) {
        label = usable
          ? `${r.name} · ${r.activeNodes} node${r.activeNodes === 1 ? "" : "s"}`
          : `${r.name} · no active node`;
      }
      return { name: r.name, label, usable };
    });
}

/** The region preselected: the first offered one whose sites start now. */
export function defaultRegion(regions: readonly Region[] | undefined): string {
  const options = regionOptions(regions ?? []);
  return (options.find((o) => o.usable) ?? options[0])?.name ?? "";
}
