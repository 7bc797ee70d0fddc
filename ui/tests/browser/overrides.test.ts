// Personal overrides in the mock build, light and dark, at the three
// widths: the badge never hides the key's name (the name is read whole,
// the badge shortens to "Override" in a narrow list), nothing scrolls
// sideways, the row menu reaches "Override for me…" by the keyboard, and
// in prod the entry is disabled with its reason. Screenshots go to
// .cache/browser-shots/.
import { describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserSuite } from "./harness";

const openPage = browserSuite();
const tid = (id: string) => `[data-testid="${id}"]`;
const row = (key: string) => `[data-testid="item-row"][data-item="${key}"]`;
const SHOTS = join(import.meta.dirname, "../../../.cache/browser-shots");

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(SHOTS, name) });
}

/** Whether the row's name is shown whole (not cut with an ellipsis). */
const nameWhole = (page: Page, key: string) =>
  page.locator(`${row(key)} ${tid("open")}`).evaluate((el) => el.scrollWidth <= el.clientWidth);

describe("personal overrides: badges, menu, layout", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const width of [760, 1120, 1440]) {
      it(`badges beside whole names, nothing sideways, at ${width} px, ${scheme}`, async () => {
        const { page } = await openPage("overrides", scheme);
        await page.setViewportSize({ width, height: 740 });
        const badge = page.locator(`${row("payments/dev/DATABASE_URL")} ${tid("override-badge")}`);
        await badge.waitFor();
        await page.locator(`${row("payments/dev/LOCAL_ONLY")} ${tid("override-badge")}`).waitFor();
        // With the detail pane open (the list at its narrowest beside it).
        if (width > 760) await page.locator(`${row("payments/dev/SESSION_SECRET")} ${tid("open")}`).click();
        for (const key of ["payments/dev/DATABASE_URL", "payments/dev/LOCAL_ONLY", "payments/dev/SESSION_SECRET"]) {
          expect(await nameWhole(page, key), `${key} is cut at ${width} px`).toBe(true);
        }
        // The full words where the list has room, "Override" where it has not.
        const short = await badge.locator(".short").evaluate((el) => getComputedStyle(el).display !== "none");
        expect(short, `the short badge at ${width} px`).toBe(width < 1440);
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
        expect(sideways).toBe(false);
        await shot(page, `overrides-${width}-${scheme}.png`);
      });
    }
  }

  it("the keyboard reaches 'Override for me…'; prod's entry is disabled with its reason", async () => {
    const { page } = await openPage("overrides");
    await page.locator(`${row("payments/dev/SESSION_SECRET")} ${tid("more")}`).focus();
    await page.keyboard.press("ArrowUp"); // opens on the last entry (Delete…)
    await page.keyboard.press("ArrowUp");
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("override");
    await page.keyboard.press("Enter");
    await page.locator(tid("override-dialog")).waitFor();
    expect(await page.locator(tid("override-value")).getAttribute("type")).toBe("password");
    await page.keyboard.press("Escape");
    await page.locator(tid("override-dialog")).waitFor({ state: "detached" });

    await page.locator(tid("env-tab-payments/prod")).click();
    await page.locator(`${row("payments/prod/STRIPE_KEY")} ${tid("more")}`).click();
    const entry = page.locator(`${tid("row-menu")} ${tid("override")}`);
    expect(await entry.getAttribute("aria-disabled")).toBe("true");
    expect(await entry.innerText()).toContain("off in production environments");
    // Playwright will not click what says it is disabled; a user can.
    await entry.click({ force: true });
    expect(await page.locator(tid("override-dialog")).count()).toBe(0);
    await shot(page, "override-prod-menu.png");
  });
});
