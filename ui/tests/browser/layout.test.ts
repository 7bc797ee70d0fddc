// The main window's layout at the smallest, default and a wide width, light
// and dark (issue 13): a revealed value never makes anything scroll
// sideways (it wraps in the detail pane), every action is reachable by the
// keyboard, toasts float over the page instead of pushing it, dialogs keep
// their buttons in view with errors under their field, "+ Environment"
// types after the project, and unlocking lands where the user was.
// Screenshots go to .cache/browser-shots/ (looked at when screens change).
import { describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { browserSuite, openItem } from "./harness";

const openPage = browserSuite();
const tid = (id: string) => `[data-testid="${id}"]`;
const row = (key: string) => `[data-testid="item-row"][data-item="${key}"]`;
const SHOTS = join(import.meta.dirname, "../../../.cache/browser-shots");
const WIDTHS = [760, 1120, 1440];
const HEIGHT = 740;
// A value with no place to break (a token) and a long URL.
const TOKEN = "tok_" + "Zx9Qw3Er5Ty7Ui1Op0As2Df4Gh6Jk8Lz".repeat(12);
const DSN = `postgres://payments_app:${"S3cr3t-".repeat(16)}@db-primary.internal.example.com:5432/payments?sslmode=verify-full&application_name=payments-api`;

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(SHOTS, name) });
}

/** Nothing scrolls sideways: the page, and every scrolling box in it. */
async function noSidewaysScroll(page: Page, what: string) {
  const over = await page.evaluate(() => {
    const bad: string[] = [];
    const de = document.documentElement;
    if (de.scrollWidth > de.clientWidth) bad.push(`page ${de.scrollWidth} > ${de.clientWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>("main, main *")) {
      const s = getComputedStyle(el);
      if ((s.overflowX === "auto" || s.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1) {
        bad.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return bad;
  });
  expect(over, `${what}: scrolls sideways`).toEqual([]);
}

async function addCredential(page: Page, name: string, value: string) {
  await page.locator(tid("add-item")).click();
  await page.locator(tid("item-name")).fill(name);
  await page.locator(tid("item-value")).fill(value);
  await page.locator(tid("item-save")).click();
  await page.locator(tid("item-dialog")).waitFor({ state: "detached" });
  await page.locator(row(`payments/prod/${name}`)).waitFor();
}

async function start(width: number, scheme: "light" | "dark") {
  const { page } = await openPage("unlocked", scheme);
  await page.setViewportSize({ width, height: HEIGHT });
  await page.locator(tid("env-tab-payments/prod")).click();
  return page;
}

describe("the credentials list and detail pane", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const width of WIDTHS) {
      it(`a revealed value wraps in the pane, nothing scrolls sideways, at ${width} px, ${scheme}`, async () => {
        const page = await start(width, scheme);
        await addCredential(page, "PARTNER_TOKEN", TOKEN);
        await addCredential(page, "REPLICA_URL", DSN);
        await noSidewaysScroll(page, "the list");
        await shot(page, `list-${width}-${scheme}.png`);

        for (const [name, value] of [["PARTNER_TOKEN", TOKEN], ["REPLICA_URL", DSN], ["STRIPE_KEY", "sk_live_51H8xQ2eZvKYlo2C"]]) {
          const pane = await openItem(page, `payments/prod/${name}`);
          await pane.locator(tid("reveal")).click();
          const shown = pane.locator(tid("revealed-value"));
          await shown.waitFor();
          // The whole value, not cut with an ellipsis.
          expect(await shown.evaluate((el) => el.textContent)).toBe(value);
          await noSidewaysScroll(page, `${name} revealed`);
          const box = await pane.boundingBox();
          expect(box!.x + box!.width).toBeLessThanOrEqual(width);
          if (name === "PARTNER_TOKEN") await shot(page, `detail-revealed-${width}-${scheme}.png`);
          // Narrow, the pane stands in for the list: back to it for the next.
          if (width === 760 && name !== "STRIPE_KEY") await page.locator(tid("detail-back")).click();
        }
        // In a narrow window the pane stands in for the list; "back" returns.
        const list = page.locator(tid("list-col"));
        if (width === 760) {
          expect(await list.isVisible()).toBe(false);
          await page.locator(tid("detail-back")).click();
          await list.waitFor();
          await expect.poll(() => page.evaluate(() => document.activeElement?.closest("tr")?.dataset.item)).toBe("payments/prod/STRIPE_KEY");
          expect(await page.locator(tid("revealed-value")).count()).toBe(0);
        } else {
          expect(await list.isVisible()).toBe(true);
        }
        // The row menu opens inside the window.
        await page.locator(`${row("payments/prod/WEBHOOK_SECRET")} ${tid("more")}`).click();
        const menu = page.locator(tid("row-menu"));
        const m = await menu.boundingBox();
        expect(m!.x).toBeGreaterThanOrEqual(0);
        expect(m!.x + m!.width).toBeLessThanOrEqual(width);
        expect(m!.y + m!.height).toBeLessThanOrEqual(HEIGHT);
        await shot(page, `row-menu-${width}-${scheme}.png`);
        await page.keyboard.press("Escape");
        await menu.waitFor({ state: "detached" });
      });
    }
  }

  for (const width of WIDTHS) {
    it(`every action is reachable by the keyboard at ${width} px`, async () => {
      const page = await start(width, "light");
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.tagName);
      const focusedRow = () => page.evaluate(() => document.activeElement?.closest("tr")?.dataset.item);
      /** Tabs (forwards) until `test` holds, at most `max` times. */
      async function tabTo(test: () => Promise<boolean>, what: string, max = 40) {
        for (let i = 0; i < max; i++) {
          if (await test()) return;
          await page.keyboard.press("Tab");
        }
        throw new Error(`Tab never reached ${what}`);
      }
      await page.locator(tid("search")).focus();
      // The first row's name: Enter opens it in the pane.
      await tabTo(async () => (await focused()) === "open", "a row");
      const key = await focusedRow();
      await page.keyboard.press("Enter");
      const pane = page.locator(`${tid("detail-pane")}[data-item="${key}"]`);
      await pane.waitFor();
      // Then Tab reaches every button of the pane: Reveal shows the value.
      if (width === 760) expect(await focused()).toBe("detail-name");
      const reached = new Set<string>();
      await tabTo(async () => {
        const f = await focused();
        if (f) reached.add(f);
        return f === "reveal";
      }, "Reveal");
      await page.keyboard.press("Enter");
      await pane.locator(tid("revealed-value")).waitFor();
      await tabTo(async () => {
        const f = await focused();
        if (f) reached.add(f);
        return f === "detail-history";
      }, "All versions");
      for (const b of ["detail-edit", "detail-rotate", "detail-share", "detail-delete", "reveal", "copy", "detail-history"]) expect(reached).toContain(b);
      if (width === 760) {
        await page.locator(tid("detail-back")).focus();
        await page.keyboard.press("Enter");
        await expect.poll(focusedRow).toBe(key);
      }
      // The row's Copy and ⋯: the menu by arrows, Escape gives focus back.
      await page.locator(`${row(key!)} ${tid("open")}`).focus();
      await page.keyboard.press("Tab");
      expect(await focused()).toBe("copy");
      await page.keyboard.press("Tab");
      expect(await focused()).toBe("more");
      await page.keyboard.press("Enter");
      await expect.poll(focused).toBe("menu-open");
      // "Override for me…" is there (disabled in prod, with its reason:
      // a disabled menu entry stays focusable, as WAI-ARIA's menu pattern has it).
      for (const entry of ["edit", "history", "share", "override", "delete"]) {
        await page.keyboard.press("ArrowDown");
        expect(await focused()).toBe(entry);
      }
      await page.keyboard.press("Escape");
      await page.locator(tid("row-menu")).waitFor({ state: "detached" });
      expect(await focused()).toBe("more");
      // ⋯ → Share… by keyboard opens its dialog; Escape returns to ⋯.
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("End");
      await page.keyboard.press("ArrowUp");
      expect(await focused()).toBe("override");
      await page.keyboard.press("ArrowUp");
      expect(await focused()).toBe("share");
      await page.keyboard.press("Enter");
      await page.locator(tid("share-dialog")).waitFor();
      await page.keyboard.press("Escape");
      await page.locator(tid("share-dialog")).waitFor({ state: "detached" });
      expect(await focused()).toBe("more");
    });
  }
});

describe("toasts", () => {
  for (const scheme of ["light", "dark"] as const) {
    it(`float over the page, are announced, and do not move anything, ${scheme}`, async () => {
      const page = await start(1120, scheme);
      const first = page.locator(row("payments/prod/DATABASE_URL"));
      const before = await first.boundingBox();
      const heading = await page.locator("main h1").boundingBox();
      await page.locator(`${row("payments/prod/STRIPE_KEY")} ${tid("copy")}`).click();
      const toast = page.locator(tid("toast"));
      await toast.waitFor();
      expect(await toast.textContent()).toContain("Copied STRIPE_KEY");
      // In a live region that was there before it (so it is announced).
      expect(await toast.evaluate((el) => el.parentElement?.getAttribute("role"))).toBe("status");
      expect(await first.boundingBox()).toEqual(before);
      expect(await page.locator("main h1").boundingBox()).toEqual(heading);
      expect(await toast.evaluate((el) => getComputedStyle(el.closest('[data-testid="toasts"]')!).position)).toBe("fixed");
      await shot(page, `toast-1120-${scheme}.png`);
      // An error stays until dismissed, and never follows to another screen.
      await page.locator(tid("add-env")).click();
      await page.locator(tid("env-path")).fill("payments/prod");
      await page.locator(tid("env-submit")).click();
      await page.locator(`${tid("env-dialog")} [role=alert]`).waitFor();
      await page.keyboard.press("Escape");
      const pane = await openItem(page, "payments/prod/STRIPE_KEY");
      expect(await pane.isVisible()).toBe(true);
      await page.locator(tid("nav-members")).click();
      expect(await page.locator(tid("error")).count()).toBe(0);
    });
  }
});

describe("dialogs", () => {
  for (const scheme of ["light", "dark"] as const) {
    it(`scroll their body, keep the buttons in view, and put an error under its field, ${scheme}`, async () => {
      const { page } = await openPage("unlocked", scheme);
      await page.setViewportSize({ width: 760, height: 520 });
      await page.locator(tid("add-item")).click();
      const dlg = page.locator(tid("item-dialog"));
      await page.locator(tid("item-name")).fill("9LIVES");
      await page.locator(tid("item-value")).fill("x");
      await page.locator(tid("item-notes")).fill("Line\n".repeat(12));
      await page.locator(tid("item-save")).click();
      const err = dlg.locator("#it-name-error");
      await err.waitFor();
      expect(await err.textContent()).toMatch(/^Invalid key '9LIVES'/);
      expect(await page.locator(tid("item-name")).getAttribute("aria-describedby")).toBe("it-name-error");
      expect(await page.locator(tid("item-name")).evaluate((el) => el === document.activeElement)).toBe(true);
      // Directly under the name field, above the value's.
      const [n, e, v] = await Promise.all([page.locator(tid("item-name")).boundingBox(), err.boundingBox(), page.locator(tid("item-value")).boundingBox()]);
      expect(e!.y).toBeGreaterThan(n!.y);
      expect(e!.y).toBeLessThan(v!.y);
      // The dialog fits the window and scrolls; its buttons stay visible.
      const d = await dlg.boundingBox();
      expect(d!.y + d!.height).toBeLessThanOrEqual(520);
      expect(await dlg.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
      for (const at of ["top", "bottom"] as const) {
        await dlg.evaluate((el, at) => (el.scrollTop = at === "top" ? 0 : el.scrollHeight), at);
        const save = await page.locator(tid("item-save")).boundingBox();
        expect(save!.y + save!.height, `Save visible, scrolled to the ${at}`).toBeLessThanOrEqual(520);
        expect(save!.y).toBeGreaterThanOrEqual(d!.y);
      }
      await shot(page, `item-dialog-error-760x520-${scheme}.png`);
      // A bad rotation period goes under its own field.
      await page.locator(tid("item-name")).fill("LIVES");
      await page.locator(tid("item-rotate")).fill("soon");
      await page.locator(tid("item-save")).click();
      await dlg.locator("#it-rotate-error").waitFor();
      expect(await dlg.locator("#it-name-error").count()).toBe(0);
    });
  }
});

describe("+ Environment", () => {
  it("types after the current project: dev gives payments/dev", async () => {
    const { page } = await openPage("unlocked");
    await page.locator(tid("add-env")).click();
    const input = page.locator(tid("env-path"));
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await input.inputValue()).toBe("payments/");
    await page.keyboard.type("qa");
    expect(await input.inputValue()).toBe("payments/qa");
    await page.keyboard.press("Enter");
    await page.locator(tid("env-tab-payments/qa")).waitFor();
  });
});

describe("unlock", () => {
  it("lands on the project and environment the user was on", async () => {
    const { page } = await openPage("unlocked");
    await page.locator(tid("project-web")).click();
    await page.locator(tid("env-tab-web/prod")).waitFor();
    await page.keyboard.press("Control+l");
    await page.getByLabel("Passphrase").fill("correct horse battery staple");
    await page.getByLabel("Passphrase").press("Enter");
    await page.locator(tid("env-tab-web/prod")).waitFor();
    expect(await page.locator(tid("env-tab-web/prod")).getAttribute("aria-selected")).toBe("true");
    expect(await page.locator("main h1").textContent()).toBe("web");
  });
});

describe("rotation dashboard and its 90-day timeline", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const width of WIDTHS) {
      it(`fits at ${width} px, ${scheme}: every Rotate button on screen, nothing cut`, async () => {
        const { page } = await openPage("unlocked", scheme);
        await page.setViewportSize({ width, height: HEIGHT });
        await page.locator(tid("nav-rotation")).click();
        await page.locator(tid("rotation-timeline")).waitFor();
        await noSidewaysScroll(page, "rotation");
        const cut = await page.evaluate(() => {
          const bad: string[] = [];
          const view = document.querySelector<HTMLElement>('[data-testid="rotation-view"]')!;
          if (view.scrollWidth > view.clientWidth + 1) bad.push(`view ${view.scrollWidth} > ${view.clientWidth}`);
          for (const b of document.querySelectorAll<HTMLElement>('[data-testid="rotation-view"] button')) {
            const r = b.getBoundingClientRect();
            if (r.right > window.innerWidth) bad.push(`${b.getAttribute("aria-label")} ends at ${r.right}`);
          }
          // Axis dates do not overlap one another.
          const labels = [...document.querySelectorAll<HTMLElement>(".tick-label")].map((l) => l.getBoundingClientRect());
          for (let i = 1; i < labels.length; i++) if (labels[i].left < labels[i - 1].right) bad.push(`axis label ${i} overlaps`);
          return bad;
        });
        expect(cut).toEqual([]);
        await shot(page, `rotation-${width}-${scheme}.png`);
      });
    }
  }
});
