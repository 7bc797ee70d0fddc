// What every end-to-end test file shares: where the app, the CLI and the
// screenshots are, a throw-away HOME the app and the CLI both use, and the
// hooks that start tauri-driver + the real app before a file's tests and
// stop them (and remove the HOME) after.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { WebDriver, startTauriDriver, stopTauriDriver } from "./webdriver.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
export const APP = process.env.COFFER_APP ?? join(ROOT, "target/debug/coffer-desktop");
export const CLI = process.env.COFFER_CLI ?? join(ROOT, "target/debug/coffer");
export const SHOTS = resolve(ROOT, process.env.COFFER_SCREENSHOTS ?? ".cache/e2e-screenshots");
// One the passphrase policy accepts (the first run refuses weak ones).
export const PASSPHRASE = "velvet crane ambles under 9 moons";
export const tid = (id) => `[data-testid="${id}"]`;
export const row = (key) => `[data-testid="item-row"][data-item="${key}"]`;

/**
 * Registers the file's before/after hooks and returns its app handle:
 * `home` and `env` (a fresh HOME and XDG dirs; identities at the KDF floor,
 * which only debug builds honour), `wd` (the WebDriver client; its session
 * starts in the `before` hook) and the `shot`, `fill` and `click` helpers.
 * `portBase` keeps files that run one after another off each other's ports
 * (each file's base at least 200 above the next lower one);
 * `needsBus` asserts a D-Bus session bus (scripts/with-keyring.sh);
 * `extraEnv(home)` adds variables for the app (test seams, a GTK theme).
 */
export function appSuite({ prefix, portBase, needsBus = false, extraEnv = () => ({}) }) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    COFFER_TEST_KDF_FLOOR: "1",
    NO_AT_BRIDGE: "1",
  };
  // The app and the CLI find everything under XDG_DATA_HOME.
  delete env.COFFER_HOME;
  delete env.COFFER_VAULT;
  delete env.COFFER_PASSPHRASE;
  Object.assign(env, extraEnv(home));
  let driver;
  const app = {
    home,
    env,
    wd: new WebDriver(""),
    async shot(name) {
      mkdirSync(SHOTS, { recursive: true });
      // Screenshots can lag the page: let it paint first.
      await sleep(300);
      writeFileSync(join(SHOTS, name), await app.wd.screenshot());
    },
    async fill(id, text) {
      const el = await app.wd.$(tid(id));
      await el.clear();
      await el.type(text);
    },
    async click(css) {
      await (await app.wd.$(css)).click();
    },
  };
  before(async () => {
    assert.ok(existsSync(APP), `build the app first: ${APP}`);
    assert.ok(process.env.DISPLAY, "run under Xvfb (xvfb-run)");
    if (needsBus) {
      assert.ok(
        process.env.DBUS_SESSION_BUS_ADDRESS,
        "run under a D-Bus session bus (scripts/with-keyring.sh, as scripts/test.sh does)",
      );
    }
    // Once more on a far port if it does not answer: a CI run lost a whole
    // file to a driver that never answered on its first port.
    // Files' bases are at least 200 apart, so ranges never overlap.
    const port = portBase + (process.pid % 100) * 2;
    driver = await startTauriDriver(port, env).catch((e) => {
      console.error(`tauri-driver on port ${port}: ${e.message}; trying port ${port + 20000}`);
      return startTauriDriver(port + 20000, env);
    });
    app.wd.base = driver.base;
    await app.wd.start({ browserName: "wry", "tauri:options": { application: APP } });
    // The first screen, whichever it is, with room for a loaded machine:
    // a cold WebKit start under a load of 5-9 took more than the 15 s
    // every later wait allows (the memory test failed there, before any
    // of its own steps).
    await app.wd.$("[data-testid]", { timeout: 60_000 });
  });
  after(async () => {
    // Bounded at every step: a hung app must never hang `node --test`.
    await Promise.race([app.wd?.quit(), sleep(10_000)]);
    // SIGTERM to tauri-driver's whole process group (it stops
    // WebKitWebDriver), SIGKILL to the group if anything is left.
    await stopTauriDriver(driver);
    rmSync(home, { recursive: true, force: true });
  });
  return app;
}

/** Opens `key` (`PROJECT/ENV/NAME`) in the detail pane from its row;
 * resolves to the pane's selector. */
export async function openItem(wd, key) {
  // visible: false: WebKitWebDriver's displayedness atom judges the name's
  // button (a shrinkable flex item in a fixed-layout cell) hidden, though
  // it is on screen and its click lands (the screenshots show it).
  await (await wd.$(`${row(key)} ${tid("open")}`, { visible: false })).click();
  const pane = `${tid("detail-pane")}[data-item="${key}"]`;
  await wd.$(pane);
  return pane;
}

/** Picks the entry `testid` (edit, history, share, delete) of the "⋯" menu
 * of `key`'s row. */
export async function rowAction(wd, key, testid) {
  await (await wd.$(`${row(key)} ${tid("more")}`)).click();
  await (await wd.$(`${tid("row-menu")} ${tid(testid)}`)).click();
}

/** Reveals `key` in the detail pane; resolves to the revealed value's
 * selector (read it with textContent: WebKitWebDriver's rendered-text
 * check misjudges wrapped <code>). */
export async function reveal(wd, key) {
  const pane = await openItem(wd, key);
  const shown = `${pane} ${tid("revealed-value")}`;
  // Already shown (Reveal would hide it again).
  if ((await wd.$$(shown)).length) return shown;
  await (await wd.$(`${pane} ${tid("reveal")}`)).click();
  await wd.$(shown, { visible: false });
  return shown;
}

/** The first run through the window: identity `name` (and `email`), the
 * test passphrase, then a new vault for `team`; resolves on the empty vault. */
export async function firstRun(app, { name, email = null, team = "Acme" }) {
  await app.fill("firstrun-name", name);
  if (email) await app.fill("firstrun-email", email);
  await app.fill("firstrun-password", PASSPHRASE);
  await app.fill("firstrun-confirm", PASSPHRASE);
  await app.click(tid("firstrun-submit"));
  await app.fill("vault-team", team);
  await app.click(tid("vault-submit"));
  await app.wd.$(tid("empty-vault"));
}

/** Chooses `value` in the app's drop-down (Select.svelte) at `css` as a
 * user does: a click opens its list, a click on the option chooses. */
export async function choose(wd, css, value) {
  const box = await wd.$(css);
  // Into the middle of what scrolls: WebKitWebDriver scrolls a target only
  // to the edge, where a dialog's sticky buttons cover it.
  await wd.exec("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })", css);
  await box.click();
  const list = await box.attr("aria-controls");
  await (await wd.$(`[id="${list}"] [role="option"][data-value="${value}"]`)).click();
  await wd.gone(`[id="${list}"]`);
}

/** Opens the app's drop-down (Select.svelte) at `css` at 760, 1120 and
 * 1440 px: its list is the app's own (a listbox in the theme's panel
 * colour, not a GTK menu), lies inside the window, and Escape closes only
 * the list. Screenshots: `${name}-${width}.png`. Leaves the window at
 * 1120 px. */
export async function lookAtList(app, css, name) {
  const { wd } = app;
  for (const width of [760, 1120, 1440]) {
    await resize(wd, width);
    await (await wd.$(css)).click();
    const list = `[id="${await (await wd.$(css)).attr("aria-controls")}"]`;
    await wd.$(list);
    const seen = await wd.exec(
      `const l = document.querySelector(arguments[0]), r = l.getBoundingClientRect();
       const panel = getComputedStyle(document.documentElement).getPropertyValue("--panel").trim();
       const probe = document.createElement("i"); probe.style.color = panel; document.body.append(probe);
       const want = getComputedStyle(probe).color; probe.remove();
       return { role: l.getAttribute("role"), bg: getComputedStyle(l).backgroundColor, want,
                inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
                wide: document.documentElement.scrollWidth <= document.documentElement.clientWidth };`,
      list,
    );
    assert.equal(seen.role, "listbox");
    assert.equal(seen.bg, seen.want, "the list is drawn in the app's panel colour");
    assert.ok(seen.inside, `the list lies inside the ${width} px window`);
    assert.ok(seen.wide, "nothing scrolls sideways");
    await app.shot(`${name}-${width}.png`);
    await (await wd.$(css)).type("\uE00C"); // Escape
    await wd.gone(list);
  }
  await wd.req("POST", wd.s("/window/rect"), { width: 1120, height: 740 });
}

/** What scrolls sideways in the window: the page, or any scrolling box in
 * <main> wider than its box (empty: nothing). */
export function sideways(wd) {
  return wd.exec(`
    const bad = [];
    const de = document.documentElement;
    if (de.scrollWidth > de.clientWidth) bad.push("page " + de.scrollWidth + " > " + de.clientWidth);
    for (const el of document.querySelectorAll("main, main *")) {
      const s = getComputedStyle(el);
      if ((s.overflowX === "auto" || s.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1)
        bad.push(el.tagName + "." + el.className + " " + el.scrollWidth + " > " + el.clientWidth);
    }
    return bad;`);
}

/** Resizes the window to `width` × 740 and waits until the page has it. */
export async function resize(wd, width) {
  await wd.req("POST", wd.s("/window/rect"), { width, height: 740 });
  await wd.until(`the window is ${width} px wide`, async () => Math.abs((await wd.exec("return window.innerWidth")) - width) <= 2);
}

