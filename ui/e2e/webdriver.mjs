// A minimal W3C WebDriver client over fetch (Node 20), enough to drive the
// real app through tauri-driver + WebKitWebDriver: sessions, CSS lookups,
// click, type, text, attributes, script and screenshots, with polling
// waits. No dependency to install or keep in step with WebKitWebDriver.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
/** The longest one WebDriver request may take (a session start included). */
const REQUEST_TIMEOUT_MS = 90_000;

export class WebDriver {
  /** @param {string} base e.g. http://127.0.0.1:4444 */
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async req(method, path, body) {
    // A hung app must fail the request, never hang `node --test`.
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok || json?.value?.error) {
      const v = json?.value ?? {};
      const err = new Error(`${method} ${path}: ${v.error ?? res.status} ${v.message ?? ""}`.trim());
      err.code = v.error;
      throw err;
    }
    return json.value;
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  async start(capabilities) {
    const v = await this.req("POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    this.session = v.sessionId;
  }

  async quit() {
    if (this.session) await this.req("DELETE", this.s("")).catch(() => {});
    this.session = null;
  }

  /** Finds elements by CSS (no waiting). */
  async $$(css) {
    const v = await this.req("POST", this.s("/elements"), { using: "css selector", value: css });
    return v.map((e) => new Element(this, e[ELEMENT]));
  }

  /** Waits until `css` matches an element (visible unless `visible: false`). */
  async $(css, { timeout = 15_000, visible = true } = {}) {
    let last = "";
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      try {
        for (const el of await this.$$(css)) {
          if (!visible || (await el.displayed())) return el;
        }
      } catch (e) {
        last = String(e);
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${css} ${last}${await this.shown()}`);
  }

  /** What the page says when a wait fails: its failure and confirmation
   * toasts, so a timeout in CI names the app's own error. */
  async shown() {
    const said = await this.exec(
      "return [...document.querySelectorAll('[data-testid=error], [data-testid=toast]')].map((e) => e.textContent.trim()).join(' | ');",
    ).catch(() => "");
    return said ? ` (the window shows: ${said})` : "";
  }

  /** Waits until `css` matches nothing. An element that goes away
   * between WebKit finding it and handing it over ("stale element
   * reference": a toast fading, a list re-rendered by a live refresh) is
   * what this waits for, not an error: look again (CI O failed on one). */
  async gone(css, timeout = 15_000) {
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      try {
        if ((await this.$$(css)).length === 0) return;
      } catch (e) {
        if (e.code !== "stale element reference") throw e;
      }
      await sleep(100);
    }
    throw new Error(`still present: ${css}`);
  }

  /** Waits for a toast whose text matches `re` and returns that text. An
   * earlier step's toast may still be up (they last 6 s), so the first
   * toast found is not necessarily this step's: a CI run once read the
   * previous step's. */
  async toast(re, timeout = 15_000) {
    return this.until(
      `a toast matching ${re}`,
      () =>
        this.exec(
          `const re = new RegExp(arguments[1], arguments[2]);
           return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim()).find((t) => re.test(t)) ?? "";`,
          '[data-testid="toast"]',
          re.source,
          re.flags,
        ),
      timeout,
    );
  }

  /** Polls `f` until it returns a truthy value. */
  async until(what, f, timeout = 15_000) {
    const end = Date.now() + timeout;
    let last;
    while (Date.now() < end) {
      try {
        last = await f();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})${await this.shown()}`);
  }

  exec(script, ...args) {
    return this.req("POST", this.s("/execute/sync"), { script, args });
  }

  /** A PNG of the window, after the page has painted. */
  async screenshot() {
    await this.exec(
      "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))",
    ).catch(() => sleep(250));
    await sleep(150);
    return Buffer.from(await this.req("GET", this.s("/screenshot")), "base64");
  }
}

class Element {
  constructor(wd, id) {
    this.wd = wd;
    this.id = id;
  }
  p(path) {
    return this.wd.s(`/element/${this.id}${path}`);
  }
  click() {
    return this.wd.req("POST", this.p("/click"), {});
  }
  clear() {
    return this.wd.req("POST", this.p("/clear"), {});
  }
  type(text) {
    return this.wd.req("POST", this.p("/value"), { text });
  }
  text() {
    return this.wd.req("GET", this.p("/text"));
  }
  attr(name) {
    return this.wd.req("GET", this.p(`/attribute/${name}`));
  }
  prop(name) {
    return this.wd.req("GET", this.p(`/property/${name}`));
  }
  displayed() {
    return this.wd.req("GET", this.p("/displayed"));
  }
  async $(css) {
    const v = await this.wd.req("POST", this.p("/element"), { using: "css selector", value: css });
    return new Element(this.wd, v[ELEMENT]);
  }
}

/** Starts tauri-driver on `port` (native driver on port+1) and waits for it. */
export async function startTauriDriver(port, env) {
  const bin = process.env.TAURI_DRIVER ?? "tauri-driver";
  const child = spawn(
    bin,
    ["--port", String(port), "--native-port", String(port + 1), "--native-driver", process.env.WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver"],
    // Its own process group, with WebKitWebDriver and the app under it, so
    // the teardown can stop all of them at once (stopTauriDriver).
    { env, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  // Generous: on a loaded 2-core machine its first answer once took over
  // 20 s (a CI run failed on it).
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    try {
      await fetch(`${base}/status`);
      return { child, base };
    } catch {
      await sleep(200);
    }
  }
  await stopTauriDriver({ child });
  throw new Error("tauri-driver did not start");
}

/**
 * Stops tauri-driver and everything it started (WebKitWebDriver, the app,
 * its WebKit processes): SIGTERM to the whole process group (tauri-driver
 * then stops WebKitWebDriver cleanly), and SIGKILL to the group if it is
 * not gone within `graceMs`. Never waits longer than that, so a hung app
 * cannot hang the test run.
 */
export async function stopTauriDriver(driver, graceMs = 5_000) {
  const pid = driver?.child?.pid;
  if (!pid) return;
  const group = (sig) => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!group("SIGTERM")) return;
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!group(0)) return;
    await sleep(100);
  }
  group("SIGKILL");
}
