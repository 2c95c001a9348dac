// A site served under a path of its address: chosen in the wizard (checked as the API checks
// it), then moved and moved back to the root in the site's settings.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { api, launch, newPage, register, shot, steps, unique } from "../lib.mjs";

const test = steps(nodeTest, () => [page]);

let browser;
let page;
const id = unique("path");
const siteName = `e2e-${id}`.slice(0, 32);

before(async () => {
  browser = await launch();
  page = await newPage(browser);
  await register(page, { email: `${id}@e2e.swarmpress.test`, password: `pw-${id}-Secret!`, name: "Path User" });
});

after(async () => {
  await api(page, "DELETE", `/tenants/${siteName}`).catch(() => undefined);
  await browser?.close();
});

const spec = async () => (await (await api(page, "GET", `/tenants/${siteName}`)).json()).spec;

test("the wizard takes a path prefix, checked before it is sent", async () => {
  await page.goto("/instances/new");
  await page.getByLabel("Site name").fill("Path Site");
  await page.getByLabel("Address").fill(siteName);
  const path = page.getByLabel("Path");
  await path.fill("blog/");
  await page.getByText('A path such as "/blog"').waitFor();
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await page.getByRole("button", { name: "Add variable" }).count(), 0, "an invalid path keeps the wizard on its step");
  await path.fill("/blog");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  const review = page.locator("dl");
  await review.getByText("/blog", { exact: true }).waitFor();
  await shot(page, "wizard-path-review");
  await page.getByRole("button", { name: "Create site" }).click();
  await page.getByTestId("secret-value").waitFor();
  assert.equal((await spec()).pathPrefix, "/blog");
});

test("the settings move the site to another path and back to the root", async () => {
  await page.goto(`/instances/${siteName}/settings`);
  const prefix = page.getByLabel("Path prefix");
  assert.equal(await prefix.inputValue(), "/blog");
  await prefix.fill("/news/");
  assert.ok(await page.getByRole("button", { name: "Save path" }).isDisabled(), "an invalid path cannot be saved");
  await prefix.fill("/news");
  // The saved spec reaches the page through its watch before the PATCH's own answer (held
  // back here for 3 s): the card, keyed by the path, remounts, and its confirmation must
  // still come.
  const holdPatch = async (route) => {
    if (route.request().method() !== "PATCH") return route.continue();
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return route.fulfill({ response });
  };
  await page.route(`**/api/v1/tenants/${siteName}`, holdPatch);
  await page.getByRole("button", { name: "Save path" }).click();
  await page.getByText("Served at /news").waitFor();
  await page.unroute(`**/api/v1/tenants/${siteName}`, holdPatch);
  assert.equal((await spec()).pathPrefix, "/news");
  await shot(page, "settings-path");

  await page.getByLabel("Path prefix").fill("");
  await page.getByRole("button", { name: "Save path" }).click();
  await page.getByText("Served at /", { exact: true }).waitFor();
  assert.equal((await spec()).pathPrefix, undefined, "no prefix: served at the root");
});
