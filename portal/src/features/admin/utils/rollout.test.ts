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
  when: "now",
  startAt: "",
  windowId: "",
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

  it("schedules at a time, or at a maintenance window's start with the window to name it", () => {
    const at = rolloutSpecFromForm({ ...form, when: "at", startAt: "2030-01-02T03:04" });
    expect(at.spec?.startAt).toBe(new Date("2030-01-02T03:04").toISOString());
    expect(at.window).toBeUndefined();
    expect(rolloutSpecFromForm({ ...form, when: "at", startAt: "" }).errors).toHaveProperty("startAt");

    const window = { id: "w1", start: "2030-02-01T00:00:00Z", end: "2030-02-01T01:00:00Z", message: "m", blocking: false, createdAt: "2030-01-01T00:00:00Z" } as never;
    const inWindow = rolloutSpecFromForm({ ...form, when: "window", windowId: "w1" }, [window]);
    expect(inWindow.spec?.startAt).toBe("2030-02-01T00:00:00Z");
    expect(inWindow.window).toBe(window);
    expect(rolloutSpecFromForm({ ...form, when: "window", windowId: "gone" }, [window]).errors).toHaveProperty("windowId");
    expect(rolloutSpecFromForm(form).spec).not.toHaveProperty("startAt");
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
