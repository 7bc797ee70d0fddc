import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { openItem, renderApp } from "../test-utils";
import type { MockBackend } from "../lib/mock";

/** SESSION_SECRET (payments/dev) gets a provider expiry in 30 days. */
function withExpiry(b: MockBackend) {
  const it = b.items.find((i) => i.env === "payments/dev" && i.name === "SESSION_SECRET")!;
  it.versions.at(-1)!.expires_at = Math.floor(Date.now() / 1000) + 30 * 86400;
}

describe("rotate now with a provider expiry", () => {
  it("asks for the new value's expiry and stores it, never carrying the old one over", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", withExpiry);
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(pane).getByTestId("detail-rotate"));
    const dialog = await screen.findByTestId("rotate-dialog");
    expect(within(dialog).getByTestId("rotate-expiry")).toHaveTextContent("does not carry over");

    // No expiry given: refused next to the field, nothing sent.
    await user.click(within(dialog).getByTestId("rotate-submit"));
    expect(await within(dialog).findByTestId("rotate-expires-error")).toHaveTextContent("new value's expiry");
    expect(within(dialog).getByTestId("rotate-expires")).toHaveAttribute("aria-invalid", "true");
    expect(backend.calls.some((c) => c.cmd === "rotate_item")).toBe(false);

    await user.type(within(dialog).getByTestId("rotate-expires"), "2031-01-31");
    await user.click(within(dialog).getByTestId("rotate-submit"));
    await expect.poll(() => screen.queryByTestId("rotate-dialog")).toBeNull();
    const call = backend.calls.find((c) => c.cmd === "rotate_item")!;
    expect(call.args).toMatchObject({ expires: "2031-01-31", no_expiry: false });
    const it = backend.items.find((i) => i.env === "payments/dev" && i.name === "SESSION_SECRET")!;
    expect(it.versions.at(-1)!.expires_at).toBe(Date.UTC(2031, 0, 31) / 1000);
  });

  it("offers the common expiries as ISO dates one click away", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", withExpiry);
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(pane).getByTestId("detail-rotate"));
    const dialog = await screen.findByTestId("rotate-dialog");
    await user.click(within(dialog).getByRole("button", { name: "+90 days from today" }));
    const want = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    expect(within(dialog).getByTestId("rotate-expires")).toHaveValue(want);
    // The same field, checked the same way: no native date widget.
    expect(within(dialog).getByTestId("rotate-expires")).not.toHaveAttribute("type", "date");
    await user.click(within(dialog).getByTestId("rotate-submit"));
    await expect.poll(() => screen.queryByTestId("rotate-dialog")).toBeNull();
    expect(backend.calls.find((c) => c.cmd === "rotate_item")!.args).toMatchObject({ expires: want });
  });

  it("rotates with no expiry when the user says the new value has none", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", withExpiry);
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(pane).getByTestId("detail-rotate"));
    const dialog = await screen.findByTestId("rotate-dialog");
    await user.click(within(dialog).getByTestId("rotate-no-expiry"));
    await user.click(within(dialog).getByTestId("rotate-submit"));
    await expect.poll(() => screen.queryByTestId("rotate-dialog")).toBeNull();
    const it = backend.items.find((i) => i.env === "payments/dev" && i.name === "SESSION_SECRET")!;
    expect(it.versions.at(-1)!.expires_at).toBeNull();
  });

  it("asks nothing about expiry for a credential without one", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(pane).getByTestId("detail-rotate"));
    const dialog = await screen.findByTestId("rotate-dialog");
    expect(within(dialog).queryByTestId("rotate-expiry")).toBeNull();
  });
});
