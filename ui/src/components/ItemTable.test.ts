import { describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { openItem, renderApp, rowAction } from "../test-utils";
import { UNREADABLE_WHY } from "../lib/format";

const row = async (key: string) => {
  const rows = await screen.findAllByTestId("item-row");
  const r = rows.find((x) => x.dataset.item === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
};

/** The unlocked vault, where Grace's client wrote version 2 of the dev
 * API key under no key that opens. */
const withUnopenable = () =>
  renderApp("unlocked", (b) => {
    b.seedItem("payments/dev", "API_KEY", "dev-api-key-3f9a", 60, { notes: "Partner API" });
    b.unopenable("payments/dev", "API_KEY", "grace");
  });

describe("a credential whose current version does not open", () => {
  it("says so on its row, and its value is not shown as hidden dots", async () => {
    const user = userEvent.setup();
    withUnopenable();
    const row0 = await row("payments/dev/API_KEY");
    const chip = within(row0).getByTestId("unreadable");
    expect(chip).toHaveTextContent("Doesn't open");
    expect(chip).toHaveAttribute("title", UNREADABLE_WHY);
    expect(within(row0).getByRole("rowheader")).toHaveTextContent("API_KEY, Doesn't open");
    const r = await openItem(user, "payments/dev/API_KEY");
    expect(within(r).getByTestId("detail-unreadable")).toHaveTextContent(UNREADABLE_WHY);
    expect(within(r).queryByTestId("masked-value")).toBeNull();
    expect(within(r).getByTestId("unopened-value")).toHaveTextContent(UNREADABLE_WHY);
    // Reveal and Copy stay, and say why they will fail.
    expect(within(r).getByRole("button", { name: "Reveal API_KEY" })).toHaveAccessibleDescription(UNREADABLE_WHY);
    expect(within(r).getByRole("button", { name: "Copy API_KEY" })).toHaveAccessibleDescription(UNREADABLE_WHY);
    // The older version's notes still show; other rows have no chip.
    expect(r).toHaveTextContent("Partner API");
    expect(within(await row("payments/dev/SESSION_SECRET")).queryByTestId("unreadable")).toBeNull();
    const other = await openItem(user, "payments/dev/SESSION_SECRET");
    expect(within(other).getByTestId("masked-value")).toBeInTheDocument();
    expect(within(other).getByRole("button", { name: "Reveal SESSION_SECRET" })).not.toHaveAccessibleDescription();
  });

  it("fail: Reveal and Copy show the error naming the writer, as the app shows errors", async () => {
    const user = userEvent.setup();
    const { backend } = withUnopenable();
    const r = await openItem(user, "payments/dev/API_KEY");
    await user.click(within(r).getByRole("button", { name: "Reveal API_KEY" }));
    const err = await screen.findByRole("alert");
    expect(err).toHaveTextContent(
      "Version 2 of API_KEY in payments/dev, written by grace, does not open (their client wrote a value no key opens); set a new value, or restore an older version.",
    );
    expect(within(r).queryByTestId("revealed-value")).toBeNull();
    expect(within(r).getByRole("button", { name: "Reveal API_KEY" })).toHaveAttribute("aria-pressed", "false");
    await user.click(within(r).getByRole("button", { name: "Copy API_KEY" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("written by grace, does not open");
    expect(screen.queryByTestId("toast")).toBeNull();
    expect(backend.clipboard).toBeNull();
    expect(backend.log.filter((e) => e.summary.includes("API_KEY of payments/dev"))).toEqual([]);
  });

  it("a new value makes it readable again; keeping the current one is refused", async () => {
    const user = userEvent.setup();
    withUnopenable();
    await rowAction(user, "payments/dev/API_KEY", "Edit");
    const dlg = screen.getByTestId("item-dialog");
    expect(within(dlg).getByText("(required: the current value doesn't open)")).toBeInTheDocument();
    await user.click(within(dlg).getByRole("button", { name: "Save" }));
    expect(within(dlg).getByRole("alert")).toHaveTextContent("The current value doesn't open, so it cannot be kept");
    await user.type(within(dlg).getByTestId("item-value"), "dev-api-key-new");
    await user.click(within(dlg).getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Saved API_KEY (version 3).");
    await vi.waitFor(async () => expect(within(await row("payments/dev/API_KEY")).queryByTestId("unreadable")).toBeNull());
    const r = await openItem(user, "payments/dev/API_KEY");
    await user.click(within(r).getByRole("button", { name: "Reveal API_KEY" }));
    expect(await within(r).findByTestId("revealed-value")).toHaveTextContent("dev-api-key-new");
  });
});

