import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { findRow, renderApp } from "../test-utils";

describe("the environment's menu", () => {
  it("renames an environment: field error first, then the app follows it to its new name", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await findRow("payments/dev/SESSION_SECRET");
    const button = screen.getByRole("button", { name: "Actions for environment payments/dev" });
    button.focus();
    await user.keyboard("{ArrowDown}");
    const menu = await screen.findByRole("menu");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Check against an example file…" }));
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Personal overrides…" }));
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Rename environment…" }));
    await user.keyboard("{Enter}");
    const dialog = await screen.findByTestId("env-rename-dialog");
    const input = within(dialog).getByLabelText(/New project and environment/);
    // The name is selected: typing replaces it, the project stays.
    await user.keyboard("prod");
    expect(input).toHaveValue("payments/prod");
    await user.click(within(dialog).getByTestId("env-rename-submit"));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(/already exists/);
    expect(input).toHaveAttribute("aria-invalid", "true");
    await user.clear(input);
    await user.type(input, "payments/qa");
    await user.click(within(dialog).getByTestId("env-rename-submit"));
    expect(await screen.findByRole("tab", { name: /qa/, selected: true })).toBeInTheDocument();
    expect(await findRow("payments/qa/SESSION_SECRET")).toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: /^dev/ })).toBeNull();
    const envs = await backend.call("list_envs", null);
    expect(envs.map((e) => e.path)).toContain("payments/qa");
  });

  it("removes an environment after listing what goes", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await findRow("payments/dev/SESSION_SECRET");
    await user.click(screen.getByRole("button", { name: "Actions for environment payments/dev" }));
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Remove environment…" }));
    const dialog = await screen.findByTestId("env-remove-dialog");
    const list = await within(dialog).findByTestId("env-remove-list");
    expect(list).toHaveTextContent("SESSION_SECRET");
    // Cancel changes nothing.
    await user.click(within(dialog).getByTestId("confirm-cancel"));
    expect(screen.queryByTestId("env-remove-dialog")).toBeNull();
    expect((await backend.call("list_envs", null)).map((e) => e.path)).toContain("payments/dev");
    await user.click(screen.getByRole("button", { name: "Actions for environment payments/dev" }));
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Remove environment…" }));
    await user.click(await within(await screen.findByTestId("env-remove-dialog")).findByTestId("env-remove-confirm"));
    expect(await screen.findByText(/Removed payments\/dev/)).toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: /^dev/ })).toBeNull();
    expect((await backend.call("list_envs", null)).map((e) => e.path)).not.toContain("payments/dev");
  });
});
