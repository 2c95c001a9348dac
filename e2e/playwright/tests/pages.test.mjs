// Screenshots of every main page at desktop and phone width, light and dark, as an admin.
import { after, before, test } from "node:test";
import { adminCredentials, launch, login, newPage, shot } from "../lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => browser?.close());

const PAGES = [
  ["dashboard", "/"],
  ["sites", "/instances"],
  ["wizard", "/instances/new"],
  ["apply", "/apply"],
  ["billing", "/billing"],
  ["profile", "/account"],
  ["tokens", "/account/tokens"],
  ["admin-maintenance", "/admin/maintenance"],
  ["admin-rollouts", "/admin/rollouts"],
  ["admin-cluster", "/admin/cluster"],
  ["admin-users", "/admin/users"],
];

for (const [width, suffix] of [
  [1280, "1280"],
  [390, "390"],
]) {
  test(`main pages at ${width} px`, async () => {
    const page = await newPage(browser, { width, height: width > 500 ? 900 : 844 });
    await page.goto("/login");
    await shot(page, `pages/login-${suffix}`);
    await page.goto("/register");
    await shot(page, `pages/register-${suffix}`);
    await login(page, adminCredentials());
    for (const [name, path] of PAGES) {
      await page.goto(path);
      await page.waitForLoadState("networkidle").catch(() => undefined);
      await shot(page, `pages/${name}-${suffix}`);
    }
    await page.getByRole("button", { name: /Switch to dark mode/ }).click().catch(() => undefined);
    await page.goto("/");
    await shot(page, `pages/dashboard-${suffix}-dark`);
    await page.context().close();
  });
}
