// Personal overrides in a dark desktop theme (GTK_THEME=Adwaita:dark), in
// its own HOME: the badges ("Personal override", "Only yours"), the detail
// pane's note and the "Override for me…" dialog at 760, 1120 and 1440 px,
// nothing scrolling sideways. The overrides are set with the CLI (the
// light run, overrides.test.mjs, sets one from the window).
// Screenshots: overrides-dark-*.png, override-dialog-dark-*.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appSuite, CLI, firstRun, openItem, PASSPHRASE, resize, row, sideways, tid } from "./harness.mjs";

const app = appSuite({ prefix: "coffer-e2e-overrides-dark-", portBase: 10300, extraEnv: () => ({ GTK_THEME: "Adwaita:dark" }) });
const { env, wd, shot, click } = app;
const ok = (args, input) => execFileSync(CLI, args, { env: { ...env, COFFER_PASSPHRASE: PASSPHRASE }, input, encoding: "utf8" });

describe("personal overrides in the dark theme", () => {
  test("badges, the pane's note and the dialog at three widths", async () => {
    await firstRun(app, { name: "Ada Lovelace" });
    assert.equal(await wd.exec("return matchMedia('(prefers-color-scheme: dark)').matches"), true, "the window is dark");
    await click(tid("add-env"));
    await app.fill("env-path", "payments/dev");
    await click(tid("env-submit"));
    await wd.$(tid("env-tab-payments/dev"));
    ok(["set", "payments/dev", "DATABASE_URL"], "postgres://db.internal/payments-shared");
    ok(["set", "payments/dev", "REDIS_URL"], "redis://cache.internal:6379/0");
    ok(["override", "set", "payments/dev", "DATABASE_URL"], "postgres://localhost/ada-only");
    ok(["override", "set", "payments/dev", "LOCAL_ONLY"], "x-local-flag-1");
    await wd.$(`${row("payments/dev/LOCAL_ONLY")} ${tid("override-badge")}`, { visible: false });
    for (const width of [760, 1120, 1440]) {
      await resize(wd, width);
      await new Promise((r) => setTimeout(r, 500));
      if (await wd.exec("return !!document.querySelector('[data-testid=detail-back]')")) await click(tid("detail-back"));
      const pane = await openItem(wd, "payments/dev/DATABASE_URL");
      await wd.$(`${pane} ${tid("detail-override-note")}`);
      assert.deepEqual(await sideways(wd), [], `nothing scrolls sideways at ${width} px`);
      await shot(`overrides-dark-${width}.png`);
    }
    if (await wd.exec("return !!document.querySelector('[data-testid=detail-back]')")) await click(tid("detail-back"));
    await click(`${row("payments/dev/REDIS_URL")} ${tid("more")}`);
    await click(`${tid("row-menu")} ${tid("override")}`);
    await wd.$(tid("override-dialog"));
    await app.fill("override-value", "redis://localhost:6379/1");
    for (const width of [760, 1120, 1440]) {
      await resize(wd, width);
      await shot(`override-dialog-dark-${width}.png`);
    }
    await click(tid("override-save"));
    await wd.$(`${row("payments/dev/REDIS_URL")} ${tid("override-badge")}`, { visible: false });
  });
});
