// End to end in the real app: personal overrides (issue 11). Ada overrides
// a shared credential from its row's "⋯" menu (the value masked, sealed to
// Rust); the row gets its badge and the detail pane says which value
// `coffer run` uses; the CLI on the same vault applies it (`coffer export`
// prints her value and names the key on stderr); a key only her overlay has
// (set with the CLI) shows as a marked row; the app's export names what the
// overrides replaced and added; prod refuses (the entry disabled with the
// reason, and the CLI exits 8); the owner allows it from the environment's
// menu; removing it from the row leaves the shared value again.
// Screenshots overrides-*.png, override-dialog-*.png, override-prod-*.png
// and override-export-*.png (760, 1120, 1440 px) go to $COFFER_SCREENSHOTS
// (default .cache/e2e-screenshots); the dark ones come from
// overrides.dark.test.mjs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appSuite, choose, CLI, firstRun, openItem, PASSPHRASE, resize, row, sideways, tid } from "./harness.mjs";

const app = appSuite({ prefix: "coffer-e2e-overrides-", portBase: 9700 });
const { env, wd, shot, fill, click } = app;

const SHARED = "postgres://db.internal/payments-shared";
const MINE = "postgres://localhost/ada-only-5e2a";
const cliEnv = () => ({ ...env, COFFER_PASSPHRASE: PASSPHRASE });
const cli = (args, input) => spawnSync(CLI, args, { env: cliEnv(), input, encoding: "utf8" });
const ok = (args, input) => execFileSync(CLI, args, { env: cliEnv(), input, encoding: "utf8" });

async function menuOf(key) {
  await click(`${row(key)} ${tid("more")}`);
  return wd.$(tid("row-menu"));
}

describe("personal overrides in the real app", () => {
  test("first run, dev and prod, a shared DATABASE_URL in each", async () => {
    await firstRun(app, { name: "Ada Lovelace" });
    for (const path of ["payments/prod", "payments/dev"]) {
      await click(tid("add-env"));
      await fill("env-path", path);
      await click(tid("env-submit"));
      await wd.$(tid(`env-tab-${path}`));
    }
    ok(["set", "payments/dev", "DATABASE_URL"], SHARED);
    ok(["set", "payments/dev", "REDIS_URL"], "redis://cache.internal:6379/0");
    ok(["set", "payments/prod", "DATABASE_URL"], SHARED);
    await click(tid("env-tab-payments/dev"));
    await wd.$(row("payments/dev/DATABASE_URL"));
    await wd.$(row("payments/dev/REDIS_URL"));
  });

  test("override a row for me: masked, sealed; the badge; the pane says which value run uses", async () => {
    await menuOf("payments/dev/DATABASE_URL");
    assert.equal(await (await wd.$(`${tid("row-menu")} ${tid("override")}`)).text(), "Override for me…");
    await click(`${tid("row-menu")} ${tid("override")}`);
    await wd.$(tid("override-dialog"));
    assert.equal(await (await wd.$(tid("override-value"))).attr("type"), "password", "masked");
    await fill("override-value", MINE);
    for (const w of [760, 1120, 1440]) {
      await resize(wd, w);
      await shot(`override-dialog-${w}.png`);
    }
    await click(tid("override-save"));
    await wd.gone(tid("override-dialog"));
    const badge = `${row("payments/dev/DATABASE_URL")} ${tid("override-badge")}`;
    await wd.$(badge, { visible: false });
    assert.equal(await wd.exec("return document.querySelector(arguments[0]).dataset.kind", badge), "override");
    assert.match(await wd.exec("return document.querySelector(arguments[0]).textContent", badge), /Personal override/);
    assert.equal((await wd.$$(`${row("payments/dev/REDIS_URL")} ${tid("override-badge")}`)).length, 0);
    assert.ok(!(await wd.exec("return document.body.innerText")).includes(MINE), "the value is not in the window");
  });

  test("the CLI applies it: coffer export prints it and names the key on stderr", () => {
    const out = cli(["export", "payments/dev"]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`DATABASE_URL='?${MINE.replace(/[/.]/g, "\\$&")}`));
    assert.ok(!out.stdout.includes(SHARED));
    assert.match(out.stderr, /your personal overrides overrode DATABASE_URL in payments\/dev/);
    const shared = cli(["export", "payments/dev", "--no-overrides"]);
    assert.ok(shared.stdout.includes(SHARED));
  });

  test("a key only my overlay has (set with the CLI) shows marked; the pane and the three widths", async () => {
    ok(["override", "set", "payments/dev", "LOCAL_ONLY"], "x-local-flag-1");
    const only = `${row("payments/dev/LOCAL_ONLY")} ${tid("override-badge")}`;
    await wd.$(only, { visible: false });
    assert.equal(await wd.exec("return document.querySelector(arguments[0]).dataset.kind", only), "added");
    assert.match(await wd.exec("return document.querySelector(arguments[0]).textContent", only), /Only yours/);
    assert.equal((await wd.$$(`${row("payments/dev/LOCAL_ONLY")} ${tid("copy")}`)).length, 0, "nothing to copy");
    for (const w of [760, 1120, 1440]) {
      await resize(wd, w);
      await new Promise((r) => setTimeout(r, 500));
      if (await wd.exec("return !!document.querySelector('[data-testid=detail-back]')")) await click(tid("detail-back"));
      const pane = await openItem(wd, "payments/dev/DATABASE_URL");
      const note = await wd.exec("return document.querySelector(arguments[0]).textContent", `${pane} ${tid("detail-override-note")}`);
      assert.match(note, /use\s+your own value\s+of DATABASE_URL, not the shared value below/);
      assert.deepEqual(await sideways(wd), [], `nothing scrolls sideways at ${w} px`);
      await shot(`overrides-${w}.png`);
    }
    await resize(wd, 1120);
  });

  test("the app's export applies them and says which keys they replaced or added", async () => {
    await click(tid("export-open"));
    await wd.$(tid("export-dialog"));
    const note = await wd.$(tid("export-overrides"));
    assert.match(await note.text(), /Your personal overrides apply: your own value of DATABASE_URL; LOCAL_ONLY added \(only in your overlay\)\./);
    const file = join(app.home, "dev.env");
    await fill("export-path", file);
    for (const w of [760, 1120, 1440]) {
      await resize(wd, w);
      await shot(`override-export-${w}.png`);
    }
    await resize(wd, 1120);
    await click(tid("export-submit"));
    // The override step's toast may still be up: wait for the export's.
    await wd.toast(/Your personal overrides replaced DATABASE_URL and added LOCAL_ONLY\./);
    const text = readFileSync(file, "utf8");
    assert.ok(text.includes(MINE) && text.includes("x-local-flag-1") && !text.includes(SHARED));
  });

  test("prod refuses: the entry is disabled with the reason; the CLI exits 8; the owner allows it", async () => {
    await click(tid("env-tab-payments/prod"));
    await wd.$(row("payments/prod/DATABASE_URL"));
    await menuOf("payments/prod/DATABASE_URL");
    const entry = `${tid("row-menu")} ${tid("override")}`;
    assert.equal(await (await wd.$(entry)).attr("aria-disabled"), "true");
    assert.match(await (await wd.$(entry)).text(), /Personal overrides are off in production environments \(payments\/prod\)/);
    for (const w of [760, 1120, 1440]) {
      await resize(wd, w);
      if (!(await wd.$$(tid("row-menu"))).length) await menuOf("payments/prod/DATABASE_URL");
      await shot(`override-prod-${w}.png`);
    }
    await resize(wd, 1120);
    // A resize closes the menu.
    if (!(await wd.$$(tid("row-menu"))).length) await menuOf("payments/prod/DATABASE_URL");
    await click(entry);
    assert.equal((await wd.$$(tid("override-dialog"))).length, 0, "nothing opens");
    await wd.exec("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))");
    const refused = cli(["override", "set", "payments/prod", "DATABASE_URL"], MINE);
    assert.equal(refused.status, 8, refused.stderr);
    assert.match(refused.stderr, /forbids personal overrides/);

    // The owner allows them from the environment's menu.
    await click(tid("env-menu"));
    await click(`${tid("env-menu-list")} ${tid("env-policy")}`);
    await wd.$(tid("policy-dialog"));
    await choose(wd, tid("policy-choice"), "allow");
    await click(tid("policy-save"));
    await wd.gone(tid("policy-dialog"));
    const policy = ok(["env", "policy", "payments/prod"]);
    assert.match(policy, /allow/);
    await menuOf("payments/prod/DATABASE_URL");
    await wd.until("the entry is enabled", async () => (await (await wd.$(entry)).attr("aria-disabled")) === null);
    await wd.exec("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))");
  });

  test("remove my override from the row: the shared value again, the CLI agrees", async () => {
    await click(tid("env-tab-payments/dev"));
    await wd.$(row("payments/dev/DATABASE_URL"));
    await menuOf("payments/dev/DATABASE_URL");
    await click(`${tid("row-menu")} ${tid("unoverride")}`);
    await click(tid("confirm-ok"));
    await wd.gone(`${row("payments/dev/DATABASE_URL")} ${tid("override-badge")}`);
    const list = JSON.parse(ok(["override", "ls", "payments/dev", "--json"]));
    assert.deepEqual(list.map((o) => o.name), ["LOCAL_ONLY"]);
    const out = cli(["export", "payments/dev"]);
    assert.ok(out.stdout.includes(SHARED));
    assert.doesNotMatch(out.stderr, /overrode/);
    assert.match(out.stderr, /added LOCAL_ONLY/);
  });
});
