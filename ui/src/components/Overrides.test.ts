import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { findRow, openItem, renderApp, selectIn } from "../test-utils";

const MINE = "postgres://localhost/ada-only";

/** A row that shows once the overrides are loaded (after the list). */
const laterRow = (key: string) => waitFor(() => findRow(key));

async function openMenu(user: ReturnType<typeof userEvent.setup>, key: string) {
  const name = key.split("/").pop()!;
  await user.click(within(await findRow(key)).getByRole("button", { name: `More actions for ${name}` }));
  return screen.findByRole("menu");
}

describe("personal overrides", () => {
  it("overrides a row for me (masked, generate allowed), badges it, says which value run uses, removes it", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    const key = "payments/dev/SESSION_SECRET";
    expect(within(await findRow(key)).queryByTestId("override-badge")).toBeNull();
    await user.click(within(await openMenu(user, key)).getByRole("menuitem", { name: "Override for me: SESSION_SECRET" }));
    const dialog = await screen.findByTestId("override-dialog");
    const field = within(dialog).getByLabelText("Your value");
    expect(field).toHaveAttribute("type", "password");
    // Empty: said, nothing sent.
    await user.click(within(dialog).getByTestId("override-save"));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Enter your value or generate one.");
    expect(backend.calls.some((c) => c.cmd === "set_override")).toBe(false);
    await user.click(within(dialog).getByTestId("override-generate"));
    await waitFor(() => expect((field as HTMLInputElement).value).toHaveLength(32));
    await user.clear(field);
    await user.type(field, MINE);
    await user.click(within(dialog).getByTestId("override-save"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Saved your override of SESSION_SECRET in payments/dev");
    expect(backend.overrides.get("payments/dev")?.get("SESSION_SECRET")).toBe(MINE);
    const badge = await within(await findRow(key)).findByTestId("override-badge");
    expect(badge).toHaveTextContent("Personal override");
    expect(document.body.textContent).not.toContain(MINE);

    // The pane: the shared value is what a reveal shows, and it says so.
    const pane = await openItem(user, key);
    expect(within(pane).getByTestId("detail-override-note")).toHaveTextContent("use your own value of SESSION_SECRET, not the shared value below");
    expect(within(pane).getByText("Shared value")).toBeInTheDocument();

    // Removed from the row's menu, after a confirmation.
    await user.click(within(await openMenu(user, key)).getByRole("menuitem", { name: "Remove my override of SESSION_SECRET" }));
    await user.click(within(await screen.findByTestId("confirm-dialog")).getByTestId("confirm-ok"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Removed your override of SESSION_SECRET in payments/dev.");
    await waitFor(async () => expect(within(await findRow(key)).queryByTestId("override-badge")).toBeNull());
    expect(backend.overrides.get("payments/dev")?.size).toBe(0);
  });

  it("lists a key only my overlay has, marked, with nothing to copy or reveal", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => b.overrides.set("payments/dev", new Map([["LOCAL_ONLY", "x-local-1"]])));
    const row = await laterRow("payments/dev/LOCAL_ONLY");
    expect(within(row).getByTestId("override-badge")).toHaveTextContent("Only yours");
    expect(within(row).queryByTestId("copy")).toBeNull();
    expect(within(row).queryByTestId("status-badge")).toBeNull();
    await user.click(within(row).getByRole("button", { name: "Show LOCAL_ONLY" }));
    const pane = await screen.findByTestId("override-detail");
    expect(pane).toHaveTextContent("payments/dev has no shared LOCAL_ONLY; coffer run and exports on your devices add it with your value");
    expect(pane.textContent).not.toContain("x-local-1");
    const menu = await openMenu(user, "payments/dev/LOCAL_ONLY");
    expect(within(menu).getAllByRole("menuitem").map((b) => b.textContent)).toEqual(["Show details", "Change my override…", "Remove my override"]);
  });

  it("search results carry the badge too, and the pane says which value run uses", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => b.overrides.set("payments/dev", new Map([["SESSION_SECRET", MINE]])));
    await laterRow("payments/dev/SESSION_SECRET");
    await user.type(screen.getByTestId("search"), "SESSION");
    const hit = await laterRow("payments/dev/SESSION_SECRET");
    await waitFor(() => expect(within(hit).getByTestId("override-badge")).toHaveTextContent("Personal override"));
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    expect(within(pane).getByTestId("detail-override-note")).toHaveTextContent("not the shared value below");
  });

  it("prod: the entry is disabled with the reason, and the vault refuses anyway", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("tab", { name: /prod/ }));
    const menu = await openMenu(user, "payments/prod/STRIPE_KEY");
    const entry = within(menu).getByTestId("override");
    expect(entry).toHaveAttribute("aria-disabled", "true");
    expect(entry).toHaveTextContent("Personal overrides are off in production environments (payments/prod) unless an owner or admin allows them.");
    await user.click(entry);
    expect(screen.queryByTestId("override-dialog")).toBeNull();
    await expect(backend.call("set_override", { env: "payments/prod", name: "STRIPE_KEY", value: "v" })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("forbids personal overrides"),
    });
  });

  it("an admin allows them in prod from the environment's menu; a member has no such entry", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("tab", { name: /prod/ }));
    await user.click(screen.getByRole("button", { name: "Actions for environment payments/prod" }));
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Personal overrides…" }));
    const dialog = await screen.findByTestId("policy-dialog");
    expect(await within(dialog).findByTestId("policy-now")).toHaveTextContent("Now: forbidden.");
    await selectIn(user, within(dialog).getByLabelText("Personal overrides"), "allow");
    await user.click(within(dialog).getByTestId("policy-save"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Personal overrides are allowed in payments/prod.");
    expect(backend.policies.get("payments/prod")).toBe("allow");
    const menu = await openMenu(user, "payments/prod/STRIPE_KEY");
    await waitFor(() => expect(within(menu).getByTestId("override")).not.toHaveAttribute("aria-disabled"));

    backend.manages = false;
    await expect(backend.call("set_env_policy", { env: "payments/prod", overrides: "forbid" })).rejects.toMatchObject({ code: "permission" });
  });

  it("the export dialog says which keys my overrides replace or add, before and after", async () => {
    const user = userEvent.setup();
    localStorage.clear();
    const { backend } = renderApp("unlocked", (b) =>
      b.overrides.set("payments/dev", new Map([["SESSION_SECRET", MINE], ["LOCAL_ONLY", "x-local-1"]])),
    );
    await laterRow("payments/dev/LOCAL_ONLY");
    await user.click(screen.getByRole("button", { name: "Export…" }));
    const dialog = await screen.findByTestId("export-dialog");
    expect(await within(dialog).findByTestId("export-overrides")).toHaveTextContent(
      "Your personal overrides apply: your own value of SESSION_SECRET; LOCAL_ONLY added (only in your overlay).",
    );
    await user.type(within(dialog).getByLabelText(/^File/), "/home/ada/dev.env");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent(
      "Exported 2 variables of payments/dev to /home/ada/dev.env (readable only by you). Your personal overrides replaced SESSION_SECRET and added LOCAL_ONLY.",
    );
    expect(backend.files.get("/home/ada/dev.env")?.content).toContain(MINE);
  });
});
