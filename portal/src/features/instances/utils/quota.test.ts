import { describe, expect, it } from "vitest";
import type { Plan, Region } from "@/api/types";
import { envMergePatch } from "./env-patch";
import { defaultRegion, planAllowingMore, quotaReached, regionOptions } from "./quota";

const plan = (id: string, priceCents: number, maxInstances?: number): Plan =>
  ({ id, name: id, priceCents, currency: "EUR", maxInstances, maxReplicas: 1, maxCpuMillis: 500, maxMemoryMib: 512, storageMib: 1024, bandwidthGib: 10, phpWorkersPerReplica: 12, features: [], featureDetails: [] }) as Plan;

describe("quota", () => {
  const plans = [plan("business", 9900, 50), plan("free", 0, 1), plan("hobby", 500, 2), plan("enterprise", 99900)];

  it("finds the cheapest plan that allows one more site", () => {
    expect(planAllowingMore(plans, 1)?.id).toBe("hobby");
    expect(planAllowingMore(plans, 2)?.id).toBe("business");
    expect(planAllowingMore(plans, 50)?.id).toBe("enterprise");
    expect(planAllowingMore([plan("free", 0, 1)], 1)).toBeUndefined();
  });

  it("knows when the quota is reached", () => {
    expect(quotaReached(1, 1)).toBe(true);
    expect(quotaReached(0, 1)).toBe(false);
    expect(quotaReached(100, null)).toBe(false);
  });
});

describe("envMergePatch", () => {
  it("sets changed and new keys, nulls removed ones", () => {
    expect(
      envMergePatch({ A: "1", B: "2", C: "3" }, [
        { key: "A", value: "1" },
        { key: "B", value: "20" },
        { key: "D", value: "4" },
        { key: "", value: "" },
      ]),
    ).toEqual({ B: "20", C: null, D: "4" });
    expect(envMergePatch({ A: "1" }, [{ key: "A", value: "1" }])).toEqual({});
  });
});

describe("regions", () => {
  const region = (name: string, activeNodes: number | null, offered = true): Region =>
    ({ name, nodes: activeNodes, activeNodes, offered }) as Region;

  it("offers the platform's regions, saying which cannot start sites", () => {
    const regions = [region("eu-west", 0), region("us-east", 2), region("lab", 1, false), region("ap-south", null)];
    expect(regionOptions(regions)).toEqual([
      { name: "eu-west", label: "eu-west · no active node", usable: false },
      { name: "us-east", label: "us-east · 2 nodes", usable: true },
      { name: "ap-south", label: "ap-south", usable: true },
    ]);
    expect(defaultRegion(regions)).toBe("us-east");
  });

  it("preselects the first region even when none has an active node", () => {
    expect(defaultRegion([region("eu-west", 0), region("us-east", 0)])).toBe("eu-west");
    expect(defaultRegion([region("eu-west", 1)])).toBe("eu-west");
    expect(defaultRegion(undefined)).toBe("");
  });
});
