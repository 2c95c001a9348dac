import { describe, expect, it } from "vitest";
import {
  pathPrefixError,
  cpuError,
  envNameError,
  envRowsErrors,
  envRowsToMap,
  isAdminUser,
  isPlausibleEmail,
  labelSelectorError,
  memoryError,
  passwordError,
  slugify,
  tenantNameError,
} from "./validation";

describe("tenantNameError (mirrors schema/src/tenant_name.rs)", () => {
  it.each(["abc", "acme-blog", "a1-b2-c3", "x".repeat(32), "apis"])("accepts %s", (name) => {
    expect(tenantNameError(name)).toBeNull();
  });

  it.each([
    ["", /Choose a name/],
    ["ab", /3 to 32/],
    ["x".repeat(33), /3 to 32/],
    ["Acme", /not "A"/],
    ["acme_blog", /not "_"/],
    ["1acme", /start with a lowercase letter/],
    ["-acme", /start with a lowercase letter/],
    ["acme-", /not end with/],
    ["ac--me", /--/],
    ["admin", /reserved/],
    ["swarmpress", /reserved/],
  ])("rejects %j", (name, message) => {
    expect(tenantNameError(name)).toMatch(message);
  });
});

describe("slugify", () => {
  it("suggests a valid name from a display name", () => {
    expect(slugify("Acme Blog!")).toBe("acme-blog");
    expect(slugify("  Café  Crème ")).toBe("cafe-creme");
    expect(slugify("2024 Report")).toBe("report");
    expect(slugify("x".repeat(40) + " y").length).toBeLessThanOrEqual(32);
    expect(tenantNameError(slugify("My Very Own WordPress Site Number Nine"))).toBeNull();
  });
});

describe("environment variables", () => {
  it("checks names like the API", () => {
    expect(envNameError("WP_DEBUG")).toBeNull();
    expect(envNameError("_X1")).toBeNull();
    expect(envNameError("1ABC")).toMatch(/A-Z/);
    expect(envNameError("lower")).toMatch(/A-Z/);
    expect(envNameError("WORDPRESS_DB_HOST")).toMatch(/reserved/);
    expect(envNameError("SWARMPRESS_X")).toMatch(/reserved/);
  });

  it("reports duplicates and ignores blank rows", () => {
    const errors = envRowsErrors([
      { key: "A", value: "1" },
      { key: "", value: "" },
      { key: "A", value: "2" },
      { key: "bad", value: "x" },
    ]);
    expect([...errors.keys()]).toEqual([2, 3]);
    expect(errors.get(2)).toMatch(/already set/);
  });

  it("rejects oversized values", () => {
    expect(envRowsErrors([{ key: "BIG", value: "x".repeat(4097) }]).get(0)).toMatch(/4096/);
  });

  it("maps rows to an env object without blank keys", () => {
    expect(envRowsToMap([{ key: "A", value: "1" }, { key: "", value: "ignored" }])).toEqual({ A: "1" });
  });
});

describe("other rules", () => {
  it("checks e-mail plausibility", () => {
    expect(isPlausibleEmail("admin@acme.test")).toBe(true);
    expect(isPlausibleEmail("a.b+c@sub.example.org")).toBe(true);
    expect(isPlausibleEmail("no-at-sign")).toBe(false);
    expect(isPlausibleEmail("a@b")).toBe(false);
    expect(isPlausibleEmail("a@@b.c")).toBe(false);
    expect(isPlausibleEmail(".a@b.co")).toBe(false);
    expect(isPlausibleEmail("a@-b.co")).toBe(false);
  });

  it("checks admin user names, cpu and memory", () => {
    expect(isAdminUser("admin.user-1")).toBe(true);
    expect(isAdminUser("with space")).toBe(false);
    expect(cpuError("0.5")).toBeNull();
    expect(cpuError("4")).toBeNull();
    expect(cpuError("0.05")).toMatch(/0.1 and 4/);
    expect(cpuError("500m")).toMatch(/number/);
    expect(memoryError("512Mi")).toBeNull();
    expect(memoryError("8Gi")).toBeNull();
    expect(memoryError("64Mi")).toMatch(/128Mi/);
    expect(memoryError("1GB")).toMatch(/Like/);
  });

  it("checks password length in characters", () => {
    expect(passwordError("short")).toMatch(/12/);
    expect(passwordError("twelve chars")).toBeNull();
    expect(passwordError("x".repeat(257))).toMatch(/256/);
  });

  it("checks label selectors", () => {
    expect(labelSelectorError("")).toBeNull();
    expect(labelSelectorError("team=web, env!=dev")).toBeNull();
    expect(labelSelectorError("team")).toMatch(/key=value/);
    expect(labelSelectorError("a=b,=c")).toMatch(/key=value/);
  });

  it("checks path prefixes as the API does", () => {
    for (const good of ["", "/blog", "/blog/v2", "/a.b_c-d"]) expect(pathPrefixError(good)).toBeNull();
    for (const bad of ["blog", "/", "/blog/", "//x", "/a b", "/ü", `/${"x".repeat(200)}`]) expect(pathPrefixError(bad)).not.toBeNull();
  });
});
