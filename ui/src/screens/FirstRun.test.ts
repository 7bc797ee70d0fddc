import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

describe("first run", () => {
  it("creates the identity, then the vault, and lands on the empty vault", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("empty");
    await user.type(await screen.findByLabelText("Name"), "Ada Lovelace");
    await user.type(screen.getByLabelText(/^Passphrase \(at least/), "correct horse battery staple");
    expect(screen.getByTestId("strength-meter").dataset.score).toBe("4");
    await user.type(screen.getByLabelText("Confirm passphrase"), "correct horse battery staple");
    await user.click(screen.getByLabelText(/system keychain/));
    await user.click(screen.getByRole("button", { name: "Create identity" }));
    await user.type(await screen.findByLabelText("Team name"), "Acme");
    await user.click(screen.getByRole("button", { name: "Create vault" }));
    expect(await screen.findByTestId("empty-vault")).toBeInTheDocument();
    expect(backend.identity?.keychain).toBe(true);
    const create = backend.calls.find((c) => c.cmd === "create_identity")!.args as { enable_keychain: boolean };
    expect(create.enable_keychain).toBe(true);
  });

  it("shows what is wrong instead of submitting", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("empty");
    await user.type(await screen.findByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText(/^Passphrase \(at least/), "correct horse battery");
    await user.type(screen.getByLabelText("Confirm passphrase"), "correct horse batterY");
    await user.click(screen.getByRole("button", { name: "Create identity" }));
    expect(screen.getByTestId("firstrun-problem")).toHaveTextContent("The two passphrases differ.");
    expect(screen.getByLabelText("Confirm passphrase")).toHaveAttribute("aria-invalid", "true");
    expect(backend.calls.some((c) => c.cmd === "create_identity")).toBe(false);
  });

  it("disables the keychain option when this build has no keychain", async () => {
    renderApp("empty", (b) => (b.keychainSupported = false));
    await waitFor(() => expect(screen.getByLabelText(/system keychain/)).toBeDisabled());
  });
});
