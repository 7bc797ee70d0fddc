import { describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

const row = async (key: string) => {
  const rows = await screen.findAllByTestId("item-row");
  const r = rows.find((x) => x.dataset.item === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
};

describe("main", () => {
  it("lists a project's environments as tabs, values masked", async () => {
    renderApp("unlocked");
    const tabs = await screen.findAllByRole("tab");
    expect(tabs.map((t) => t.textContent?.trim().split(" ")[0])).toEqual(["dev", "staging", "prod"]);
    expect(within(await row("payments/dev/SESSION_SECRET")).getByTestId("masked-value")).toBeInTheDocument();
    expect(screen.getByTestId("rotation-badge")).toHaveTextContent("5");
  });

  it("moves between tabs with the arrow keys", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const [dev] = await screen.findAllByRole("tab");
    dev.focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { selected: true })).toHaveTextContent("staging");
    expect(document.activeElement).toBe(screen.getByRole("tab", { selected: true }));
  });

  it("reveals, re-masks after the timeout and on blur, copies in Rust", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { backend } = renderApp("unlocked");
    const r = await row("payments/dev/SESSION_SECRET");
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toHaveTextContent("dev-session-secret-0123456789");
    await vi.advanceTimersByTimeAsync(21_000);
    expect(within(r).queryByTestId("revealed-value")).toBeNull();
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    await within(r).findByTestId("revealed-value");
    window.dispatchEvent(new Event("blur"));
    await vi.waitFor(() => expect(within(r).queryByTestId("revealed-value")).toBeNull());
    await user.click(within(r).getByRole("button", { name: "Copy SESSION_SECRET" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Copied SESSION_SECRET. The clipboard is cleared in 30 s.");
    expect(backend.clipboard).toBe("dev-session-secret-0123456789");
    vi.useRealTimers();
  });

  it("never shows a revealed value on a row reused for another credential", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const r = await row("payments/dev/SESSION_SECRET");
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toBeInTheDocument();
    // The search results reuse the table's rows (ItemTable): the value
    // goes with its credential, not with the row element.
    await user.type(screen.getByRole("searchbox", { name: "Search all environments" }), "stripe");
    expect(screen.getByTestId("search-count")).toHaveTextContent("2 matches");
    expect(screen.queryByTestId("revealed-value")).toBeNull();
    expect(document.body.textContent).not.toContain("dev-session-secret");
    await user.clear(screen.getByRole("searchbox", { name: "Search all environments" }));
    expect(within(await row("payments/dev/SESSION_SECRET")).getByTestId("masked-value")).toBeInTheDocument();
  });

  it("searches across every environment as you type", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await screen.findAllByRole("tab");
    await user.type(screen.getByRole("searchbox", { name: "Search all environments" }), "stripe");
    expect(screen.getByTestId("search-count")).toHaveTextContent("2 matches");
    const keys = screen.getAllByTestId("item-row").map((r) => r.dataset.item);
    expect(keys).toEqual(["payments/prod/STRIPE_KEY", "payments/staging/STRIPE_KEY"]);
  });

  it("adds a credential with the generator, edits it, shows history, deletes it", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "API_TOKEN");
    await user.click(within(dlg).getByRole("button", { name: "Generate" }));
    expect((within(dlg).getByTestId("item-value") as HTMLInputElement).value).toHaveLength(32);
    expect(within(dlg).getByTestId("item-value")).toHaveAttribute("type", "password");
    await user.type(within(dlg).getByLabelText("Notes"), "for the CI");
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Added API_TOKEN to payments/dev.");
    const r = await row("payments/dev/API_TOKEN");
    expect(r).toHaveTextContent("for the CI");

    await user.click(within(r).getByRole("button", { name: "Edit API_TOKEN" }));
    const edit = screen.getByTestId("item-dialog");
    await user.clear(within(edit).getByLabelText("Notes"));
    await user.type(within(edit).getByLabelText("Notes"), "rotate monthly");
    await user.click(within(edit).getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Saved API_TOKEN (version 2).");

    await user.click(within(await row("payments/dev/API_TOKEN")).getByRole("button", { name: "History of API_TOKEN" }));
    expect(await screen.findAllByTestId("history-entry")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Close" }));

    await user.click(within(await row("payments/dev/API_TOKEN")).getByRole("button", { name: "Delete API_TOKEN" }));
    await user.click(screen.getByRole("button", { name: "Delete" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Deleted API_TOKEN from payments/dev.");
    expect(backend.items.find((i) => i.name === "API_TOKEN")?.deleted).toBe(true);
  });

  it("warns on a row whose name decides what code runs, with the reason", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "NODE_OPTIONS");
    await user.type(within(dlg).getByTestId("item-value"), "--require ./evil.js");
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    const warn = within(await row("payments/dev/NODE_OPTIONS")).getByTestId("dangerous-var");
    expect(warn).toHaveAccessibleName("Warning: NODE_OPTIONS decides what code runs");
    expect(warn.getAttribute("title")).toMatch(/^Decides what code runs: node takes command-line options from it .*refuse it unless allowed by name\.$/);
    // An ordinary name has no warning.
    expect(within(await row("payments/dev/SESSION_SECRET")).queryByTestId("dangerous-var")).toBeNull();
  });

  it("shows a refused input as the vault's sentence", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Environment" }));
    await user.type(screen.getByLabelText(/Project and environment/), "/oops");
    await user.click(screen.getByRole("button", { name: "Add environment" }));
    expect(await within(screen.getByTestId("env-dialog")).findByRole("alert")).toHaveTextContent(
      "'payments//oops' is not PROJECT/ENV",
    );
  });

  it("locks", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Lock" }));
    expect(await screen.findByRole("heading", { name: "Unlock Coffer" })).toBeInTheDocument();
  });
});
