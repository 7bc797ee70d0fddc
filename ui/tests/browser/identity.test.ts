// My identity and the file dialogs in chromium against the mock build, at
// the window's smallest, default and a wide width, light and dark: the
// account button opens My identity (public identity, the fingerprint in
// the CLI's format, Copy), nothing overflows sideways; "Choose…" in the
// export dialog fills the path the (mock) system dialog answered and the
// export goes there. Screenshots go to .cache/browser-shots/.
import { describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { browserSuite } from "./harness";

const openPage = browserSuite();
const tid = (id: string) => `[data-testid="${id}"]`;
const SHOTS = join(import.meta.dirname, "../../../.cache/browser-shots");

describe("my identity", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const width of [760, 1120, 1440]) {
      it(`opens from the header at ${width} px, ${scheme}`, async () => {
        const { page } = await openPage("unlocked", scheme);
        await page.setViewportSize({ width, height: 800 });
        await page.locator(tid("account")).click();
        const panel = page.locator(tid("my-identity"));
        await panel.waitFor();
        await expect.poll(() => panel.locator(tid("my-public-identity")).inputValue()).toMatch(/^coffer1-/);
        const fp = panel.locator(tid("my-fingerprint"));
        const full = await fp.getAttribute("data-fingerprint");
        expect(full).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){7}$/);
        expect((await fp.textContent())?.replace(/\s/g, "")).toBe(full);
        // The whole string is visible: the box is as tall as it needs.
        const [scrollH, clientH] = await panel
          .locator(tid("my-public-identity"))
          .evaluate((t) => [t.scrollHeight, t.clientHeight]);
        expect(scrollH).toBeLessThanOrEqual(clientH + 2);
        await panel.locator(tid("copy-public-identity")).click();
        await expect.poll(() => panel.locator(tid("copy-public-status")).textContent()).toContain("Copied");
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scroll).toBeLessThanOrEqual(inner);
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, `my-identity-${width}-${scheme}.png`) });
      });
    }
  }

  it("export: Choose… fills the path the system dialog answered, and the file goes there", async () => {
    const { page } = await openPage("unlocked");
    await page.locator(tid("export-open")).click();
    const dlg = page.locator(tid("export-dialog"));
    await dlg.waitFor();
    await dlg.locator(tid("export-path-choose")).click();
    await expect.poll(() => dlg.locator(tid("export-path")).inputValue()).toBe("/srv/shared/picked.env");
    await dlg.locator(tid("export-submit")).click();
    await expect.poll(() => page.locator(tid("toast")).textContent()).toContain("to /srv/shared/picked.env");
  });
});
