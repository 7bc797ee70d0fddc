// What scan.test.mjs and scan.dark.test.mjs share: a suite with the
// folder-dialog seam, the CLI seeding a vault, a planted file, the scan
// and hygiene flows, and screenshots at the three widths.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, PASSPHRASE, appSuite, firstRun, tid } from "./harness.mjs";

export const STRIPE = "sk_live_e2e_scan_5f1d9c0a77";
export const OLD_STRIPE = "sk_live_e2e_old_02b6aa41c3";

export function scanSuite({ prefix, portBase, extraEnv = () => ({}) }) {
  const app = appSuite({
    prefix,
    portBase,
    extraEnv: (home) => ({ COFFER_TEST_PICKS: join(home, "picks"), ...extraEnv(home) }),
  });
  const cli = (args, input) =>
    execFileSync(CLI, args, {
      env: { ...app.env, COFFER_PASSPHRASE: PASSPHRASE },
      input,
      encoding: "utf8",
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"],
    });
  const text = (css) => app.wd.exec("return document.querySelector(arguments[0])?.textContent ?? ''", css);
  const card = (key) => `[data-testid="scan-credential"][data-item="${key}"]`;
  const s = {
    app,
    cli,
    text,
    card,
    /** First run in the window; then the CLI writes the values (an old
     * and a current STRIPE_KEY, and the same value in web/prod). */
    async seed() {
      await firstRun(app, { name: "Ada Lovelace" });
      await app.click(tid("add-env"));
      await app.fill("env-path", "payments/prod");
      await app.click(tid("env-submit"));
      await app.wd.$(tid("env-tab-payments/prod"));
      cli(["env", "add", "web/prod"]);
      cli(["set", "payments/prod", "STRIPE_KEY"], OLD_STRIPE);
      cli(["set", "payments/prod", "STRIPE_KEY"], STRIPE);
      cli(["set", "web/prod", "STRIPE_KEY"], STRIPE);
      cli(["set", "payments/prod", "DATABASE_URL"], "postgres://db.internal/acme");
      cli(["set", "payments/prod", "SMTP_PASSWORD"], "your_smtp_password_here");
    },
    /** A temp folder with the value in a config file and the old one in
     * a .env; chosen in the folder dialog; scanned. */
    async scanPlanted() {
      const { wd, click, home } = app;
      const folder = join(home, "project");
      mkdirSync(join(folder, "config"), { recursive: true });
      writeFileSync(join(folder, "config", "app.yml"), `name: acme\nstripe:\n  key: ${STRIPE}\n`);
      writeFileSync(join(folder, ".env"), `STRIPE_KEY=${OLD_STRIPE}\n`);
      writeFileSync(join(folder, "README.md"), "# acme\n");
      writeFileSync(join(home, "picks"), `${folder}\n`);
      // The first run's confirmations fade first (the screenshots show this screen's own).
      await wd.gone(tid("toast"));
      await click(tid("nav-scan"));
      await click(tid("scan-folder-choose"));
      await wd.until("the folder chosen", async () => (await wd.exec("return document.querySelector(arguments[0]).value", tid("scan-folder"))) === folder);
      await click(tid("scan-start"));
      await wd.until("results", async () => (await wd.$$(tid("scan-credential"))).length === 2);
      const keys = await wd.exec("return [...document.querySelectorAll('[data-testid=\"scan-credential\"]')].map(c => c.dataset.item)");
      assert.deepEqual(keys, ["payments/prod/STRIPE_KEY", "web/prod/STRIPE_KEY"]);
      const pay = await text(card("payments/prod/STRIPE_KEY"));
      assert.match(pay, /Version 2 · current/);
      assert.match(pay, /config\/app\.yml:3/);
      assert.match(pay, /Version 1 · old/);
      assert.match(pay, /\.env:1/);
      assert.match(pay, /2 places/);
      const page = await wd.exec("return document.body.textContent");
      for (const v of [STRIPE, OLD_STRIPE]) {
        assert.ok(!page.includes(v), "no value on screen");
        assert.ok(!page.includes(v.slice(0, 12)), "no part of a value on screen");
      }
      assert.match(await text(tid("scan-summary")), /^\s*Scanned 3 files .* for 5 values\./);
    },
    async hygiene() {
      const { wd, click } = app;
      await wd.gone(tid("toast"));
      await click(tid("nav-hygiene"));
      await wd.until("the reused value", async () => (await wd.$$(`${tid("hygiene-group-reused")} ${tid("hygiene-finding")}`)).length === 1);
      const t = await text(tid("hygiene-group-reused"));
      assert.match(t, /2 credentials share one value, in 2 projects\./);
      assert.match(t, /payments\/prod\/STRIPE_KEY/);
      assert.match(t, /web\/prod\/STRIPE_KEY/);
      assert.ok(!t.includes(STRIPE), "no value");
      const p = await text(tid("hygiene-group-placeholder"));
      assert.match(p, /Looks like a placeholder in payments\/prod\./);
      assert.match(p, /payments\/prod\/SMTP_PASSWORD/);
      assert.ok(!p.includes("your_smtp"), "no value");
    },
    /** Screenshots of the current screen at 760, 1120 and 1440 px. */
    async shots(name, suffix = "") {
      const { wd, shot } = app;
      for (const width of [760, 1120, 1440]) {
        await wd.req("POST", wd.s("/window/rect"), { width, height: 740 });
        await wd.until(`the window is ${width} px wide`, async () => Math.abs((await wd.exec("return window.innerWidth")) - width) <= 2);
        assert.equal(await wd.exec("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), true, `no sideways scroll at ${width}`);
        await shot(`${name}${suffix}-${width}.png`);
      }
      await wd.req("POST", wd.s("/window/rect"), { width: 1120, height: 740 });
    },
  };
  return s;
}
