// Shared setup of the browser tests: the platform's address, Debian's Chromium, accounts and
// screenshots. Everything goes through the public portal and API, as a user would.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const BASE_URL = (process.env.SWARMPRESS_URL ?? "http://localhost:8080").replace(/\/$/, "");
export const SCREENSHOTS = process.env.SWARMPRESS_SCREENSHOTS ?? join(ROOT, "target/e2e/screenshots");
/** Provisioning installs WordPress: allow minutes, not seconds. */
export const CONVERGE_MS = Number(process.env.SWARMPRESS_E2E_CONVERGE_MS ?? 300_000);

mkdirSync(join(SCREENSHOTS, "pages"), { recursive: true });

// The portal runs under a content security policy: anything it refuses (an inline script, a
// foreign origin) fails the test file, since the page may only look fine by accident.
const cspViolations = [];
process.on("exit", () => {
  if (cspViolations.length) {
    console.error(`content security policy violations:\n${cspViolations.join("\n")}`);
    process.exitCode = 1;
  }
});

/**
 * The flags Chromium runs with (a project requirement): headless, no sandbox (root in CI), and
 * nothing that talks to Google or updates itself behind the tests' back.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Debian's Chromium, always by path: playwright-core never downloads or picks a browser. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A fresh, isolated browser profile (its own cookies) at desktop or phone width. */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: BASE_URL });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[pageerror] ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /content security policy/i.test(message.text())) {
      cspViolations.push(`${page.url()}: ${message.text()}`);
    }
  });
  return page;
}

/** A full-page screenshot; `{ fullPage: false }` for dialogs (fixed overlays cover the viewport only). */
export async function shot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** The first admin, from the environment or .platform/admin.env (written by scripts/up). */
export function adminCredentials() {
  let email = process.env.SWARMPRESS_ADMIN_EMAIL;
  let password = process.env.SWARMPRESS_ADMIN_PASSWORD;
  if (!email || !password) {
    const text = readFileSync(join(ROOT, ".platform/admin.env"), "utf8");
    const value = (key) => text.match(new RegExp(`^${key}=(.*)$`, "m"))?.[1]?.replace(/^['"]|['"]$/g, "");
    email ??= value("SWARMPRESS_ADMIN_EMAIL");
    password ??= value("SWARMPRESS_ADMIN_PASSWORD");
  }
  if (!email || !password) throw new Error("admin credentials: set SWARMPRESS_ADMIN_EMAIL/PASSWORD or run scripts/up");
  return { email, password };
}

export function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

export async function register(page, { email, password, name }) {
  await page.goto("/register");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: /Welcome/ }).waitFor();
}

export async function login(page, { email, password }) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: /Welcome/ }).waitFor();
}

/** Calls the API with the page's cookies (for setup and cleanup only). */
export async function api(page, method, path, body) {
  const response = await page.request.fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers: { "X-Requested-With": "swarmpress", ...(body ? { "Content-Type": "application/json" } : {}) },
    ...(body ? { data: JSON.stringify(body) } : {}),
  });
  return response;
}

/** Calls the API as the first admin, with a session of its own (not the page's). */
export async function adminApi(method, path, body) {
  const { email, password } = adminCredentials();
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!login.ok) throw new Error(`admin login: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers: { cookie, "X-Requested-With": "swarmpress", ...(body ? { "Content-Type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** Polls `check` until it returns a truthy value. */
export async function eventually(check, { timeout = 30_000, interval = 1000, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/**
 * Sequential steps of one story: once a step fails, the later ones are skipped instead of
 * waiting out their timeouts against a state that was never reached.
 */
export function steps(test, pages = () => []) {
  let broken = null;
  return (name, fn) =>
    test(name, async (t) => {
      if (broken) {
        t.skip(`after the failed step "${broken}"`);
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        broken = name;
        await shootFailure(name, pages());
        throw error;
      }
    });
}

/** What the browser showed when a step failed, next to the other screenshots. */
async function shootFailure(step, pages) {
  const slug = step.replace(/[^a-z0-9]+/gi, "-").toLowerCase().slice(0, 60);
  for (const [i, page] of pages.filter(Boolean).entries()) {
    const path = join(SCREENSHOTS, "failures", `${slug}-${i}.png`);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: true, timeout: 5000 }).catch(() => undefined);
    console.error(`[failure] ${page.url()} → ${path}`);
  }
}
