// End to end in the real app, on its own fresh HOME and vault: first run →
// an environment with two credentials → export to a file (refused inside a
// git work tree that does not ignore it; written 0600 outside one, and the
// file parses back to the values) → the audit log verifies the chain →
// restore an older version from the history.
// Screenshots audit.png, export.png, history.png go to $COFFER_SCREENSHOTS
// (default .cache/e2e-screenshots), like app.test.mjs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { appSuite, PASSPHRASE, reveal, row, rowAction, tid } from "./harness.mjs";

const API_V1 = "api_key_version_one_0001";
const API_V2 = "api_key_version_two_0002";
const DB_URL = "postgres://app:pw@db:5432/app";

const app = appSuite({ prefix: "coffer-e2e-audit-", portBase: 4000 });
const { home, env, wd, shot, fill, click } = app;

/** A minimal reader for what the portable dialect writes: KEY=value,
 * KEY='value' or KEY="value" (with \n and \" escapes). */
function parseDotenv(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `a dotenv line: ${line.replace(/=.*/, "=…")}`);
    let v = m[2];
    if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    else if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    out[m[1]] = v;
  }
  return out;
}

describe("audit, export and restore in the real app", () => {
  test("first run, an environment, two credentials (one with two versions)", async () => {
    await fill("firstrun-name", "Ada Lovelace");
    await fill("firstrun-password", PASSPHRASE);
    await fill("firstrun-confirm", PASSPHRASE);
    await click(tid("firstrun-submit"));
    await fill("vault-team", "Acme");
    await click(tid("vault-submit"));
    await wd.$(tid("empty-vault"));

    await click(tid("add-env"));
    await fill("env-path", "web/dev");
    await click(tid("env-submit"));
    await wd.$(tid("env-tab-web/dev"));
    for (const [name, value] of [["API_KEY", API_V1], ["DB_URL", DB_URL]]) {
      await click(tid("add-item"));
      await fill("item-name", name);
      await fill("item-value", value);
      await click(tid("item-save"));
      await wd.$(row(`web/dev/${name}`));
    }
    await rowAction(wd, "web/dev/API_KEY", "edit");
    await fill("item-value", API_V2);
    await click(tid("item-save"));
    await wd.gone(tid("item-dialog"));
  });

  test("export: refused inside a git work tree, written 0600 elsewhere, parses back", async () => {
    const repo = join(home, "project");
    mkdirSync(repo);
    execFileSync("git", ["init", "-q", repo]);
    await click(tid("export-open"));
    await wd.$(tid("export-dialog"));
    await fill("export-path", join(repo, ".env"));
    await click(tid("export-submit"));
    const err = await wd.$(tid("export-error"));
    assert.match(await err.text(), /not ignored by git: add it to \.gitignore, or tick “Write anyway”\.$/);
    assert.ok(!existsSync(join(repo, ".env")), "nothing written");

    const outDir = join(home, "exports");
    mkdirSync(outDir);
    const out = join(outDir, ".env");
    await fill("export-path", out);
    await shot("export.png");
    await click(tid("export-submit"));
    await wd.gone(tid("export-dialog"));
    await wd.toast(/^Exported 2 variables of web\/dev to .*\.env \(readable only by you\)\.$/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.deepEqual(parseDotenv(readFileSync(out, "utf8")), { API_KEY: API_V2, DB_URL });
  });

  test("the audit log lists the export and verifies the chain", async () => {
    await click(tid("nav-audit"));
    await wd.until("verified", async () => (await (await wd.$(tid("verify-verdict"))).attr("data-ok")) === "true");
    assert.match(await (await wd.$(tid("verify-verdict"))).text(), /^Verified: \d+ entries from 1 device,/);
    assert.equal(await (await wd.$(tid("chain-status"))).text(), "verified");
    const first = await wd.$(tid("audit-row"));
    assert.match(await first.text(), /exported 2 credentials of web\/dev/);
    const table = await (await wd.$(tid("audit-table"))).text();
    for (const v of [API_V1, API_V2, DB_URL]) assert.ok(!table.includes(v), "no value in the log");
    await shot("audit.png");
    await click(tid("verify-now"));
    await wd.until("verified again", async () => (await (await wd.$(tid("verify-verdict"))).attr("data-ok")) === "true");
  });

  test("history: restore version 1 as a new version", async () => {
    await click(tid("project-web"));
    await rowAction(wd, "web/dev/API_KEY", "history");
    await wd.until("two versions", async () => (await wd.$$(tid("history-entry"))).length === 2);
    await shot("history.png");
    await click(tid("history-restore"));
    await click(tid("confirm-ok"));
    const notice = await wd.$(tid("history-notice"));
    assert.equal(await notice.text(), "Version 1 of API_KEY was restored as the new version 3.");
    await wd.until("three versions", async () => (await wd.$$(tid("history-entry"))).length === 3);
    assert.ok(!(await (await wd.$(tid("history-dialog"))).text()).includes(API_V1), "no value in the history");
    await click(tid("history-close"));
    await wd.gone(tid("history-dialog"));
    const shown = await reveal(wd, "web/dev/API_KEY");
    assert.equal(await wd.exec("return document.querySelector(arguments[0]).textContent", shown), API_V1);
  });
});
