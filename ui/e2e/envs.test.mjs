// End to end in the real app: an environment renamed from its "⋯" menu
// (a field error for a taken name, then the app follows it, its
// credential along), then removed after a confirmation that lists what
// goes; the CLI, on the same vault, agrees (the rename and the removal are
// signed ops in the log, `env ls --removed` names it).
// Screenshots env-rename-*.png and env-remove-*.png (760, 1120, 1440 px)
// go to $COFFER_SCREENSHOTS (default .cache/e2e-screenshots).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appSuite, CLI, PASSPHRASE, row, tid } from "./harness.mjs";

const app = appSuite({ prefix: "coffer-e2e-envs-", portBase: 6300 });
const { env, wd, shot, fill, click } = app;

async function width(w) {
  await wd.req("POST", wd.s("/window/rect"), { width: w, height: 740 });
  await wd.until(`the window is ${w} px wide`, async () => Math.abs((await wd.exec("return window.innerWidth")) - w) <= 2);
}

describe("rename and remove an environment in the real app", () => {
  test("first run, two environments, a credential", async () => {
    await fill("firstrun-name", "Ada Lovelace");
    await fill("firstrun-password", PASSPHRASE);
    await fill("firstrun-confirm", PASSPHRASE);
    await click(tid("firstrun-submit"));
    await fill("vault-team", "Acme");
    await click(tid("vault-submit"));
    await wd.$(tid("empty-vault"));
    for (const path of ["web/prod", "web/dev"]) {
      await click(tid("add-env"));
      await fill("env-path", path);
      await click(tid("env-submit"));
      await wd.$(tid(`env-tab-${path}`));
    }
    await click(tid("add-item"));
    await fill("item-name", "API_KEY");
    await fill("item-value", "dev-api-key-value-0001");
    await click(tid("item-save"));
    await wd.$(row("web/dev/API_KEY"));
  });

  test("rename: a taken name is a field error; then the app follows the environment", async () => {
    await click(tid("env-menu"));
    await click(`${tid("env-menu-list")} ${tid("env-rename")}`);
    await wd.$(tid("env-rename-dialog"));
    await fill("env-new-path", "web/prod");
    await click(tid("env-rename-submit"));
    const err = await wd.$(`${tid("env-rename-dialog")} ${tid("error")}`);
    assert.match(await err.text(), /already exists/);
    for (const w of [760, 1120, 1440]) {
      await width(w);
      await shot(`env-rename-${w}.png`);
    }
    await fill("env-new-path", "web/qa");
    await click(tid("env-rename-submit"));
    await wd.gone(tid("env-rename-dialog"));
    await wd.$(tid("env-tab-web/qa"));
    await wd.$(row("web/qa/API_KEY"));
    assert.equal((await wd.$$(tid("env-tab-web/dev"))).length, 0, "the old name is gone");
  });

  test("remove: the confirmation lists what goes; the CLI agrees", async () => {
    await click(tid("env-menu"));
    await click(`${tid("env-menu-list")} ${tid("env-remove")}`);
    const list = await wd.$(tid("env-remove-list"));
    assert.match(await list.text(), /API_KEY/);
    for (const w of [760, 1120, 1440]) {
      await width(w);
      await shot(`env-remove-${w}.png`);
    }
    await click(tid("env-remove-confirm"));
    await wd.gone(tid("env-remove-dialog"));
    await wd.gone(tid("env-tab-web/qa"));
    await wd.$(tid("env-tab-web/prod"));

    const cli = (...args) =>
      execFileSync(CLI, args, { env: { ...env, COFFER_PASSPHRASE: PASSPHRASE }, encoding: "utf8" });
    const removed = JSON.parse(cli("env", "ls", "--removed", "--json"));
    assert.deepEqual(removed.map((e) => `${e.project}/${e.name}`), ["web/qa"]);
    const log = JSON.parse(cli("audit", "--json")).map((e) => e.summary);
    assert.ok(log.includes("renamed environment web/dev to web/qa"), log.join("\n"));
    assert.ok(log.includes("removed environment web/qa (its history stays)"), log.join("\n"));
    cli("env", "restore", "web/qa");
    assert.equal(cli("get", "web/qa", "API_KEY", "-n"), "dev-api-key-value-0001");
  });

  test("check against an example file: the missing keys, then none once the CLI adds them", async () => {
    const { writeFileSync, mkdirSync } = await import("node:fs");
    const { join } = await import("node:path");
    const dir = join(app.home, "project");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, ".env.example");
    writeFileSync(file, "# the service's keys\nAPI_KEY=\nSTRIPE_KEY=\nexport SENTRY_DSN=https://example\n");
    // The restored web/qa (it has API_KEY): the app shows it after the CLI's restore.
    await wd.$(tid("env-tab-web/qa"));
    await click(tid("env-tab-web/qa"));
    await click(tid("env-menu"));
    await click(`${tid("env-menu-list")} ${tid("env-check")}`);
    await fill("example-path", file);
    await click(tid("example-submit"));
    const missing = await wd.$(tid("example-missing"));
    assert.match(await missing.text(), /^2 keys missing that \S*\/project\/\.env\.example names: STRIPE_KEY, SENTRY_DSN\./);
    await shot("example-check.png");
    execFileSync(CLI, ["set", "web/qa", "STRIPE_KEY"], { env: { ...env, COFFER_PASSPHRASE: PASSPHRASE }, input: "sk_test_example_0001" });
    execFileSync(CLI, ["set", "web/qa", "SENTRY_DSN"], { env: { ...env, COFFER_PASSPHRASE: PASSPHRASE }, input: "https://k@sentry.example/1" });
    await wd.until("every key there", async () => /Every key \S*\/project\/\.env\.example names is here \(3\)/.test(await (await wd.$(tid("example-ok"))).text()));
    // Another environment of the project is checked against the same file.
    await click(tid("env-tab-web/prod"));
    assert.match(await (await wd.$(tid("example-missing"))).text(), /3 keys missing/);
  });
});

