// An admin publishes a maintenance window: a regular user's UI is blocked, then released
// when the window is ended.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { adminApi, adminCredentials, api, steps, eventually, launch, login, newPage, register, shot, unique } from "../lib.mjs";

const test = steps(nodeTest, () => [admin, user]);

let browser;
let admin;
let user;
let windowId;

before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  user = await newPage(browser);
});

after(async () => {
  if (windowId) await api(admin, "DELETE", `/admin/maintenance-windows/${windowId}`).catch(() => undefined);
  await browser?.close();
});

const popup = () => user.getByTestId("maintenance-popup");

test("a user and an admin are signed in", async () => {
  const id = unique("mnt");
  await register(user, { email: `${id}@e2e.swarmpress.test`, password: `pw-${id}-Secret!`, name: "Maintenance User" });
  await login(admin, adminCredentials());
  assert.equal(await popup().count(), 0);
});

test("an active window blocks the user's UI", async () => {
  await admin.goto("/admin/maintenance");
  await admin.getByRole("button", { name: "Schedule" }).click();
  const dialog = admin.getByRole("dialog", { name: "Schedule maintenance" });
  await dialog.getByLabel("Message shown to users").fill("E2E maintenance in progress");
  await shot(admin, "admin-maintenance-dialog", { fullPage: false });
  const created = admin.waitForResponse((r) => r.url().endsWith("/admin/maintenance-windows") && r.request().method() === "POST");
  await dialog.getByRole("button", { name: "Schedule" }).click();
  const response = await created;
  assert.equal(response.status(), 201);
  windowId = (await response.json()).id;
  await admin.getByText("E2E maintenance in progress", { exact: true }).waitFor();
  await shot(admin, "admin-maintenance");

  await popup().waitFor({ timeout: 25_000 });
  assert.ok(await user.getByText("E2E maintenance in progress").isVisible());
  // The rest of the UI cannot be reached: the dialog is modal and cannot be dismissed.
  await user.keyboard.press("Escape");
  assert.ok(await popup().isVisible());
  await shot(user, "maintenance-popup", { fullPage: false });

  // Before signing in, the login page says so too.
  const visitor = await newPage(browser);
  try {
    await visitor.goto("/login");
    const status = visitor.getByTestId("maintenance-status");
    await status.waitFor({ timeout: 25_000 });
    assert.match(await status.textContent(), /E2E maintenance in progress/);
    await shot(visitor, "login-maintenance", { fullPage: false });
  } finally {
    await visitor.context().close();
  }
});

test("ending the window releases the user", async () => {
  await admin.getByRole("button", { name: "End now" }).click();
  await eventually(async () => (await popup().count()) === 0, { timeout: 25_000, what: "the popup to lift" });
  windowId = undefined;
  await user.getByRole("heading", { name: /Welcome/ }).waitFor();
});

// A future window marked to block writes: the dialog's control sends it, the list says so.
// (In the future, so no other suite's writes meet the closed door.)
test("a window can be scheduled to block writes", async () => {
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const start = new Date(Date.now() + 24 * 3_600_000);
  const end = new Date(start.getTime() + 3_600_000);
  await admin.getByRole("button", { name: "Schedule" }).click();
  const dialog = admin.getByRole("dialog", { name: "Schedule maintenance" });
  await dialog.getByLabel("Message shown to users").fill("E2E writes closed tomorrow");
  await dialog.getByRole("textbox", { name: "Starts" }).fill(local(start));
  await dialog.getByRole("textbox", { name: "Ends" }).fill(local(end));
  await dialog.getByRole("checkbox", { name: /Block writes/ }).check();
  const created = admin.waitForResponse((r) => r.url().endsWith("/admin/maintenance-windows") && r.request().method() === "POST");
  await dialog.getByRole("button", { name: "Schedule" }).click();
  const response = await created;
  assert.equal(response.status(), 201);
  const window = await response.json();
  windowId = window.id;
  assert.equal(window.blocking, true);
  const row = admin.getByRole("listitem").filter({ hasText: "E2E writes closed tomorrow" });
  await row.getByText("blocks writes").waitFor();
  await row.getByRole("button", { name: "Delete" }).click();
  await eventually(async () => (await row.count()) === 0, { timeout: 10_000, what: "the window to go" });
  windowId = undefined;
});

test("an announcement shows on every page and before signing in", async () => {
  const title = `E2E notice ${unique("a")}`;
  const now = Date.now();
  const created = await adminApi("POST", "/admin/announcements", {
    type: "info",
    title,
    message: "Shown everywhere",
    start: new Date(now - 60_000).toISOString(),
    end: new Date(now + 3_600_000).toISOString(),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id: announcementId } = await created.json();
  const visitor = await newPage(browser);
  try {
    for (const path of ["/instances", "/billing", "/account"]) {
      await user.goto(path);
      await user.getByTestId("announcement").filter({ hasText: title }).waitFor();
    }
    await visitor.goto("/login");
    await visitor.getByTestId("announcement").filter({ hasText: title }).waitFor();
    await shot(visitor, "login-announcement", { fullPage: false });
  } finally {
    await visitor.context().close();
    await adminApi("DELETE", `/admin/announcements/${announcementId}`);
  }
});

test("a rollout scheduled in a maintenance window, then started now", async () => {
  const tag = unique("e2e");
  const image = `swarmpress/wordpress:${tag}`;
  const start = new Date(Date.now() + 24 * 3_600_000);
  const made = await adminApi("POST", "/admin/maintenance-windows", {
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
    message: `E2E rollout window ${tag}`,
  });
  assert.equal(made.status, 201, await made.clone().text());
  const { id: rolloutWindow } = await made.json();
  try {
    await admin.goto("/admin/rollouts");
    await admin.getByRole("button", { name: "New rollout" }).click();
    const dialog = admin.getByRole("dialog", { name: "New rollout" });
    await dialog.getByLabel("Image", { exact: true }).fill(image);
    await dialog.getByLabel("Every site").uncheck();
    // A site that does not exist: the rollout has nothing to update, so starting it is harmless.
    await dialog.getByLabel("Site names").fill(`no-such-site-${tag}`);
    await dialog.getByLabel("In a maintenance window").check();
    await dialog.getByLabel("Maintenance window", { exact: true }).selectOption(rolloutWindow);
    await shot(admin, "rollout-schedule-dialog", { fullPage: false });
    await dialog.getByRole("button", { name: "Schedule rollout" }).click();
    await dialog.waitFor({ state: "detached" });

    const windows = await (await adminApi("GET", "/admin/maintenance-windows")).json();
    const rolloutId = windows.find((w) => w.id === rolloutWindow)?.rolloutId;
    assert.ok(rolloutId, "the window names the rollout");
    const card = admin.getByTestId(`rollout-${rolloutId}`);
    await card.getByText("scheduled", { exact: true }).waitFor();
    assert.match(await card.textContent(), /starts /);
    await card.getByRole("button", { name: "Start now" }).click();
    await eventually(async () => !(await card.getByText("scheduled", { exact: true }).isVisible()), {
      timeout: 30_000,
      what: "the controller to begin the rollout",
    });
    await shot(admin, "rollout-started-now");
  } finally {
    await adminApi("DELETE", `/admin/maintenance-windows/${rolloutWindow}`);
  }
});
