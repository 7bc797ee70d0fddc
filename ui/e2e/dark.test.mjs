// The app in a dark desktop theme (GTK_THEME=Adwaita:dark, which
// WebKitGTK reports as `prefers-color-scheme: dark`), in its own HOME:
// first run, then My identity at 760, 1120 and 1440 px with nothing
// scrolling sideways; a long value revealed at the three widths; the
// audit log's Activity drop-down open; then a trigger planted in the open
// vault file (sqlite3) locks the window, whose Unlock screen says why.
// Screenshots: my-identity-dark-*.png, main-dark-*.png, select-dark-*.png,
// vault-refused-dark-*.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { appSuite, firstRun, lookAtList, resize, reveal, row, sideways, tid } from "./harness.mjs";

const app = appSuite({ prefix: "coffer-e2e-dark-", portBase: 6700, extraEnv: () => ({ GTK_THEME: "Adwaita:dark" }) });
const { home, wd, shot, click } = app;

describe("dark theme", () => {
  test("My identity in the dark theme at three widths", async () => {
    await firstRun(app, { name: "Ada Lovelace" });
    assert.equal(await wd.exec("return matchMedia('(prefers-color-scheme: dark)').matches"), true, "the window is dark");
    await click(tid("account"));
    await wd.until("the public identity", async () =>
      (await wd.exec("return document.querySelector(arguments[0]).value", tid("my-public-identity"))).startsWith("coffer1"),
    );
    for (const width of [760, 1120, 1440]) {
      await wd.req("POST", wd.s("/window/rect"), { width, height: 740 });
      await wd.until(`the window is ${width} px wide`, async () => Math.abs((await wd.exec("return window.innerWidth")) - width) <= 2);
      assert.equal(await wd.exec("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), true);
      await shot(`my-identity-dark-${width}.png`);
    }
  });

  test("a long value revealed in the dark theme at three widths: nothing scrolls sideways", async () => {
    const LONG = "tok_" + "Zx9Qw3Er5Ty7Ui1Op0As2Df4Gh6Jk8Lz".repeat(12);
    await click(tid("add-env"));
    await app.fill("env-path", "payments/prod");
    await click(tid("env-submit"));
    await wd.$(tid("env-tab-payments/prod"));
    await click(tid("add-item"));
    await app.fill("item-name", "PARTNER_TOKEN");
    await app.fill("item-value", LONG);
    await click(tid("item-save"));
    await wd.$(row("payments/prod/PARTNER_TOKEN"));
    for (const width of [760, 1120, 1440]) {
      await resize(wd, width);
      // A resized window may lose and regain focus, which masks a value.
      await new Promise((r) => setTimeout(r, 800));
      if (await wd.exec("return !!document.querySelector('[data-testid=detail-back]')")) await click(tid("detail-back"));
      const shown = await reveal(wd, "payments/prod/PARTNER_TOKEN");
      assert.equal(await wd.exec("return document.querySelector(arguments[0]).textContent", shown), LONG, "the whole value");
      assert.deepEqual(await sideways(wd), [], `nothing scrolls sideways at ${width} px`);
      await shot(`main-dark-${width}.png`);
    }
    await resize(wd, 1120);
  });

  test("a drop-down's list is the app's own, in the dark theme", async () => {
    await click(tid("nav-audit"));
    await lookAtList(app, tid("audit-kind"), "select-dark");
  });

  test("a vault file changed outside Coffer: the Unlock screen says why, in the dark theme", async () => {
    const dir = join(home, "data", "coffer");
    const vault = join(dir, readdirSync(dir).find((f) => f.endsWith(".coffer")));
    execFileSync("sqlite3", [vault], {
      input: "CREATE TRIGGER planted AFTER INSERT ON ops BEGIN UPDATE members SET role = 'owner'; END;",
    });
    await wd.$(tid("lock-reason"));
    assert.match(await wd.exec("return document.querySelector(arguments[0]).textContent", tid("lock-detail")), /trigger 'planted'/);
    for (const width of [760, 1120, 1440]) {
      await wd.req("POST", wd.s("/window/rect"), { width, height: 740 });
      await wd.until(`the window is ${width} px wide`, async () => Math.abs((await wd.exec("return window.innerWidth")) - width) <= 2);
      assert.equal(await wd.exec("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), true);
      await shot(`vault-refused-dark-${width}.png`);
    }
  });
});
