// The audit log, export, history restore and "open an existing vault" in a
// real browser against the mock build (with the app's CSP; any console
// error or CSP violation fails the test).
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browserSuite, type Preset, openItem, rowAction, pick, valueOf } from "./harness";

const openPage = browserSuite();
let page: Page;

const tid = (id: string) => `[data-testid="${id}"]`;
const row = (key: string) => `[data-testid="item-row"][data-item="${key}"]`;

async function start(preset: Preset, scheme: "light" | "dark" = "light") {
  ({ page } = await openPage(preset, scheme));
}

describe("audit log", () => {
  it("verifies every chain, filters by keyboard, denied only", async () => {
    await start("unlocked", "dark");
    await page.locator(tid("nav-audit")).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(tid("verify-verdict")).textContent()).toMatch(/^\s*Verified: \d+ entries from 2 devices/);
    expect(await page.locator(tid("chain-status")).allTextContents()).toEqual(["verified", "verified"]);
    const first = Number(await page.locator(tid("audit-row")).first().getAttribute("data-seq"));
    const last = Number(await page.locator(tid("audit-row")).last().getAttribute("data-seq"));
    expect(first).toBeGreaterThan(last);
    await page.getByLabel("Denied only").check();
    await expect.poll(() => page.locator(tid("audit-row")).count()).toBe(1);
    expect(await page.locator(tid("audit-row")).textContent()).toContain("granted Bob Builder write on payments/prod");
    await page.getByLabel("Denied only").uncheck();
    await page.getByLabel("Find").fill("TLS_KEY");
    await expect.poll(() => page.locator(tid("audit-row")).count()).toBe(1);
    await pick(page.getByLabel("Activity"), "read");
    await expect.poll(() => page.locator(tid("audit-empty")).count()).toBe(1);
  });

  it("stays responsive with a long log: one page, then more", async () => {
    await start("biglog");
    await page.locator(tid("nav-audit")).click();
    await expect.poll(() => page.locator(tid("audit-row")).count()).toBe(100);
    expect(await page.locator(tid("audit-count")).textContent()).toMatch(/Showing 100 of 200\d\d entries/);
    await page.locator(tid("audit-more")).click();
    await expect.poll(() => page.locator(tid("audit-row")).count()).toBe(200);
  });
});

describe("export", () => {
  it("refuses an unignored file with the way out, then writes it anyway", async () => {
    await start("unlocked");
    await page.getByRole("tab", { name: /prod/ }).click();
    await page.getByRole("button", { name: "Export…" }).click();
    const dialog = page.locator(tid("export-dialog"));
    expect(await valueOf(dialog.getByLabel("Environment"))).toBe("payments/prod");
    await dialog.getByLabel(/^File/).fill("/home/ada/project/.env");
    await dialog.getByRole("button", { name: "Export" }).click();
    await expect.poll(() => dialog.locator(tid("export-error")).textContent()).toContain("add it to .gitignore, or tick “Write anyway”");
    await dialog.getByLabel(/Write anyway/).check();
    await dialog.getByLabel(/^File/).press("Enter");
    await expect.poll(() => page.locator(tid("toast")).textContent()).toContain("Exported 3 variables of payments/prod to /home/ada/project/.env");
    await dialog.waitFor({ state: "detached" });
  });
});

describe("history", () => {
  it("restores an old version after confirming", async () => {
    await start("unlocked");
    await rowAction(page, "payments/dev/SESSION_SECRET", "edit");
    await page.locator(tid("item-value")).fill("a-newer-session-secret");
    await page.locator(tid("item-save")).click();
    await page.locator(tid("item-dialog")).waitFor({ state: "detached" });
    // The detail pane's latest versions, then every version from there.
    const pane = await openItem(page, "payments/dev/SESSION_SECRET");
    await expect.poll(() => pane.locator(`${tid("detail-history-list")} li`).count()).toBe(2);
    await pane.locator(tid("detail-history")).click();
    await expect.poll(() => page.locator(tid("history-entry")).count()).toBe(2);
    await page.getByRole("button", { name: "Restore version 1 of SESSION_SECRET" }).click();
    await page.locator(tid("confirm-ok")).click();
    await expect.poll(() => page.locator(tid("history-notice")).textContent()).toBe("Version 1 of SESSION_SECRET was restored as the new version 3.");
    await expect.poll(() => page.locator(tid("history-entry")).count()).toBe(3);
    expect(await page.locator(tid("history-dialog")).textContent()).not.toContain("session-secret");
  });
});

describe("open an existing vault", () => {
  it("says the vault is missing, refuses a non-member vault, opens a member one", async () => {
    await start("missing");
    expect(await page.locator(tid("unlock-vault-missing")).textContent()).toContain("moved or deleted");
    await page.getByLabel("Passphrase").fill("correct horse battery staple");
    await page.getByLabel("Passphrase").press("Enter");
    await page.getByLabel("Open an existing vault file").check();
    await page.getByLabel(/Vault file/).fill("/home/ada/team/globex.coffer");
    await page.getByRole("button", { name: "Open vault" }).click();
    await expect.poll(() => page.locator(tid("error")).textContent()).toContain("you are not a member of this vault");
    await page.getByLabel(/Vault file/).fill("/home/ada/team/acme.coffer");
    await page.getByLabel(/Vault file/).press("Enter");
    await expect.poll(() => page.locator(tid("vault-name")).textContent()).toBe("Acme");
  });
});
