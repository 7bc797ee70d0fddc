// "Scan a folder" and the hygiene panel in a real browser against the mock
// build (with the app's CSP; any console error or CSP violation fails the
// test), light and dark, at the narrowest and widest widths.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browserSuite } from "./harness";

const openPage = browserSuite();
let page: Page;
const tid = (id: string) => `[data-testid="${id}"]`;

describe("scan a folder", () => {
  it("scans a typed folder, groups by credential, marks all exposed", async () => {
    ({ page } = await openPage("unlocked", "dark"));
    await page.setViewportSize({ width: 760, height: 740 });
    await page.locator(tid("nav-scan")).click();
    await page.locator(tid("scan-folder")).fill("~/project");
    await page.getByLabel("Only files git would see").check();
    await page.getByLabel("Only files git would see").uncheck();
    await page.locator(tid("scan-start")).click();
    await expect.poll(() => page.locator(tid("scan-credential")).count()).toBe(2);
    expect(await page.locator(tid("scan-credential")).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.item))).toEqual([
      "payments/prod/STRIPE_KEY",
      "web/prod/SENTRY_DSN",
    ]);
    expect(await page.locator("body").textContent()).not.toContain("sk_live_51H8xQ2eZvKYlo2C");
    // Nothing scrolls sideways at the narrowest window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await page.locator(tid("scan-mark-all")).click();
    await expect.poll(() => page.locator(tid("toast")).textContent()).toMatch(/Marked 1 credential exposed/);
    await expect.poll(() => page.locator(tid("scan-exposed")).count()).toBe(2);
    await page.locator(tid("nav-rotation")).click();
    await expect.poll(() => page.locator(tid("count-exposed")).textContent()).toBe("2");
  });
});

describe("hygiene panel", () => {
  it("lists the reused value and the placeholder and opens a credential", async () => {
    ({ page } = await openPage("hygiene"));
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator(tid("nav-hygiene")).click();
    await expect.poll(() => page.locator(tid("hygiene-finding")).count()).toBe(2);
    expect(await page.locator(tid("hygiene-group-reused")).textContent()).toContain("2 credentials share one value, in 2 projects.");
    await page.locator(`${tid("hygiene-open")}[data-item="web/prod/STRIPE_KEY"]`).click();
    await expect.poll(() => page.locator(tid("detail-pane")).getAttribute("data-item")).toBe("web/prod/STRIPE_KEY");
  });
});
