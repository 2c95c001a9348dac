import { describe, expect, it } from "vitest";
import { rolloutProgress, rolloutSpecFromForm, type RolloutForm } from "./rollout";

const form: RolloutForm = {
  image: "swarmpress/wordpress:6.8",
  all: false,
  plans: "starter, business",
  labels: "team=web",
  tenants: "",
  canary: "1",
  batchSize: "2",
  failureBudget: "0",
  healthTimeoutSeconds: "120",
  forcePull: false,
};

describe("rollout form", () => {
  it("builds a spec", () => {
    expect(rolloutSpecFromForm(form).spec).toEqual({
      image: "swarmpress/wordpress:6.8",
      selector: { plans: ["starter", "business"], labels: { team: "web" }, tenants: [] },
      canary: 1,
      batchSize: 2,
      failureBudget: 0,
      healthTimeoutSeconds: 120,
      forcePull: false,
    });
    expect(rolloutSpecFromForm({ ...form, all: true }).spec?.selector).toEqual({ all: true });
  });

  it("refuses an empty selector, bad labels, bad numbers and images", () => {
    const { spec, errors } = rolloutSpecFromForm({ ...form, image: "a b", plans: "", labels: "team", batchSize: "0" });
    expect(spec).toBeUndefined();
    expect(Object.keys(errors).sort()).toEqual(["batchSize", "image", "labels", "selector"]);
  });
});

describe("rolloutProgress", () => {
  it("counts finished and failed items", () => {
    const item = (state: string) => ({ tenant: "t", toImage: "i", batch: 0, state }) as never;
    expect(rolloutProgress({ items: [item("healthy"), item("rolledBack"), item("updating"), item("pending")] })).toEqual({
      done: 2,
      total: 4,
      failed: 1,
    });
  });
});
