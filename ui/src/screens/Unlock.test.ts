import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/svelte";
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

  it("warms the list once, out of sight, screen readers and focus, and leaves nothing behind", async () => {
    renderApp("locked");
    const warm = await screen.findByTestId("prewarm", undefined, { timeout: 2000 }).catch(() => null);
    // It may already be gone; when seen, it is hidden and inert.
    if (warm) {
      expect(warm).toHaveAttribute("aria-hidden", "true");
      expect(warm.hasAttribute("inert")).toBe(true);
      expect(screen.queryByRole("row", { name: /SAMPLE_NAME/ })).toBeNull();
    }
    await waitFor(() => expect(screen.queryByTestId("prewarm")).toBeNull());
    expect(document.body.textContent).not.toContain("SAMPLE_NAME");
    expect(screen.getByLabelText("Passphrase")).toBeInTheDocument();
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
    renderApp("locked", (b) => {
      b.identity!.keychain = true;
      b.settings.keychain_at_start = false;
    });
    await user.click(await screen.findByRole("button", { name: "Unlock with keychain" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
  });

  it("opens from the keychain at start when it has a slot and the setting is on", async () => {
    renderApp("locked", (b) => (b.identity!.keychain = true));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
  });

  it("says when the keychain no longer opens, and the passphrase still works", async () => {
    const user = userEvent.setup();
    renderApp("locked", (b) => {
      b.identity!.keychain = true;
      b.keychainBroken = true;
    });
    expect(await screen.findByTestId("keychain-problem")).toHaveTextContent(
      "Coffer could not open with the system keychain: the keychain entry no longer opens your identity (it was changed); use your passphrase.",
    );
    await user.type(screen.getByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
  });

  it("shows failed attempts and the back-off even when the keychain is used", async () => {
    renderApp("locked", (b) => {
      b.identity!.keychain = true;
      b.settings.keychain_at_start = false;
      b.failures = 4;
      b.lastFailure = Date.now();
    });
    expect(await screen.findByTestId("unlock-failed-attempts")).toHaveTextContent(
      "4 failed passphrase attempts since the last passphrase unlock (unlocking with the keychain does not reset this).",
    );
    expect(screen.getByTestId("unlock-backoff")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Unlock with keychain" })).toBeEnabled();
  });

  it("says why Rust locked the session", async () => {
    const { backend } = renderApp("unlocked");
    await screen.findByTestId("vault-name");
    backend.lockBySystem("screen_locked");
    expect(await screen.findByTestId("lock-reason")).toHaveTextContent("Locked because the screen locked.");
    expect(screen.queryByTestId("vault-name")).not.toBeInTheDocument();
  });

  it("says the vault file was refused when the live refresh locked the app", async () => {
    const { backend } = renderApp("unlocked");
    await screen.findByTestId("vault-name");
    backend.refuseVaultFile("the vault file is an older copy than this device wrote");
    const why = await screen.findByTestId("lock-reason");
    expect(why).toHaveAttribute("role", "alert");
    expect(why).toHaveTextContent(
      "Coffer locked: the vault file was changed outside Coffer and no longer checks out. " +
        "The vault file is an older copy than this device wrote. Nothing from it is shown until it opens again.",
    );
    expect(screen.getByTestId("lock-detail")).toHaveTextContent("The vault file is an older copy than this device wrote.");
    expect(screen.queryByTestId("vault-name")).not.toBeInTheDocument();
  });
});

describe("a replica that no longer opens", () => {
  it("offers to rebuild it from the sync folder, and says what was kept", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("locked", (b) => {
      b.replicaBroken = true;
      b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" };
    });
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByTestId("unlock-error")).toHaveTextContent("changed outside this device");
    await user.click(screen.getByRole("button", { name: "Rebuild from the sync folder" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
    expect(await screen.findByTestId("toast")).toHaveTextContent("Rebuilt from the sync folder; 2 offline changes were kept.");
    expect(backend.calls.filter((c) => c.cmd === "rebuild_vault")).toHaveLength(1);
  });

  it("does not offer it for other failures", async () => {
    const user = userEvent.setup();
    renderApp("locked");
    await user.type(await screen.findByLabelText("Passphrase"), "not the passphrase");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    await screen.findByTestId("unlock-error");
    expect(screen.queryByTestId("unlock-rebuild")).toBeNull();
  });
});
