// End to end in the real app: the debug binary (`tauri build --debug
// --no-bundle`) driven by tauri-driver + WebKitWebDriver, over a real vault
// in a throw-away HOME. Run under Xvfb (scripts/test.sh uses xvfb-run).
//   first run → environments and credentials → reveal and copy → rotate →
//   a second identity (made by the CLI in its own home) added as a member
//   with fingerprint confirmation, read access in the matrix, offboarded
//   through the wizard to its exposure report →
//   lock (clipboard cleared) → unlock
// Screenshots of each main screen go to $COFFER_SCREENSHOTS (default
// .cache/e2e-screenshots; `make screenshots` writes docs/screenshots).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLI, PASSPHRASE, appSuite, choose as chooseIn, lookAtList, resize, reveal, row, sideways, tid } from "./harness.mjs";

const STRIPE = "sk_live_e2e_51H8xQ2eZvKYlo2C";

const app = appSuite({ prefix: "coffer-e2e-", portBase: 4600 });
const { home, env, wd, shot, fill, click } = app;
const vaultFile = join(home, "data/coffer/vault.coffer");
const choose = (css, value) => chooseIn(wd, css, value);

function clipboard(...args) {
  const r = spawnSync("xclip", ["-selection", "clipboard", "-o", ...args], { env, encoding: "utf8", timeout: 5000 });
  return r.status === 0 ? r.stdout : null;
}
const haveXclip = spawnSync("sh", ["-c", "command -v xclip"]).status === 0;

describe("the real app", () => {
  test("first run: identity with confirmation, then the vault", async () => {
    await fill("firstrun-name", "Ada Lovelace");
    await fill("firstrun-email", "ada@example.com");
    await fill("firstrun-password", PASSPHRASE);
    await fill("firstrun-confirm", PASSPHRASE);
    // Rated in Rust (zxcvbn, the CLI's policy), asynchronously.
    await wd.until("the passphrase rated very strong", async () => (await (await wd.$(tid("strength-meter"))).attr("data-score")) === "4");
    await shot("first-run.png");
    await click(tid("firstrun-submit"));
    await fill("vault-team", "Acme");
    await shot("create-vault.png");
    await click(tid("vault-submit"));
    await wd.$(tid("empty-vault"));
    assert.ok(existsSync(vaultFile), "the vault file is created in XDG_DATA_HOME/coffer");
    assert.ok(existsSync(join(home, "data/coffer/identity.json")));
  });

  test("add environments and credentials", async () => {
    for (const [path, every] of [["payments/prod", "90d"], ["payments/dev", ""]]) {
      await click(tid("add-env"));
      await fill("env-path", path);
      if (every) await fill("env-rotate", every);
      await click(tid("env-submit"));
      await wd.$(tid(`env-tab-${path}`));
    }
    await click(tid("env-tab-payments/prod"));
    await click(tid("add-item"));
    await fill("item-name", "STRIPE_KEY");
    await fill("item-value", STRIPE);
    await fill("item-notes", "Stripe live secret key; rotate in the dashboard");
    await click(tid("item-save"));
    await wd.$(row("payments/prod/STRIPE_KEY"));

    await click(tid("add-item"));
    await fill("item-name", "WEBHOOK_SECRET");
    await click(tid("item-generate"));
    await wd.until("a generated value", async () => (await (await wd.$(tid("item-value"))).prop("value")).length === 32);
    await fill("item-notes", "Signing secret of the payment webhooks");
    await shot("item-dialog.png");
    await click(tid("item-save"));
    await wd.$(row("payments/prod/WEBHOOK_SECRET"));

    // A credential last rotated 100 days ago, written by the CLI into the
    // same vault (its clock moved back), so the dashboard has work to do.
    execFileSync(CLI, ["set", "payments/prod", "LEGACY_TOKEN", "--notes", "Old partner API token"], {
      env: { ...env, COFFER_PASSPHRASE: PASSPHRASE, COFFER_NOW: String(Math.floor(Date.now() / 1000) - 100 * 86400) },
      input: "tok_legacy_0001",
      stdio: ["pipe", "ignore", "inherit"],
    });
  });

  test("reveal, re-mask and copy (in Rust, concealed)", async () => {
    // The CLI's write reaches the window by its live refresh: let it land
    // first, so the reload does not race the clicks below.
    await wd.$(row("payments/prod/LEGACY_TOKEN"), { visible: false });
    const shown = await reveal(wd, "payments/prod/STRIPE_KEY");
    assert.equal(await wd.exec("return document.querySelector(arguments[0]).textContent", shown), STRIPE);
    const pane = `${tid("detail-pane")}[data-item="payments/prod/STRIPE_KEY"]`;
    await click(`${pane} ${tid("reveal")}`);
    await wd.$(`${pane} ${tid("masked-value")}`, { visible: false });
    await click(`${row("payments/prod/STRIPE_KEY")} ${tid("copy")}`);
    // The previous step's toast may still be up: wait for this one.
    await wd.until("the copy toast", async () =>
      /Copied STRIPE_KEY\. The clipboard is cleared in 30 s\./.test(await (await wd.$(tid("toast"))).text()),
    );
    if (haveXclip) {
      assert.equal(clipboard(), STRIPE);
      assert.match(clipboard("-t", "TARGETS") ?? "", /x-kde-passwordManagerHint/);
    }
  });

  test("rotation dashboard: overdue, rotate now", async () => {
    await click(tid("nav-rotation"));
    await wd.until("one overdue", async () => (await (await wd.$(tid("count-overdue"))).text()) === "1");
    assert.equal(await (await wd.$(tid("rotation-badge"))).text(), "1");
    await shot("rotation.png");
    await click(`[data-testid="rotation-row"][data-item="payments/prod/LEGACY_TOKEN"] ${tid("rotate-now")}`);
    await wd.$(tid("rotate-dialog"));
    await click(tid("rotate-submit"));
    await wd.until("nothing overdue", async () => (await (await wd.$(tid("count-overdue"))).text()) === "0");
    await wd.gone(tid("rotation-badge"));
    await wd.$(tid("rotation-clear"));
  });

  test("members: a second identity added with fingerprint confirmation, read access, offboarded to its report", async () => {
    // Bob's identity, made by the CLI in his own home (his own device).
    const bobHome = join(home, "bob-home");
    const bobEnv = { ...env, COFFER_HOME: bobHome, COFFER_PASSPHRASE: "bob's passphrase for e2e" };
    execFileSync(CLI, ["identity", "new", "--name", "Bob Builder", "--email", "bob@example.com", "--kdf-memory", "19", "--kdf-iterations", "2"], {
      env: bobEnv,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const bob = JSON.parse(execFileSync(CLI, ["identity", "show", "--json"], { env: bobEnv, encoding: "utf8" }));
    assert.match(bob.public_identity, /^coffer1-/);

    await click(tid("nav-members"));
    await wd.$(`${tid("member-row")}[data-member="Ada Lovelace"] ${tid("member-you")}`);
    await click(tid("add-member"));
    await fill("member-identity", bob.public_identity);
    await click(tid("member-inspect"));
    // The fingerprint shown is the one Bob reads out from `coffer identity show`.
    const shown = await wd.$(tid("member-preview-fingerprint"));
    assert.equal(await shown.attr("data-fingerprint"), bob.fingerprint);
    assert.equal(await (await wd.$(tid("member-claimed-name"))).text(), "Bob Builder");
    assert.equal(await (await wd.$(tid("member-add-submit"))).prop("disabled"), true);
    await fill("member-name", "bob");
    // The role's drop-down is the app's own list, in the light theme.
    await lookAtList(app, tid("member-role"), "select-light");
    await wd.$(tid("member-add-dialog"));
    await choose(tid("member-role"), "reader");
    await click(tid("member-confirm"));
    await click(tid("member-add-submit"));
    await wd.$(`${tid("member-row")}[data-member="bob"]`);

    // Read access to payments/prod in the matrix.
    const cell = `[data-testid="access-bob-payments/prod"]`;
    assert.equal(await (await wd.$(cell)).prop("value"), "none");
    await choose(cell, "read");
    await wd.until("the grant applied", async () => /bob now has read access to payments\/prod/.test(await (await wd.$(tid("toast"))).text()));
    await wd.until("the cell shows read", async () => (await (await wd.$(cell)).prop("value")) === "read");
    await shot("members.png");

    // Offboard him through the wizard.
    await click(`${tid("member-row")}[data-member="bob"] ${tid("member-offboard")}`);
    await wd.$(tid("offboard-preview"));
    const exposed = await (await wd.$(tid("preview-exposed"))).text();
    for (const k of ["LEGACY_TOKEN", "STRIPE_KEY", "WEBHOOK_SECRET"]) assert.match(exposed, new RegExp(`payments/prod/${k}`));
    await wd.$(`${tid("preview-env")}[data-env="payments/prod"]`);
    await shot("offboard-preview.png");
    await click(tid("offboard-continue"));
    await fill("offboard-typed", "bob");
    await click(tid("offboard-submit"));
    await wd.$(tid("offboard-report"));
    const bar = await wd.$(tid("offboard-progress"));
    assert.equal(await bar.attr("aria-valuenow"), await bar.attr("aria-valuemax"));
    assert.equal(await bar.attr("aria-valuemax"), "3", "payments/prod's three items re-keyed");
    assert.ok(Number(await bar.attr("data-polled")) >= 1, "the bar shows what offboard_progress reported");
    const reported = await wd.exec(
      "return [...document.querySelectorAll('[data-testid=report-item]')].map(e => e.dataset.item + ':' + e.dataset.open)",
    );
    assert.deepEqual(reported, [
      "payments/prod/LEGACY_TOKEN:true",
      "payments/prod/STRIPE_KEY:true",
      "payments/prod/WEBHOOK_SECRET:true",
    ]);
    await shot("offboard-report.png");

    // The report ticks itself: rotate one from it.
    await click(`${tid("report-item")}[data-item="payments/prod/WEBHOOK_SECRET"] ${tid("report-rotate")}`);
    await wd.$(tid("rotate-dialog"));
    await click(tid("rotate-submit"));
    await wd.until("WEBHOOK_SECRET ticked", async () =>
      (await (await wd.$(`${tid("report-item")}[data-item="payments/prod/WEBHOOK_SECRET"]`)).attr("data-open")) === "false",
    );

    // Saved in Rust: atomic, 0600; the same path again is refused.
    const file = join(home, "bob-exposure.md");
    await fill("report-path", file);
    await click(tid("report-save"));
    await wd.$(tid("report-saved"));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const md = readFileSync(file, "utf8");
    assert.match(md, /^# Exposure report: bob\n/);
    assert.match(md, /- \[x\] `WEBHOOK_SECRET`/);
    assert.match(md, /- \[ \] `STRIPE_KEY`/);
    assert.ok(!md.includes(STRIPE), "no values in the report");
    await click(tid("report-save"));
    assert.match(await (await wd.$(tid("report-error"))).text(), /already exists/);

    // Bob, on his device, reads nothing any more.
    const r = spawnSync(CLI, ["get", "payments/prod", "STRIPE_KEY"], { env: { ...bobEnv, COFFER_VAULT: vaultFile }, encoding: "utf8" });
    assert.notEqual(r.status, 0, "the ex-member cannot read a credential");
    assert.ok(!r.stdout.includes("sk_live"), "no value printed");
  });

  test("lock clears our clipboard value; unlock again", async () => {
    await click(tid("lock"));
    await wd.$(tid("unlock"));
    if (haveXclip) assert.ok(!clipboard(), "lock clears the clipboard when it still holds our value");
    await fill("unlock-password", "not the passphrase");
    await click(tid("unlock-submit"));
    assert.match(await (await wd.$(tid("unlock-error"))).text(), /^Wrong passphrase/);
    await shot("unlock.png");
    await fill("unlock-password", PASSPHRASE);
    await click(tid("unlock-submit"));
    assert.equal(await (await wd.$(tid("vault-name"))).text(), "Acme");
    await click(tid("env-tab-payments/prod"));
    await wd.$(row("payments/prod/LEGACY_TOKEN"));
    const rows = await wd.$$(tid("item-row"));
    assert.equal(rows.length, 3);
    // Unlocking landed where we were: payments/prod is still the tab.
    await shot("main.png");
  });

  test("at 760, 1120 and 1440 px a revealed value never makes anything scroll sideways", async () => {
    // A value with nowhere to break, revealed in the detail pane.
    const LONG = "tok_" + "Zx9Qw3Er5Ty7Ui1Op0As2Df4Gh6Jk8Lz".repeat(12);
    execFileSync(CLI, ["set", "payments/prod", "PARTNER_TOKEN", "--notes", "Partner API token; rotate in their console"], {
      env: { ...env, COFFER_PASSPHRASE: PASSPHRASE },
      input: LONG,
      stdio: ["pipe", "ignore", "inherit"],
    });
    // Shown without a lock: the app watches the vault (live.test.mjs).
    await wd.$(row("payments/prod/PARTNER_TOKEN"));
    const overflow = () => sideways(wd);
    for (const width of [760, 1120, 1440]) {
      await resize(wd, width);
      // A resized window may lose and regain focus, which masks a value
      // (by design): let that settle before revealing.
      await new Promise((r) => setTimeout(r, 800));
      const narrow = width < 1000;
      if (narrow && (await wd.exec("return !!document.querySelector('[data-testid=detail-back]')"))) await click(tid("detail-back"));
      const shown = await reveal(wd, "payments/prod/PARTNER_TOKEN");
      assert.equal(await wd.exec("return document.querySelector(arguments[0]).textContent", shown), LONG, "the whole value");
      assert.deepEqual(await overflow(), [], `nothing scrolls sideways at ${width} px`);
      await shot(`main-${width}.png`);
      // Every row action is a keyboard stop: Tab from the name reaches Copy and ⋯.
      if (narrow) await click(tid("detail-back"));
      const open = `${row("payments/prod/STRIPE_KEY")} ${tid("open")}`;
      await wd.exec("document.querySelector(arguments[0]).focus()", open);
      const stops = [];
      for (let i = 0; i < 2; i++) {
        await wd.req("POST", wd.s("/actions"), { actions: [{ type: "key", id: "kb", actions: [{ type: "keyDown", value: "\uE004" }, { type: "keyUp", value: "\uE004" }] }] });
        stops.push(await wd.exec("return document.activeElement.getAttribute('data-testid')"));
      }
      assert.deepEqual(stops, ["copy", "more"]);
    }
    await wd.req("POST", wd.s("/window/rect"), { width: 1120, height: 740 });
  });
});
