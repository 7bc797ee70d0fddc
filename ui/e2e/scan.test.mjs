// Issue 12 in the real app (debug build, tauri-driver + WebKitWebDriver),
// in its own throw-away HOME, with the `coffer` CLI as a second program:
// the CLI seeds values, a temp folder gets a file holding one of them;
// "Scan a folder" (the folder chosen in the dialog, answered by the debug
// seam COFFER_TEST_PICKS) finds it, grouped by credential with file:line
// and never the value; "Mark exposed" goes through the vault and the
// rotation dashboard then lists it; the hygiene panel shows a planted
// duplicate and opens the credential. Screenshots scan-{760,1120,1440}.png
// and hygiene-{760,1120,1440}.png; scan.dark.test.mjs takes the dark ones.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { scanSuite } from "./scan_shared.mjs";

const s = scanSuite({ prefix: "coffer-e2e-scan-", portBase: 7100 });

describe("scan a folder and the hygiene panel in the real app", () => {
  test("the CLI seeds values; a folder holding one is scanned, grouped by credential", async () => {
    await s.seed();
    await s.scanPlanted();
  });

  test("mark exposed: the rotation dashboard lists it", async () => {
    const { wd, click } = s.app;
    await click(`${s.card("payments/prod/STRIPE_KEY")} [data-testid="scan-mark"]`);
    await wd.until("marked", async () => /Marked 1 credential exposed/.test(await s.text('[data-testid="toast"]')));
    assert.ok((await wd.$$(`${s.card("payments/prod/STRIPE_KEY")} [data-testid="scan-exposed"]`)).length === 1);
    // The CLI, reading the same vault, sees the exposure too.
    const rot = JSON.parse(s.cli(["rotation", "--json"]));
    const items = rot.items ?? rot;
    assert.ok(JSON.stringify(items).includes("STRIPE_KEY"), "coffer rotation lists it");
    await s.shots("scan");
    await click('[data-testid="nav-rotation"]');
    await wd.until("the dashboard lists it as exposed", async () => {
      const rows = await wd.exec(
        "return [...document.querySelectorAll('[data-testid=\"rotation-row\"]')].map(r => r.dataset.item + ' ' + r.textContent)",
      );
      return rows.some((r) => r.startsWith("payments/prod/STRIPE_KEY ") && /Exposed/.test(r));
    });
    assert.equal(await s.text('[data-testid="count-exposed"]'), "1");
  });

  test("hygiene: the planted duplicate, explained, opens the credential", async () => {
    await s.hygiene();
    await s.shots("hygiene");
    const { wd, click } = s.app;
    await click('[data-testid="hygiene-open"][data-item="web/prod/STRIPE_KEY"]');
    await wd.$('[data-testid="detail-pane"][data-item="web/prod/STRIPE_KEY"]');
  });

  test("a long scan shows progress while the window stays responsive, and Cancel stops it", async () => {
    const { wd, click, fill, home } = s.app;
    // 150 MB of text: several seconds for the debug build.
    const big = join(home, "big");
    mkdirSync(big, { recursive: true });
    const blob = "lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\n".repeat(15_650);
    for (let i = 0; i < 150; i++) writeFileSync(join(big, `${String(i).padStart(3, "0")}.log`), blob);
    await click('[data-testid="nav-scan"]');
    await fill("scan-folder", big);
    await click('[data-testid="scan-start"]');
    const seen = [];
    await wd.until("progress counting files", async () => {
      const m = /Searching (\d+) of 150 files/.exec(await s.text('[data-testid="scan-progress"]'));
      if (m) seen.push(Number(m[1]));
      return seen.length >= 2 && seen[seen.length - 1] > seen[0] && seen[seen.length - 1] >= 3;
    }, 60_000);
    // The page answers scripts and clicks while Rust reads files.
    assert.equal(await wd.exec("return document.querySelectorAll('[data-testid=\"scan-start\"][disabled]').length"), 1);
    await click('[data-testid="scan-cancel"]');
    await wd.until("cancelled", async () => /Cancelled\./.test(await s.text('[data-testid="scan-summary"]')), 30_000);
    const m = /Scanned (\d+) files/.exec(await s.text('[data-testid="scan-summary"]'));
    assert.ok(m && Number(m[1]) < 150, `stopped early: ${m?.[1]} files`);
  });

  test("a folder typed outside home is refused; a file is not a folder", async () => {
    const { wd, click, fill } = s.app;
    await click('[data-testid="nav-scan"]');
    const other = join(s.app.home, "plain");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "file.txt"), "x\n");
    await fill("scan-folder", join(other, "file.txt"));
    await click('[data-testid="scan-start"]');
    await wd.until("refused", async () => /is not a folder/.test(await s.text('[data-testid="scan-error"]')));
    await fill("scan-folder", "/usr/share");
    await click('[data-testid="scan-start"]');
    await wd.until("outside home", async () => /outside your home folder/.test(await s.text('[data-testid="scan-error"]')));
  });
});
