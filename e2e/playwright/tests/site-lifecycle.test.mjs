// register → create a site in the wizard → watch it become Running without reload → open the
// site and see its title → a log line appears after visiting it → scale to 2 → stop and start →
// delete. One browser, one fresh user, the real platform.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { CONVERGE_MS, adminApi, adminCredentials, api, steps, eventually, launch, login, newPage, register, shot, unique } from "../lib.mjs";

const test = steps(nodeTest, () => [page]);

let browser;
let page;
const id = unique("e2e");
const user = { email: `${id}@e2e.swarmpress.test`, password: `pw-${id}-Secret!`, name: "E2E User" };
const displayName = `E2E Blog ${id.slice(-5)}`;
let siteName;
/** Every phase the UI showed, from the wizard's confirmation on. */
const phasesSeen = [];

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
  await shot(page, "billing-upgrade", { fullPage: false });
  await dialog.getByRole("button", { name: `Switch to ${target.name}` }).click();
  await dialog.waitFor({ state: "detached" });
  // A dearer plan waits for an administrator: the page says so until one approves it.
  await page.getByText(`Change to ${target.name} requested`).waitFor();
  await shot(page, "billing-requested");
  const pending = (await (await api(page, "GET", "/subscription")).json()).pending;
  assert.equal(pending?.planId, target.id, "the request is pending");
  const approved = await adminApi("POST", `/admin/plan-requests/${pending.id}/approve`);
  assert.equal(approved.status, 200, `approve: ${await approved.text()}`);
  await page.reload();
  await page.getByText(target.name, { exact: true }).first().waitFor();
  await page.getByText(`Change to ${target.name} requested`).waitFor({ state: "detached" });
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
  phasesSeen.push(await phase().textContent());
  await shot(page, "wizard-created");
  await page.getByRole("link", { name: "Open site dashboard" }).click();
  await page.waitForURL(`**/instances/${siteName}`);
  // The URL changes before React commits the new page (the router renders in a transition):
  // wait for what only the dashboard has, or the wizard's page, secret and all, is still there.
  await page.getByRole("navigation", { name: "Site sections" }).waitFor();
  await phase().waitFor();
  assert.equal(await page.getByText(secret).count(), 0, "the password is shown only once");
});

test("the site becomes Running without a reload", async () => {
  const navigations = [];
  const polls = [];
  const onNavigation = (frame) => frame === page.mainFrame() && navigations.push(frame.url());
  // Reading the tenant again would also show the new phase: only the watch stream may.
  const onRequest = (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === "GET" && (path === "/api/v1/tenants" || path === `/api/v1/tenants/${siteName}`)) {
      if (!new URL(request.url()).searchParams.has("watch")) polls.push(path);
    }
  };
  page.on("framenavigated", onNavigation);
  page.on("request", onRequest);
  try {
    await eventually(
      async () => {
        const text = await phase().textContent();
        if (phasesSeen.at(-1) !== text) phasesSeen.push(text);
        return text === "Running";
      },
      { timeout: CONVERGE_MS, interval: 250, what: "phase Running" },
    );
  } finally {
    page.off("framenavigated", onNavigation);
    page.off("request", onRequest);
  }
  console.log(`phases seen: ${phasesSeen.join(" → ")}`);
  assert.deepEqual(navigations, [], "no reload or navigation happened while waiting");
  assert.deepEqual(polls, [], "the tenant was not read again: the watch stream brought the change");
  assert.ok(phasesSeen.some((p) => p !== "Running"), `the site was seen before it ran: ${phasesSeen.join(" → ")}`);
  await shot(page, "site-overview");
});

test("an administrator's site list names the site's owner", async () => {
  const admin = await newPage(browser);
  try {
    await login(admin, adminCredentials());
    await admin.goto("/instances");
    const owner = admin.getByTestId(`tenant-row-${siteName}`).getByTestId("tenant-owner");
    await owner.getByText(user.email).waitFor();
  } finally {
    await admin.context().close();
  }
});

test("the detail tabs: analytics, inspect, settings", async () => {
  // Live figures say where they come from.
  const source = page.getByTestId("metrics-source");
  await source.waitFor({ timeout: 60_000 });
  assert.match(await source.textContent(), /Live from Prometheus|From the container engine/);
  await page.getByRole("link", { name: "Analytics" }).click();
  await page.getByRole("group", { name: "Time range" }).waitFor();
  // A new site may have no points in the range yet: then the tab says so instead of charting.
  await page.getByText("Storage (files and database)").or(page.getByText("No data for this range yet")).first().waitFor();
  await shot(page, "site-analytics");
  await page.getByRole("button", { name: "Inspect" }).click();
  const inspect = page.getByRole("dialog", { name: `Inspect ${siteName}` });
  await inspect.waitFor();
  // Structured first: the tasks and the environment with its secrets masked; raw JSON a click away.
  await inspect.getByRole("region", { name: "Tasks" }).waitFor();
  await inspect.getByRole("region", { name: "Environment" }).getByText("E2E_MARKER").waitFor();
  await shot(page, "site-inspect", { fullPage: false });
  await inspect.getByRole("button", { name: "Raw JSON" }).click();
  assert.match(await inspect.getByTestId("inspect-raw").textContent(), /"tasks"/);
  await page.keyboard.press("Escape");
  await inspect.waitFor({ state: "detached" });
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Replicas").waitFor();
  // The cache purge reaches the running replica and says so.
  await page.getByRole("button", { name: "Purge cache" }).click();
  const report = page.getByTestId("purge-report");
  await report.getByText("Purged in every replica").waitFor({ timeout: 30_000 });
  assert.match(await report.textContent(), /opcache reset/);
  await shot(page, "site-settings");
  await page.getByRole("link", { name: "Overview" }).click();
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
  // Visited by the browser: Chromium resolves <name>.localhost itself, Node's resolver may not.
  const visitor = await page.context().newPage();
  try {
    await eventually(
      async () => {
        await visitor.goto(`${url}?${marker}=1`, { waitUntil: "commit", timeout: 10_000 }).catch(() => undefined);
        return (await viewer.textContent({ timeout: 5000 }))?.includes(marker);
      },
      { timeout: 60_000, interval: 3000, what: "the visit in the log viewer" },
    );
  } finally {
    await visitor.close();
  }
  await shot(page, "site-logs");

  // Search narrows the lines to the visit; pause holds new lines back; download saves them.
  await page.getByRole("searchbox", { name: "Search logs" }).fill(marker);
  const counts = page.getByText(/^\d+ of \d+ lines match/);
  const [shown, total] = ((await counts.textContent()) ?? "").match(/\d+/g).map(Number);
  assert.ok(shown >= 1 && shown < total, `search keeps only the visit's lines (${shown} of ${total})`);
  assert.ok((await viewer.textContent())?.includes(marker));
  await page.getByRole("button", { name: "Pause" }).click();
  await page.getByRole("button", { name: /^Resume/ }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download" }).click();
  assert.match((await download).suggestedFilename(), /\.(log|txt)$/);
  await page.getByRole("searchbox", { name: "Search logs" }).fill("");
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
