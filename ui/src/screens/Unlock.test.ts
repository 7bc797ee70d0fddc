import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

describe("unlock", () => {
  it("shows a wrong passphrase as a sentence, then unlocks", async () => {
    const user = userEvent.setup();
    renderApp("locked");
    await user.type(await screen.findByLabelText("Passphrase"), "nope");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByTestId("unlock-error")).toHaveTextContent(
      "Wrong passphrase (or the identity file was modified).",
    );
    await user.clear(screen.getByLabelText("Passphrase"));
    await user.type(screen.getByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByRole("heading", { name: "payments" })).toBeInTheDocument();
  });

  it("shows the back-off and disables the button", async () => {
    const user = userEvent.setup();
    renderApp("locked", (b) => {
      b.failures = 5;
      b.lastFailure = Date.now();
    });
    await user.type(await screen.findByLabelText("Passphrase"), "whatever");
    expect(screen.getByTestId("unlock-backoff")).toHaveTextContent(/try your passphrase again in \d+ s/);
    expect(screen.getByRole("button", { name: "Unlock" })).toBeDisabled();
  });

  it("offers the keychain when it is enabled", async () => {
    const user = userEvent.setup();
    renderApp("locked", (b) => (b.identity!.keychain = true));
    await user.click(await screen.findByRole("button", { name: "Unlock with keychain" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
  });
});
