// End to end in the real app: a teammate's device joins a team vault and
// syncs with the owner's device (the CLI, its own COFFER_HOME) through a
// shared folder. The app: first run → "Join a team vault" (its public
// identity is what the owner adds) → the owner's fingerprint, compared →
// joined. The owner changes a value with the CLI: the app shows it after a
// sync. Both change the same value at once: the app flags the conflict,
// the user keeps the owner's value, and the owner's device agrees.
// Screenshots join.png, sync.png, conflict.png go to $COFFER_SCREENSHOTS.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { appSuite, CLI, PASSPHRASE, reveal, row, rowAction, tid } from "./harness.mjs";

const app = appSuite({ prefix: "coffer-e2e-sync-", portBase: 5900 });
const { home, env, wd, shot, fill, click } = app;
const folder = join(home, "team-sync");
const adaHome = join(home, "ada");

/** The owner's device: the CLI with its own home, vault and passphrase. */
function ada(args, input) {
  return execFileSync(CLI, args, {
    env: { ...env, COFFER_HOME: adaHome, COFFER_PASSPHRASE: "ada's own passphrase", COFFER_VAULT: join(adaHome, "vault.coffer") },
    input: input ?? "",
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

const value = (sel) => wd.exec("return document.querySelector(arguments[0]).value", sel);

async function revealed(key) {
  const shown = await reveal(wd, key);
  return wd.exec("return document.querySelector(arguments[0]).textContent", shown);
}

async function syncNow() {
  const before = Number(await wd.exec("return document.querySelectorAll('[data-testid=sync-now]').length"));
  assert.equal(before, 1, "the sidebar has Sync now");
  await click(tid("sync-now"));
  await wd.until("the sync ends", async () => (await (await wd.$(tid("sync-summary"))).text()).startsWith("Synced"));
}

describe("sync in the real app", () => {
  test("first run, then join the owner's vault through a shared folder", async () => {
    await fill("firstrun-name", "Bob Builder");
    await fill("firstrun-password", PASSPHRASE);
    await fill("firstrun-confirm", PASSPHRASE);
    await click(tid("firstrun-submit"));
    await click(tid("vault-mode-join"));
    await wd.until("public identity shown", async () => (await value(tid("my-public-identity"))).startsWith("coffer1"));
    const publicIdentity = await value(tid("my-public-identity"));
    const bob = JSON.parse(
      execFileSync(CLI, ["identity", "show", "--json"], { env: { ...env, COFFER_PASSPHRASE: PASSPHRASE }, encoding: "utf8" }),
    );
    assert.equal(bob.public_identity, publicIdentity, "the app shows this device's identity");

    // The owner, on their device: a vault, Bob added, sync set up.
    mkdirSync(adaHome);
    ada(["identity", "new", "--name", "Ada", "--kdf-memory", "19", "--kdf-iterations", "2"]);
    ada(["init", "--name", "Acme"]);
    ada(["env", "add", "web/prod"]);
    ada(["set", "web/prod", "API_KEY"], "api-value-1");
    ada(["member", "add", publicIdentity, "--name", "Bob", "--grant", "web/prod:write", "--fingerprint", bob.fingerprint]);
    ada(["sync", "init", "--folder", folder]);
    const owner = JSON.parse(ada(["identity", "show", "--json"])).fingerprint;

    await fill("join-location", folder);
    await click(tid("vault-submit"));
    assert.equal((await (await wd.$(tid("join-owner-fingerprint"))).text()).replace(/\s/g, ""), owner);
    assert.equal(await (await wd.$(tid("join-vault-name"))).text(), "Acme");
    await click(tid("join-fingerprint-matches"));
    await shot("join.png");
    await click(tid("vault-submit"));
    assert.equal(await (await wd.$(tid("vault-name"))).text(), "Acme");
    await click(tid("project-web"));
    assert.equal(await revealed("web/prod/API_KEY"), "api-value-1");
  });

  test("a change made on the owner's device shows after a sync", async () => {
    ada(["set", "web/prod", "API_KEY"], "api-value-2");
    ada(["sync"]);
    await syncNow();
    assert.equal(await revealed("web/prod/API_KEY"), "api-value-2");
  });

  test("a concurrent change is flagged and resolved in the app; the owner's device agrees", async () => {
    ada(["set", "web/prod", "API_KEY"], "ada-value-3");
    await rowAction(wd, "web/prod/API_KEY", "edit");
    await fill("item-value", "bob-value-3");
    await click(tid("item-save"));
    await wd.gone(tid("item-dialog"));
    // The app publishes its change by itself shortly after.
    await wd.until("the change went out", async () => {
      const s = await (await wd.$(tid("sync-summary"))).text();
      return s.startsWith("Synced") && !s.includes("to send");
    });
    ada(["sync"]);
    await syncNow();
    await click(`${row("web/prod/API_KEY")} ${tid("conflict")}`);
    await wd.$(tid("conflict-dialog"));
    await click(tid("conflict-reveal"));
    await wd.until("values shown", async () => (await wd.$$(tid("conflict-value"))).length === 2);
    await shot("conflict.png");
    const keep = await wd.exec(`
      for (const o of document.querySelectorAll('[data-testid=conflict-option]'))
        if (o.querySelector('[data-testid=conflict-value]').textContent === 'ada-value-3') return o.dataset.keep;
      return null;`);
    assert.ok(keep, "the owner's value is one of the options");
    await click(`[data-testid="conflict-option"][data-keep="${keep}"] ${tid("conflict-keep")}`);
    await wd.gone(tid("conflict-dialog"));
    assert.equal(await wd.exec(`return document.querySelector(arguments[0]) === null`, `${row("web/prod/API_KEY")} ${tid("conflict")}`), true);
    assert.equal(await revealed("web/prod/API_KEY"), "ada-value-3");
    await wd.until("the resolution went out", async () => {
      const s = await (await wd.$(tid("sync-summary"))).text();
      return s.startsWith("Synced") && !s.includes("to send") && !s.includes("conflict");
    });
    ada(["sync"]);
    assert.equal(ada(["get", "-n", "web/prod", "API_KEY"]), "ada-value-3");
    const items = JSON.parse(ada(["ls", "--json"]));
    assert.equal(items.find((i) => i.name === "API_KEY").conflict, false, "resolved on the owner's device too");
    await click(tid("nav-sync"));
    await wd.$(tid("sync-feeds"));
    await shot("sync.png");
  });
});
