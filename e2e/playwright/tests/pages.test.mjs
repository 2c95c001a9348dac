// Every main page at desktop and phone width (and a few in dark mode), as an admin: each must
// render its heading on the real API without losing the session, and is saved as a screenshot
// under pages/ for people to look at.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { adminCredentials, launch, newPage, shot } from "../lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => browser?.close());

/** [screenshot name, path, the page's heading] */
const PAGES = [
  ["dashboard", "/", /Welcome/],
  ["sites", "/instances", "Sites"],
  ["wizard", "/instances/new", "New site"],
  ["apply", "/apply", "Apply a manifest"],
  ["billing", "/billing", "Billing"],
  ["profile", "/account", "Account"],
  ["tokens", "/account/tokens", "API tokens"],
  ["admin-maintenance", "/admin/maintenance", "Maintenance"],
  ["admin-rollouts", "/admin/rollouts", "Rollouts"],
  ["admin-cluster", "/admin/cluster", "Cluster"],
  ["admin-users", "/admin/users", "Users"],
  ["admin-invoices", "/admin/invoices", "Invoices"],
];
const DARK = new Set(["dashboard", "sites", "billing", "admin-maintenance"]);

async function visit(page, name, path, heading, suffix) {
  await page.goto(path);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  assert.equal(new URL(page.url()).pathname, path, `${name} stays at ${path} (no sign-in redirect)`);
  // Wait for the page's own loading states to settle before the picture.
  await page.locator("main [role=status]", { hasText: /^Loading/ }).first()
    .waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
  await shot(page, `pages/${name}-${suffix}`);
}

for (const [width, height] of [
  [1280, 900],
  [390, 844],
]) {
  test(`main pages at ${width} px`, async () => {
    const page = await newPage(browser, { width, height });
    try {
      await page.goto("/login");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await shot(page, `pages/login-${width}`);
      await page.goto("/register");
      await page.getByRole("heading", { name: "Create your account" }).waitFor();
      await shot(page, `pages/register-${width}`);
      // A refused sign-in shows the API's problem+json detail; then the keyboard alone signs in.
      const admin = adminCredentials();
      await page.goto("/login");
      await page.getByLabel("E-mail").fill(admin.email);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("wrong e-mail or password").waitFor();
      await shot(page, `pages/login-error-${width}`);
      await page.getByLabel("E-mail").focus();
      await page.keyboard.press("Tab");
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type(admin.password);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: /Welcome/ }).waitFor();
      for (const [name, path, heading] of PAGES) await visit(page, name, path, heading, width);

      // The dashboard says where its live figures come from.
      await page.goto("/");
      await page.getByTestId("metrics-source").or(page.getByText("Metrics unavailable")).first().waitFor();

      // The cluster page names each node's regions (the platform's node carries all three).
      await page.goto("/admin/cluster");
      await page.getByText(/Regions: ap-south, .*eu-west, .*us-east/).first().waitFor();
      // The create wizard offers the regions the API lists, each with its active nodes.
      await page.goto("/instances/new");
      const region = page.getByLabel("Region");
      await region.locator("option", { hasText: "eu-west · 1 node" }).waitFor({ state: "attached" });
      assert.equal(await region.inputValue(), "eu-west");

      // The YAML page against the real API: a dry run changes nothing and says what would happen.
      await page.goto("/apply");
      await page.getByRole("button", { name: "Insert example" }).click();
      await page.getByRole("button", { name: "Dry run" }).click();
      await page.getByRole("heading", { name: "Dry run" }).waitFor();
      await page.getByText(/\(dry run\)$/).first().waitFor();
      await shot(page, `pages/apply-dry-run-${width}`);

      await page.goto("/");
      await page.getByRole("button", { name: "Switch to dark mode" }).click();
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains("dark")), true);
      for (const [name, path, heading] of PAGES.filter(([n]) => DARK.has(n))) {
        await visit(page, name, path, heading, `${width}-dark`);
      }
      // The choice is stored: it survives a reload, and switches back.
      await page.reload();
      await page.getByRole("button", { name: "Switch to light mode" }).click();
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains("dark")), false);
    } finally {
      await page.context().close();
    }
  });
}
