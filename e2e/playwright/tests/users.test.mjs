// An administrator manages an account from the Users page: changes its plan (and marks the
// plan's invoice paid), disables and enables it, resets its password (the user must choose a
// new one at sign-in) and deletes it; each action shows in the audit log.
import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import { adminApi, adminCredentials, eventually, launch, login, newPage, register, shot, steps, unique } from "../lib.mjs";

const test = steps(nodeTest, () => [admin, user]);

let browser;
let admin;
let user;
const id = unique("adm");
const email = `${id}@e2e.swarmpress.test`;
const password = `pw-${id}-Secret!`;
let deleted = false;

before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  user = await newPage(browser);
});

after(async () => {
  if (!deleted) {
    const users = await (await adminApi("GET", "/admin/users")).json();
    const left = users.find((u) => u.email === email);
    if (left) await adminApi("DELETE", `/admin/users/${left.id}`).catch(() => undefined);
  }
  await browser?.close();
});

const row = () => admin.getByTestId(`user-row-${email}`);
const dialog = () => admin.getByRole("dialog", { name: `Manage ${email}` });
const audit = (text) => admin.getByTestId("audit-entry").filter({ hasText: text }).first();

async function signIn(page, secret) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a user and an administrator are signed in", async () => {
  await register(user, { email, password, name: "Managed User" });
  await login(admin, adminCredentials());
  await admin.goto("/admin/users");
  await row().waitFor();
  assert.match(await row().textContent(), /Free/);
  assert.match(await row().textContent(), /active/);
});

test("the administrator moves the user to another plan", async () => {
  await row().getByRole("button", { name: `Manage ${email}` }).click();
  await dialog().getByLabel("Plan").selectOption({ label: "Starter" });
  await shot(admin, "admin-user-dialog", { fullPage: false });
  await dialog().getByRole("button", { name: "Save changes" }).click();
  await admin.getByText(`${email} changed`).waitFor();
  await row().getByText("Starter").waitFor();
  await audit(`changed the plan of ${email}`).waitFor();
  assert.match(await audit(`changed the plan of ${email}`).textContent(), /free → starter/);
});

/**
 * Reloads the user's page until it lands on the sign-in page: an administrator's action
 * reaches the other API replica's credential cache within its 2 s (api/src/auth/cache.rs).
 */
async function reloadUntilSignedOut(what) {
  await eventually(
    async () => {
      await user.reload();
      return user.waitForURL("**/login**", { timeout: 3000 }).then(
        () => true,
        () => false,
      );
    },
    { timeout: 15_000, interval: 500, what },
  );
}

test("a disabled account is signed out and cannot sign in until enabled", async () => {
  await dialog().getByRole("button", { name: "Disable account" }).click();
  await row().getByText("disabled").waitFor();
  await audit(`disabled ${email}`).waitFor();

  await reloadUntilSignedOut("the disabled account to be signed out");
  await signIn(user, password);
  await user.getByText("this account is disabled; ask an administrator").waitFor();

  await dialog().getByRole("button", { name: "Enable account" }).click();
  await row().getByText("active").waitFor();
  await signIn(user, password);
  await user.getByRole("heading", { name: /Welcome/ }).waitFor();
});

test("after a reset the user chooses a new password before anything else", async () => {
  await dialog().getByRole("button", { name: "Reset password" }).click();
  const temporary = await dialog().getByTestId("secret-value").textContent();
  assert.ok(temporary && temporary.length === 20, "the temporary password is shown");
  await row().getByText("password reset").waitFor();
  await shot(admin, "admin-user-reset", { fullPage: false });

  await reloadUntilSignedOut("the reset to sign the user out");
  await signIn(user, temporary);
  await user.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await shot(user, "password-required");
  await user.getByLabel("Temporary password").fill(temporary);
  await user.getByLabel("New password", { exact: true }).fill(`${password}-2`);
  await user.getByLabel("Repeat new password").fill(`${password}-2`);
  await user.getByRole("button", { name: "Change password" }).click();
  await user.getByRole("heading", { name: /Welcome/ }).waitFor();
  await admin.reload();
  await row().getByText("active").waitFor();
});

test("the plan's invoice is marked paid", async () => {
  await admin.goto("/admin/invoices");
  const invoice = admin.getByTestId(`invoice-row-${email}`);
  assert.match(await invoice.textContent(), /Starter plan, first month/);
  await invoice.getByRole("button", { name: `Mark the invoice of ${email} paid` }).click();
  await admin.getByText(`Invoice of ${email} marked paid`).waitFor();
  await invoice.waitFor({ state: "detached" });
  await admin.getByLabel("Show").selectOption({ label: "Paid" });
  await invoice.getByText("paid", { exact: true }).waitFor();
  await shot(admin, "admin-invoices");
});

test("an account without sites is deleted with a typed confirmation", async () => {
  await admin.goto("/admin/users");
  await row().getByRole("button", { name: `Manage ${email}` }).click();
  const remove = dialog().getByRole("button", { name: "Delete account" });
  assert.ok(await remove.isDisabled(), "not before the e-mail is typed");
  await dialog().getByLabel(/to confirm/).fill(email);
  await remove.click();
  await row().waitFor({ state: "detached" });
  deleted = true;
  await audit(`deleted ${email}`).waitFor();
  await shot(admin, "admin-users");
});
