// Sessions and settings end to end in the real app (debug build driven by
// tauri-driver + WebKitWebDriver), in its own throw-away HOME:
//   first run → settings (auto-lock, clipboard) saved → Ctrl+L → unlock →
//   the settings persisted (and the copy uses the new timeout) → a screen-lock
//   signal on the D-Bus session bus locks the app, and the Unlock screen
//   says why.
// Needs a session bus: scripts/test.sh runs the e2e step under
// scripts/with-keyring.sh (dbus-run-session). Screenshot: settings.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, PASSPHRASE, appSuite, row, tid } from "./harness.mjs";

// WebDriver key codes: Control, and NULL (releases the modifiers).
const CTRL = "\uE009";
const RELEASE = "\uE000";

const app = appSuite({ prefix: "coffer-e2e-session-", portBase: 5300, needsBus: true });
const { home, env, wd, shot, fill, click } = app;
const cofferHome = join(home, "data/coffer");

/** The toast's text, or "" when there is none. */
async function toast() {
  return wd.exec("return document.querySelector(arguments[0])?.textContent ?? ''", tid("toast"));
}

async function unlock() {
  await fill("unlock-password", PASSPHRASE);
  await click(tid("unlock-submit"));
  await wd.$(tid("vault-name"));
}

describe("sessions and settings in the real app", () => {
  test("first run, an environment and a credential", async () => {
    await fill("firstrun-name", "Grace Hopper");
    await fill("firstrun-password", PASSPHRASE);
    await fill("firstrun-confirm", PASSPHRASE);
    await click(tid("firstrun-submit"));
    await fill("vault-team", "Navy");
    await click(tid("vault-submit"));
    await wd.$(tid("empty-vault"));
    await click(tid("add-env"));
    await fill("env-path", "cobol/prod");
    await click(tid("env-submit"));
    await wd.$(tid("env-tab-cobol/prod"));
    execFileSync(CLI, ["set", "cobol/prod", "MAINFRAME_TOKEN"], {
      env: { ...env, COFFER_PASSPHRASE: PASSPHRASE },
      input: "tok_mainframe_0001",
      stdio: ["pipe", "ignore", "inherit"],
    });
  });

  test("change the auto-lock and clipboard settings", async () => {
    await click(tid("nav-settings"));
    await wd.$(tid("settings"));
    assert.equal(await (await wd.$(tid("set-autolock"))).prop("value"), "10");
    assert.equal(await (await wd.$(tid("set-clipboard"))).prop("value"), "30");
    await fill("set-autolock", "7");
    await fill("set-clipboard", "45");
    await click(tid("settings-save"));
    await wd.until("the saved toast", async () => (await toast()).trim() === "Settings saved.");
    await wd.exec("document.querySelector('main').scrollTo(0, 0); return true");
    await shot("settings.png");
    const saved = JSON.parse(readFileSync(join(cofferHome, "settings.json"), "utf8"));
    assert.equal(saved.auto_lock_minutes, 7);
    assert.equal(saved.clipboard_clear_secs, 45);
  });

  test("Ctrl+L locks; after unlocking the settings are still there", async () => {
    await (await wd.$(tid("search"))).type(`${CTRL}l${RELEASE}`);
    await wd.$(tid("unlock"));
    assert.equal(await (await wd.$(tid("lock-reason"))).text(), "Locked.");
    await unlock();
    await click(tid("nav-settings"));
    await wd.$(tid("settings"));
    assert.equal(await (await wd.$(tid("set-autolock"))).prop("value"), "7");
    assert.equal(await (await wd.$(tid("set-clipboard"))).prop("value"), "45");
    // The copy uses the saved timeout.
    await click(tid("project-cobol"));
    await click(`${row("cobol/prod/MAINFRAME_TOKEN")} ${tid("copy")}`);
    await wd.until("the copy toast", async () => /cleared in 45 s/.test(await toast()));
  });

  test("a screen-lock signal on the session bus locks the app and says why", async () => {
    execFileSync("dbus-send", [
      "--session",
      "--type=signal",
      "/org/freedesktop/ScreenSaver",
      "org.freedesktop.ScreenSaver.ActiveChanged",
      "boolean:true",
    ]);
    await wd.$(tid("unlock"));
    assert.equal(await (await wd.$(tid("lock-reason"))).text(), "Locked because the screen locked.");
    await shot("locked-screen-lock.png");
    await unlock();
  });
});
