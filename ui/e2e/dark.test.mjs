// The app in a dark desktop theme (GTK_THEME=Adwaita:dark, which
// WebKitGTK reports as `prefers-color-scheme: dark`), in its own HOME:
// first run, then My identity at 760, 1120 and 1440 px with nothing
// scrolling sideways; then a trigger planted in the open vault file
// (sqlite3) locks the window, whose Unlock screen says why.
// Screenshots: my-identity-dark-{760,1120,1440}.png,
// vault-refused-dark-{760,1120,1440}.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { appSuite, firstRun, tid } from "./harness.mjs";

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
