// Every screen's main flow in a real browser (Debian's chromium) against
// the mock build, with the app's CSP served: any CSP violation or console
// error fails the test.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browserSuite, openItem, rowAction, type Preset } from "./harness";

const openPage = browserSuite();
let page: Page;

const tid = (id: string) => `[data-testid="${id}"]`;
const row = (key: string) => `[data-testid="item-row"][data-item="${key}"]`;

async function start(preset: Preset, scheme: "light" | "dark" = "light") {
  ({ page } = await openPage(preset, scheme));
}

describe("first run", () => {
  it("identity with strength meter and confirmation, then the vault", async () => {
    await start("empty");
    await page.getByLabel("Name").fill("Ada Lovelace");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel(/^Passphrase \(at least/).fill("password123");
    await expect.poll(() => page.locator(tid("strength-text")).textContent()).toContain("very common password");
    expect(Number(await page.locator(tid("strength-meter")).getAttribute("data-score"))).toBe(0);
    await page.getByLabel(/^Passphrase \(at least/).fill("correct horse battery staple");
    await expect.poll(() => page.locator(tid("strength-text")).textContent()).toContain("published example passphrase");
    expect(await page.locator(tid("strength-meter")).getAttribute("data-score")).toBe("1");
    await page.getByLabel(/^Passphrase \(at least/).fill("velvet crane ambles under 9 moons");
    await expect.poll(() => page.locator(tid("strength-meter")).getAttribute("data-score")).toBe("4");
    await page.getByLabel("Confirm passphrase").fill("velvet crane ambles under 9 moon");
    await page.locator(tid("firstrun-submit")).click();
    await expect.poll(() => page.locator(tid("firstrun-problem")).textContent()).toContain("differ");
    await page.getByLabel("Confirm passphrase").fill("velvet crane ambles under 9 moons");
    await page.getByLabel(/system keychain/).check();
    await page.locator(tid("firstrun-submit")).click();
    await page.getByLabel("Team name").fill("Acme");
    await page.getByRole("button", { name: "Create vault" }).click();
    await page.locator(tid("empty-vault")).waitFor();
    expect(await page.locator(tid("toast")).textContent()).toContain("Vault “Acme” created");
  });
});

describe("unlock", () => {
  it("wrong passphrase, back-off shown, then the keyboard alone unlocks", async () => {
    await start("locked");
    const pw = page.getByLabel("Passphrase");
    const submit = page.locator(tid("unlock-submit"));
    for (let i = 0; i < 3; i++) {
      await pw.fill(`wrong-${i}`);
      await submit.click();
      await expect.poll(() => submit.textContent()).toBe("Unlock");
    }
    expect(await page.locator(tid("unlock-error")).textContent()).toContain("Wrong passphrase");
    // The third failure starts a 2 s back-off: shown, and the button is off.
    await page.locator(tid("unlock-backoff")).waitFor();
    expect(await submit.isDisabled()).toBe(true);
    await page.locator(tid("unlock-backoff")).waitFor({ state: "detached", timeout: 5000 });
    await pw.fill("correct horse battery staple");
    await pw.press("Enter");
    await page.locator(tid("vault-name")).getByText("Acme").waitFor();
  });
});

describe("main", () => {
  it("environments, add with generator, reveal re-masks on blur, copy, search, edit, history, delete", async () => {
    await start("unlocked");
    // Add an environment and a credential.
    await page.locator(tid("add-env")).click();
    await page.locator(tid("env-path")).fill("billing/prod");
    await page.locator(tid("env-rotate")).fill("30d");
    await page.locator(tid("env-submit")).click();
    await page.locator(tid("env-tab-billing/prod")).waitFor();
    expect(await page.locator(tid("env-tab-billing/prod")).getAttribute("aria-selected")).toBe("true");
    await page.locator(tid("add-item")).click();
    await page.locator(tid("item-name")).fill("INVOICE_API_KEY");
    await page.locator(tid("gen-length")).fill("40");
    await page.locator(tid("item-generate")).click();
    await expect.poll(() => page.locator(tid("item-value")).inputValue()).toHaveLength(40);
    await page.locator(tid("item-notes")).fill("Invoice provider; rotate in their console");
    await page.locator(tid("item-save")).click();
    const r = page.locator(row("billing/prod/INVOICE_API_KEY"));
    await r.waitFor();
    expect(await r.locator(tid("status-badge")).textContent()).toContain("OK");
    const pane = await openItem(page, "billing/prod/INVOICE_API_KEY");
    expect(await pane.textContent()).toContain("Invoice provider");

    // Reveal, then the window loses focus: masked again.
    await pane.locator(tid("reveal")).click();
    await expect.poll(async () => (await pane.locator(tid("revealed-value")).textContent())?.length).toBe(40);
    await page.evaluate(() => window.dispatchEvent(new Event("blur")));
    await pane.locator(tid("masked-value")).waitFor();
    await r.locator(tid("copy")).click();
    expect(await page.locator(tid("toast")).textContent()).toContain("Copied INVOICE_API_KEY");

    // Instant search across environments.
    await page.locator(tid("search")).fill("stripe");
    await expect.poll(() => page.locator(tid("item-row")).count()).toBe(2);
    expect(await page.locator(tid("search-count")).textContent()).toContain("2 matches");
    await page.locator(tid("search")).fill("");

    // Edit, history, delete.
    await rowAction(page, "billing/prod/INVOICE_API_KEY", "edit");
    await page.locator(tid("item-notes")).fill("Rotated monthly");
    await page.locator(tid("item-save")).click();
    await expect.poll(() => page.locator(tid("detail-notes")).textContent()).toContain("Rotated monthly");
    await rowAction(page, "billing/prod/INVOICE_API_KEY", "history");
    await expect.poll(() => page.locator(tid("history-entry")).count()).toBe(2);
    await page.keyboard.press("Escape");
    await page.locator(tid("history-dialog")).waitFor({ state: "detached" });
    await rowAction(page, "billing/prod/INVOICE_API_KEY", "delete");
    await page.locator(tid("confirm-ok")).click();
    await r.waitFor({ state: "detached" });
  });

  it("errors are sentences, never JSON", async () => {
    await start("unlocked");
    await page.locator(tid("add-item")).click();
    await page.locator(tid("item-name")).fill("9LIVES");
    await page.locator(tid("item-value")).fill("x");
    await page.locator(tid("item-save")).click();
    const msg = await page.locator(`${tid("item-dialog")} [role=alert]`).textContent();
    expect(msg).toMatch(/^Invalid key '9LIVES'/);
    expect(msg).not.toContain("{");
  });

  it("dark mode follows the system", async () => {
    await start("unlocked", "dark");
    await page.locator(tid("vault-name")).getByText("Acme").waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg).toBe("rgb(17, 21, 27)");
  });

  it("lock returns to the unlock screen", async () => {
    await start("unlocked");
    await page.locator(tid("lock")).click();
    await page.locator(tid("unlock")).waitFor();
  });
});

describe("rotation dashboard", () => {
  it("badge count, exposed first, rotate now by generating and by pasting", async () => {
    await start("unlocked");
    expect(await page.locator(tid("rotation-badge")).textContent()).toBe("5");
    await page.locator(tid("nav-rotation")).click();
    const rows = page.locator(tid("rotation-row"));
    expect(await rows.first().getAttribute("data-item")).toBe("web/prod/SENTRY_DSN");
    expect(await page.locator(tid("count-exposed")).textContent()).toBe("1");
    await rows.first().locator(tid("rotate-now")).click();
    await page.locator(tid("rotate-submit")).click();
    await expect.poll(() => page.locator(tid("count-exposed")).textContent()).toBe("0");
    await page.locator(`[data-testid="rotation-row"][data-item="payments/prod/STRIPE_KEY"] ${tid("rotate-now")}`).click();
    await page.locator(tid("rotate-mode-paste")).check();
    await page.locator(tid("rotate-value")).fill("sk_live_fresh_from_stripe");
    await page.locator(tid("rotate-submit")).click();
    await expect.poll(() => page.locator(tid("count-overdue")).textContent()).toBe("0");
    expect(await page.locator(tid("rotation-badge")).textContent()).toBe("3");
  });
});

describe("settings", () => {
  it("security and rotation settings, keychain, passphrase change, then Ctrl+L", async () => {
    await start("unlocked", "dark");
    await page.locator(tid("nav-settings")).click();
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    await page.getByLabel("Lock after this many minutes without activity").fill("5");
    await page.getByLabel("Clear a copied value from the clipboard after (seconds)").fill("60");
    await page.getByLabel("Show credentials as due soon this many days ahead").fill("700");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect
      .poll(() => page.locator(tid("settings-error")).textContent())
      .toBe("The due-soon window must be 1 to 365 days (got 700).");
    await page.getByLabel("Show credentials as due soon this many days ahead").fill("30");
    // The keyboard alone saves the form.
    await page.getByLabel("Show credentials as due soon this many days ahead").press("Enter");
    await expect.poll(() => page.locator(tid("toast")).textContent()).toBe("Settings saved.");

    await page.getByRole("button", { name: "Turn on keychain unlock" }).click();
    await expect.poll(() => page.locator(tid("keychain-state")).textContent()).toContain("On.");

    await page.getByRole("button", { name: "Change passphrase…" }).click();
    const dlg = page.locator(tid("password-dialog"));
    await dlg.getByLabel("Current passphrase").fill("correct horse battery staple");
    await dlg.getByLabel(/^New passphrase/).fill("purple elephant marmalade 42");
    await expect.poll(() => dlg.locator(tid("strength-meter")).getAttribute("data-score")).toBe("4");
    await dlg.getByLabel("Confirm the new passphrase").fill("purple elephant marmalade 42");
    await dlg.getByRole("button", { name: "Change passphrase" }).click();
    await expect.poll(() => page.locator(tid("toast")).textContent()).toBe("Your passphrase was changed.");
    expect(await page.locator(tid("kdf-params")).textContent()).toContain("256 MiB memory");

    // The clipboard timeout is the new setting.
    await page.locator(tid("project-payments")).click();
    await page.locator(tid("env-tab-payments/prod")).click();
    await page.locator(`${row("payments/prod/STRIPE_KEY")} ${tid("copy")}`).click();
    await expect.poll(() => page.locator(tid("toast")).textContent()).toContain("cleared in 60 s");

    await page.keyboard.press("Control+l");
    await page.locator(tid("unlock")).waitFor();
    expect(await page.locator(tid("lock-reason")).textContent()).toBe("Locked.");
    await page.getByLabel("Passphrase").fill("purple elephant marmalade 42");
    await page.getByLabel("Passphrase").press("Enter");
    await page.locator(tid("vault-name")).getByText("Acme").waitFor();
    await page.locator(tid("nav-settings")).click();
    expect(await page.getByLabel("Lock after this many minutes without activity").inputValue()).toBe("5");
  });
});
