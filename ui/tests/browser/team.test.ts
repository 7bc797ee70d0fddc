// The team screens' main flow in chromium against the mock build: add a
// member with fingerprint comparison, edit the access matrix, share one
// credential, then the offboarding wizard through progress to the report,
// a rotation ticking it, and the export. Any CSP violation or console
// error fails the test (see harness.ts).
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browserSuite, rowAction, pick, valueOf } from "./harness";

const openPage = browserSuite();
let page: Page;

const tid = (id: string) => `[data-testid="${id}"]`;
/** The mock's public identity format (see mockPublicIdentity in mock.ts). */
const identity = (n: string, e: string, k: string) => `coffer1-${Buffer.from(JSON.stringify({ n, e, k })).toString("base64url")}`;

describe("members and offboarding", () => {
  it("add a member, edit the matrix, share, offboard to the report and export", async () => {
    ({ page } = await openPage("unlocked"));
    await page.locator(tid("nav-members")).click();
    await page.locator(tid("members-table")).waitFor();
    expect(await page.locator(tid("member-row")).count()).toBe(4);

    // Add: paste, compare the fingerprint, name, role, grants.
    await page.locator(tid("add-member")).click();
    await page.locator(tid("member-identity")).fill(identity("Dana Scully", "dana@example.com", "dana-key"));
    await page.locator(tid("member-inspect")).click();
    const fp = page.locator(tid("member-preview-fingerprint"));
    await fp.waitFor();
    expect(await fp.getAttribute("data-fingerprint")).toMatch(/^([0-9A-F]{4}-){7}[0-9A-F]{4}$/);
    expect(await page.locator(tid("member-add-submit")).isDisabled()).toBe(true);
    await page.locator(tid("member-name")).fill("dana");
    await pick(page.locator(tid("member-role")), "member");
    await pick(page.locator(tid("member-grant-web/prod")), "read");
    await page.locator(tid("member-confirm")).check();
    await page.locator(tid("member-add-submit")).click();
    await page.locator(`${tid("member-row")}[data-member="dana"]`).waitFor();
    expect(await page.locator(tid("toast")).textContent()).toContain("Added dana as member");

    // Matrix: read on payments/prod, by keyboard; then write.
    const cell = page.getByRole("combobox", { name: "Access of dana to payments/prod" });
    expect(await valueOf(cell)).toBe("none");
    await cell.focus();
    // ↓ opens the list on the current level, ↓ moves to Read, Enter chooses.
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await cell.getAttribute("aria-expanded")).toBe("true");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(tid("toast")).textContent()).toContain("dana now has read access to payments/prod.");
    await expect.poll(() => valueOf(cell)).toBe("read");
    await pick(cell, "write");
    await expect.poll(() => page.locator(tid("toast")).textContent()).toContain("dana now has write access to payments/prod.");
    expect(await valueOf(page.getByRole("combobox", { name: "Access of dana to web/prod" }))).toBe("read");

    // Share one dev credential with dana from its row; then the sharing list.
    await page.locator(tid("project-payments")).click();
    await page.locator(tid("env-tab-payments/dev")).click();
    await rowAction(page, "payments/dev/SESSION_SECRET", "share");
    await pick(page.locator(tid("share-member")), "dana");
    await page.locator(tid("share-submit")).click();
    await page.locator(`${tid("share-entry")}[data-member="dana"]`).waitFor();
    await page.keyboard.press("Escape");
    await page.locator(tid("share-dialog")).waitFor({ state: "detached" });

    // Offboard dana: preview lists what she could read, confirmation by name.
    await page.locator(tid("nav-members")).click();
    await page.locator(`${tid("member-row")}[data-member="dana"] ${tid("member-offboard")}`).click();
    await page.locator(tid("offboard-preview")).waitFor();
    const envs = await page.locator(tid("preview-env")).evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.env));
    expect(envs).toEqual(["payments/prod", "web/prod"]);
    expect(await page.locator(tid("preview-exposed")).textContent()).toContain("payments/dev/SESSION_SECRET");
    await page.locator(tid("offboard-continue")).click();
    await page.locator(tid("offboard-typed")).fill("dan");
    expect(await page.locator(tid("offboard-submit")).isDisabled()).toBe(true);
    await page.locator(tid("offboard-typed")).fill("dana");
    await page.locator(tid("offboard-submit")).click();
    // The progress bar while it runs (5 items at 40 ms), then the report.
    const bar = page.getByRole("progressbar");
    await bar.waitFor();
    expect(await bar.getAttribute("aria-valuemax")).toBe("5");
    await page.locator(tid("offboard-report")).waitFor();
    expect(await bar.getAttribute("aria-valuenow")).toBe("5");
    expect(Number(await bar.getAttribute("data-polled"))).toBeGreaterThan(1);
    const items = page.locator(tid("report-item"));
    expect(await items.count()).toBe(6);
    expect(await page.locator(`${tid("report-item")}[data-open="true"]`).count()).toBe(6);

    // Rotate one from the report: it is ticked on the next fetch.
    const stripe = page.locator(`${tid("report-item")}[data-item="payments/prod/STRIPE_KEY"]`);
    await stripe.locator(tid("report-rotate")).click();
    await page.locator(tid("rotate-submit")).click();
    await expect.poll(() => stripe.getAttribute("data-open")).toBe("false");
    expect(await page.locator(tid("report-summary")).textContent()).toContain("5 of 6 credentials still to rotate");

    // Export as CSV; a second save without "replace" is refused.
    await page.locator(tid("report-format-csv")).check();
    expect(await page.locator(tid("report-path")).inputValue()).toBe("~/dana-exposure.csv");
    await page.locator(tid("report-save")).click();
    await expect.poll(() => page.locator(tid("report-saved")).textContent()).toContain("/home/ada/dana-exposure.csv");
    await page.locator(tid("report-save")).click();
    await expect.poll(() => page.locator(tid("report-error")).textContent()).toContain("already exists");
    await page.locator(tid("report-overwrite")).check();
    await page.locator(tid("report-save")).click();
    await page.locator(tid("report-saved")).waitFor();
  });

  it("dark mode: the matrix and wizard use the theme's colours", async () => {
    ({ page } = await openPage("unlocked", "dark"));
    await page.locator(tid("nav-members")).click();
    await page.locator(tid("access-matrix")).waitFor();
    const bg = await page.getByRole("combobox", { name: "Access of grace to payments/prod" }).evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(bg).toBe("rgb(26, 32, 41)");
    await page.locator(tid("open-offboard")).click();
    await page.locator(tid("offboard-member")).waitFor();
  });
});
