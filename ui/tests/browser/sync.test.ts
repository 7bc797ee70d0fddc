// Sync screens in chromium against the mock build, at the window's
// smallest, default and a wide width, light and dark: the sidebar's sync
// state, the Sync screen, a conflict resolved from its row, and the join
// flow. Nothing may overflow the window sideways. Screenshots of each go
// to .cache/browser-shots/ (looked at when the screens change).
import { describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserSuite, openItem } from "./harness";

const openPage = browserSuite();
const tid = (id: string) => `[data-testid="${id}"]`;
const SHOTS = join(import.meta.dirname, "../../../.cache/browser-shots");

async function noSidewaysScroll(page: Page, what: string) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(width);
}

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name) });
}

describe("sync screens", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const width of [760, 1120, 1440]) {
      it(`sidebar, Sync screen and conflict at ${width} px, ${scheme}`, async () => {
        const { page } = await openPage("synced", scheme);
        await page.setViewportSize({ width, height: 800 });
        await page.locator(tid("sync-summary")).filter({ hasText: "Synced" }).waitFor();
        expect(await page.locator(tid("sync-conflicts")).textContent()).toContain("1 conflict to resolve");
        const chip = page.locator(`[data-item="payments/dev/SESSION_SECRET"] ${tid("conflict")}`);
        await chip.waitFor();
        const box = await chip.boundingBox();
        expect(box && box.x + box.width).toBeLessThanOrEqual(width);
        await shot(page, `sync-sidebar-${width}-${scheme}.png`);

        await page.locator(tid("nav-sync")).click();
        await page.locator(tid("sync-feeds")).waitFor();
        await noSidewaysScroll(page, "sync screen");
        await shot(page, `sync-screen-${width}-${scheme}.png`);

        await page.locator(tid("sync-resolve")).click();
        const dlg = page.locator(tid("conflict-dialog"));
        await dlg.waitFor();
        await dlg.locator(tid("conflict-reveal")).click();
        await dlg.locator(tid("conflict-value")).nth(1).waitFor();
        const d = await dlg.boundingBox();
        expect(d && d.x >= 0 && d.x + d.width <= width && d.y + d.height <= 800).toBe(true);
        await shot(page, `conflict-${width}-${scheme}.png`);
        await dlg.locator(`${tid("conflict-option")}[data-keep="1"] ${tid("conflict-keep")}`).click();
        await dlg.waitFor({ state: "detached" });
        expect(await page.locator(tid("toast")).textContent()).toContain("Kept Bob's value of SESSION_SECRET.");
        await expect.poll(() => page.locator(tid("sync-conflicts")).count()).toBe(0);
      });
    }
    it(`a value written under a replaced key says so, ${scheme}`, async () => {
      const { page } = await openPage("synced-stale", scheme);
      await page.setViewportSize({ width: 760, height: 800 });
      const chip = page.locator(`[data-item="payments/dev/SESSION_SECRET"] ${tid("conflict")}`);
      await chip.click();
      const dlg = page.locator(tid("conflict-dialog"));
      await dlg.waitFor();
      expect(await dlg.locator(tid("conflict-stale")).textContent()).toContain("that member could read it");
      const d = await dlg.boundingBox();
      expect(d && d.x >= 0 && d.x + d.width <= 760 && d.y + d.height <= 800).toBe(true);
      await shot(page, `conflict-stale-760-${scheme}.png`);
    });
    it(`a credential whose value does not open says so beside the other chips, ${scheme}`, async () => {
      const { page } = await openPage("synced-unreadable", scheme);
      await page.setViewportSize({ width: 760, height: 800 });
      const r = page.locator('[data-testid="item-row"][data-item="payments/dev/API_KEY"]');
      const chip = r.locator(tid("unreadable"));
      await chip.waitFor();
      expect(await chip.innerText()).toContain("Doesn't open");
      expect(await chip.getAttribute("title")).toBe(
        "A teammate's app saved a value that no key opens. Set a new value or restore an older version.",
      );
      // Beside the conflict chip of the row above, on one line with the name.
      const conflict = page.locator(`[data-item="payments/dev/SESSION_SECRET"] ${tid("conflict")}`);
      await conflict.waitFor();
      const [a, c] = await Promise.all([chip.boundingBox(), conflict.boundingBox()]);
      expect(a && c).toBeTruthy();
      expect(Math.abs(a!.height - c!.height), "the two chips are one height").toBeLessThanOrEqual(1);
      expect(a!.x + a!.width).toBeLessThanOrEqual(760);
      await shot(page, `unreadable-760-${scheme}.png`);

      // Reveal fails with the vault's sentence, shown like every error.
      const pane = await openItem(page, "payments/dev/API_KEY");
      await pane.locator(tid("reveal")).click();
      const err = page.locator(tid("error"));
      await err.waitFor();
      expect(await err.textContent()).toContain("Version 2 of API_KEY in payments/dev, written by grace, does not open");
      expect(await pane.locator(tid("revealed-value")).count()).toBe(0);
      await noSidewaysScroll(page, "unreadable credential's pane");
      await shot(page, `unreadable-reveal-760-${scheme}.png`);

      // The sync that brought it also re-keyed an environment: said in words.
      await page.locator(tid("nav-sync")).click();
      const w = page.locator(tid("sync-warning"));
      await w.first().waitFor();
      expect(await w.allTextContents()).toContain(
        "Re-keyed 1 environment a removed member could still open (two offboardings crossed)",
      );
      await noSidewaysScroll(page, "sync screen");
      await shot(page, `sync-rekeyed-760-${scheme}.png`);
    });
    it(`the join flow, ${scheme}`, async () => {
      const { page } = await openPage("missing", scheme);
      await page.setViewportSize({ width: 760, height: 800 });
      await page.getByLabel("Passphrase").fill("correct horse battery staple");
      await page.getByRole("button", { name: "Unlock" }).click();
      await page.locator(tid("vault-mode-join")).check();
      await page.locator(tid("join-location")).fill("/mnt/team/acme-sync");
      await page.locator(tid("vault-submit")).click();
      await page.locator(tid("join-owner-fingerprint")).waitFor();
      await page.locator(tid("join-fingerprint-matches")).check();
      await noSidewaysScroll(page, "join");
      await shot(page, `join-760-${scheme}.png`);
      await page.locator(tid("vault-submit")).click();
      await page.locator(tid("vault-name")).filter({ hasText: "Acme" }).waitFor();
    });
  }
});
