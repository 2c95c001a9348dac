// Plan allocations in the portal: the billing page and the plan picker show each plan's
// storage and traffic per site (and say which features are only labels); a site's overview
// shows what it uses of them and measures it on request.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { api, launch, newPage, register, shot, steps, unique } from "../lib.mjs";

const test = steps(nodeTest, () => [page]);

let browser;
let page;
const id = unique("usage");
const siteName = `e2e-${id}`.slice(0, 32);

before(async () => {
  browser = await launch();
  page = await newPage(browser);
  await register(page, { email: `${id}@e2e.swarmpress.test`, password: `pw-${id}-Secret!`, name: "Usage User" });
});

after(async () => {
  await api(page, "DELETE", `/tenants/${siteName}`).catch(() => undefined);
  await browser?.close();
});

test("the billing page shows the plan's allocations", async () => {
  await page.goto("/billing");
  const plan = page.getByRole("list", { name: "What the Free plan gives" });
  await plan.getByText("1 GiB storage per site").waitFor();
  await plan.getByText("10 GiB traffic per site a month").waitFor();
  await plan.getByText(/PHP workers per replica/).waitFor();
  await shot(page, "billing-allocations");
});

test("the plan picker shows allocations and marks label-only features", async () => {
  await page.getByRole("button", { name: "Change plan" }).click();
  const dialog = page.getByRole("dialog");
  const professional = dialog.getByRole("list", { name: "What the Professional plan gives" });
  await professional.getByText("50 GiB storage per site").waitFor();
  await professional.getByText("500 GiB traffic per site a month").waitFor();
  await professional.getByText(/label: support is arranged with the operator/).waitFor();
  const more = dialog.getByRole("list", { name: "What the Starter Plus plan gives" });
  await more.getByText("(250 GiB of traffic per site a month)").waitFor();
  await shot(page, "plan-picker-allocations");
  await page.keyboard.press("Escape");
});

test("a site's overview shows its usage and measures it now", async () => {
  const created = await api(page, "POST", "/tenants", {
    metadata: { name: siteName },
    spec: { displayName: "Usage Site", region: "eu-west", admin: { email: "admin@example.test" } },
  });
  assert.equal(created.status(), 201, await created.text());
  await page.goto(`/instances/${siteName}`);
  const card = page.getByRole("region", { name: "Storage" });
  await card.waitFor();
  await page.getByRole("progressbar", { name: "Storage used" }).waitFor();
  await page.getByRole("progressbar", { name: "Traffic this month" }).waitFor();
  await page.getByRole("button", { name: "Measure now" }).click();
  await card.getByText(/· measured /).waitFor({ timeout: 60_000 });
  const usage = await (await api(page, "GET", `/tenants/${siteName}/usage`)).json();
  assert.ok(usage.storage.measuredAt, "the measurement is stored");
  assert.equal(usage.storage.allocationBytes, 1024 * 1024 * 1024);
  await shot(page, "site-usage");
});
