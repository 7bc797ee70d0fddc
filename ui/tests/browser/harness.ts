// Serves the mock build (dist-mock/) and drives Debian's chromium through
// playwright-core. No browser download: CHROMIUM or /usr/bin/chromium.
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";

const DIST = join(import.meta.dirname, "../../dist-mock");
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};
// The app's release CSP (minus Tauri's IPC endpoints): a violation in the
// mock build would be one in the app too.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^(\.\.[/\\])+/, "");
    const file = join(DIST, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-security-policy": CSP });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${port}` };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A page on the mock build in a preset state; fails the test on any
 * console error or CSP violation. */
/** The mock backend states a page can open on (see MockBackend.preset). */
export type Preset = "empty" | "locked" | "unlocked" | "large" | "missing" | "biglog" | "hygiene" | "synced" | "synced-stale" | "synced-unreadable" | "overrides";

export async function open(
  browser: Browser,
  base: string,
  preset: Preset,
  scheme: "light" | "dark" = "light",
): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: scheme });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/?mock=${preset}`);
  return { page, errors };
}

/** Registers what every browser test file needs — the mock build served,
 * one chromium for the file, and after each test: no console error or CSP
 * violation, and its browser context closed — and returns `openPage`,
 * which opens a fresh page on a preset. */
export function browserSuite(): (preset: Preset, scheme?: "light" | "dark") => Promise<{ page: Page; errors: string[] }> {
  let browser: Browser;
  let server: Server;
  let base: string;
  let current: { page: Page; errors: string[] } | null = null;
  beforeAll(async () => {
    ({ server, url: base } = await serve());
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });
  afterEach(async () => {
    if (!current) return;
    const { page, errors } = current;
    current = null;
    expect(errors).toEqual([]);
    await page.context().close();
  });
  return async (preset, scheme = "light") => (current = await open(browser, base, preset, scheme));
}

const tidSel = (id: string) => `[data-testid="${id}"]`;
const rowSel = (key: string) => `[data-testid="item-row"][data-item="${key}"]`;

/** Opens `key` (`PROJECT/ENV/NAME`) in the detail pane from its row, and
 * returns the pane. */
export async function openItem(page: Page, key: string) {
  await page.locator(`${rowSel(key)} ${tidSel("open")}`).click();
  const pane = page.locator(`${tidSel("detail-pane")}[data-item="${key}"]`);
  await pane.waitFor();
  return pane;
}

/** Picks the entry `testid` (edit, history, share, delete) of the "⋯" menu
 * of `key`'s row. */
export async function rowAction(page: Page, key: string, testid: "edit" | "history" | "share" | "delete") {
  await page.locator(`${rowSel(key)} ${tidSel("more")}`).click();
  await page.locator(`${tidSel("row-menu")} ${tidSel(testid)}`).click();
}

/** Chooses the option `value` of the app's drop-down (Select.svelte) at
 * `box`, as a user does: a click opens it, a click on the option chooses. */
export async function pick(box: Locator, value: string) {
  await box.click();
  const list = await box.getAttribute("aria-controls");
  await box.page().locator(`[id="${list}"] [role="option"][data-value="${value}"]`).click();
}

/** The value a drop-down (Select.svelte) shows. */
export function valueOf(box: Locator): Promise<string> {
  return box.evaluate((b) => (b as HTMLButtonElement).value);
}
