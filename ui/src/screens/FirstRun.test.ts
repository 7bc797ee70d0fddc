import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

describe("first run", () => {
  it("creates the identity, then the vault, and lands on the empty vault", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("empty");
    await user.type(await screen.findByLabelText("Name"), "Ada Lovelace");
    await user.type(screen.getByLabelText(/^Passphrase \(at least/), "velvet crane ambles under 9 moons");
    await waitFor(() => expect(screen.getByTestId("strength-meter").dataset.score).toBe("4"));
    expect(screen.getByTestId("strength-text")).toHaveTextContent("Very strong");
    await user.type(screen.getByLabelText("Confirm passphrase"), "velvet crane ambles under 9 moons");
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

  it("rates with Rust's policy and refuses a weak passphrase with the CLI's message", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("empty");
    await user.type(await screen.findByLabelText("Name"), "Ada Lovelace");
    const pw = screen.getByLabelText(/^Passphrase \(at least/);
    await user.type(pw, "correct horse battery staple");
    await waitFor(() => expect(screen.getByTestId("strength-text")).toHaveTextContent("published example passphrase"));
    expect(screen.getByTestId("strength-meter").dataset.score).toBe("1");
    expect(screen.getByTestId("strength-text")).toHaveTextContent("Weak");
    const rated = backend.calls.filter((c) => c.cmd === "rate_passphrase").at(-1)!.args as { name: string };
    expect(rated.name).toBe("Ada Lovelace");
    await user.type(screen.getByLabelText("Confirm passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Create identity" }));
    expect(screen.getByTestId("firstrun-problem")).toHaveTextContent(
      "The new passphrase is too weak (weak): It contains a published example passphrase, which attackers try first. Choose your own unrelated words.",
    );
    expect(backend.calls.some((c) => c.cmd === "create_identity")).toBe(false);
    await user.clear(pw);
    await user.type(pw, "short");
    expect(screen.getByTestId("firstrun-problem")).toHaveTextContent("The new passphrase must be at least 10 characters long.");
  });

  it("disables the keychain option when this build has no keychain", async () => {
    renderApp("empty", (b) => (b.keychainSupported = false));
    await waitFor(() => expect(screen.getByLabelText(/system keychain/)).toBeDisabled());
  });
});
