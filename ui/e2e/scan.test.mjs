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
