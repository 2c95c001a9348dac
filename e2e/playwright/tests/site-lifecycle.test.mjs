// register → create a site in the wizard → watch it become Running without reload → open the
// site and see its title → a log line appears after visiting it → scale to 2 → stop and start →
// delete. One browser, one fresh user, the real platform.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { CONVERGE_MS, api, steps, eventually, launch, newPage, register, shot, unique } from "../lib.mjs";

const test = steps(nodeTest);

let browser;
let page;
const id = unique("e2e");
const user = { email: `${id}@e2e.swarmpress.test`, password: `pw-${id}-Secret!`, name: "E2E User" };
const displayName = `E2E Blog ${id.slice(-5)}`;
let siteName;

before(async () => {
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  // Leave nothing behind if a step failed half-way.
  if (siteName) await api(page, "DELETE", `/tenants/${siteName}`).catch(() => undefined);
  await browser?.close();
});

const phase = () => page.getByTestId("phase").first();

async function waitForPhase(expected, timeout = CONVERGE_MS) {
  await eventually(async () => (await phase().textContent()) === expected, {
    timeout,
    what: `phase ${expected} (now ${await phase().textContent().catch(() => "?")})`,
  });
}

test("register", async () => {
  await register(page, user);
  await shot(page, "dashboard");
});

test("the plan allows two replicas (upgrading in the billing page if needed)", async () => {
  const response = await api(page, "GET", "/subscription");
  assert.equal(response.status(), 200, "GET /subscription");
  const subscription = await response.json();
  if ((subscription.plan?.maxReplicas ?? 1) >= 2) return;
  const plans = await (await api(page, "GET", "/plans")).json();
  const target = plans.filter((p) => p.maxReplicas >= 2).sort((a, b) => a.priceCents - b.priceCents)[0];
  assert.ok(target, "a plan with two replicas exists");
  await page.goto("/billing");
  await page.getByRole("button", { name: "Change plan" }).click();
  const dialog = page.getByRole("dialog", { name: "Change plan" });
  await dialog.getByText(target.name, { exact: true }).click();
  await shot(page, "billing-upgrade");
  await dialog.getByRole("button", { name: `Switch to ${target.name}` }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByText(target.name, { exact: true }).first().waitFor();
  await shot(page, "billing");
});

test("create a site in the wizard and get its admin password once", async () => {
  await page.goto("/instances/new");
  await page.getByLabel("Site name").fill(displayName);
  const address = page.getByLabel("Address");
  siteName = await address.inputValue();
  assert.match(siteName, /^e2e-blog-[a-z0-9]+$/);
  await page.getByText(`“${siteName}” is a valid address`).waitFor();
  await shot(page, "wizard-site");
  await page.getByRole("button", { name: "Continue" }).click();

  await page.getByRole("button", { name: "Add variable" }).click();
  await page.getByLabel("Variable 1 name").fill("E2E_MARKER");
  await page.getByLabel("Variable 1 value").fill(id);
  await page.getByRole("button", { name: "Continue" }).click();

  assert.equal(await page.getByLabel("Admin e-mail").inputValue(), user.email);
  await page.getByRole("button", { name: "Continue" }).click();
  await shot(page, "wizard-review");
  await page.getByRole("button", { name: "Create site" }).click();

  const secret = await page.getByTestId("secret-value").textContent();
  assert.ok(secret && secret.length >= 12, "a generated admin password is shown");
  await shot(page, "wizard-created");
  await page.getByRole("link", { name: "Open site dashboard" }).click();
  await page.waitForURL(`**/instances/${siteName}`);
});

test("the site becomes Running without a reload", async () => {
  const seen = new Set();
  const navigations = [];
  page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
  await eventually(
    async () => {
      const text = await phase().textContent();
      seen.add(text);
      return text === "Running";
    },
    { timeout: CONVERGE_MS, what: "phase Running" },
  );
  assert.deepEqual(navigations, [], "no reload or navigation happened while waiting");
  assert.ok(seen.size >= 1);
  await shot(page, "site-overview");
});

test("the site serves its title", async () => {
  const url = await page.getByTestId("visit-site").getAttribute("href");
  assert.ok(url, "the site has a URL");
  const site = await page.context().newPage();
  await eventually(
    async () => {
      const response = await site.goto(url, { waitUntil: "domcontentloaded" });
      return response?.ok() && (await site.title()).includes(displayName);
    },
    { timeout: 120_000, interval: 3000, what: `the title "${displayName}" at ${url}` },
  );
  await shot(site, "site-wordpress");
  await site.close();
});

test("a log line appears after visiting the site", async () => {
  await page.getByRole("link", { name: "Logs" }).click();
  const viewer = page.getByTestId("log-viewer");
  await viewer.waitFor();
  const url = await page.getByTestId("visit-site").getAttribute("href");
  const marker = `e2e-${id}`;
  await eventually(
    async () => {
      await page.request.get(`${url}?${marker}=1`).catch(() => undefined);
      return (await viewer.textContent())?.includes(marker);
    },
    { timeout: 90_000, interval: 3000, what: "the visit in the log viewer" },
  );
  await shot(page, "site-logs");
});

test("scale to two replicas", async () => {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Replicas").fill("2");
  await page.getByRole("button", { name: "Apply scale" }).click();
  await page.getByRole("link", { name: "Overview" }).click();
  await page.getByText("2 running of 2").waitFor({ timeout: CONVERGE_MS });
  await shot(page, "site-scaled");
});

test("stop and start", async () => {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop", exact: true }).click();
  await waitForPhase("Stopped");
  await shot(page, "site-stopped");
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForPhase("Running");
});

test("delete with typed confirmation", async () => {
  await page.getByRole("button", { name: "Delete site" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this site?" });
  const confirm = dialog.getByRole("button", { name: "Delete site" });
  assert.equal(await confirm.isDisabled(), true, "disabled until the name is typed");
  await dialog.getByRole("textbox").fill(siteName);
  await confirm.click();
  await page.waitForURL("**/instances");
  await page.getByTestId(`tenant-row-${siteName}`).waitFor({ state: "detached", timeout: CONVERGE_MS });
  await shot(page, "sites-after-delete");
  siteName = undefined;
});
