import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

async function openSettings(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole("button", { name: "Settings" }));
  return screen.findByTestId("settings");
}

describe("settings", () => {
  afterEach(() => vi.useRealTimers());

  it("shows the current settings and saves changes in Rust's ranges", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await openSettings(user);
    const autolock = screen.getByLabelText("Lock after this many minutes without activity");
    expect(autolock).toHaveValue(10);
    expect(screen.getByLabelText("Clear a copied value from the clipboard after (seconds)")).toHaveValue(30);
    expect(screen.getByLabelText("Show credentials as due soon this many days ahead")).toHaveValue(14);
    expect(screen.getByLabelText(/Lock when the screen locks/)).toBeChecked();

    await user.clear(autolock);
    await user.type(autolock, "3");
    await user.clear(screen.getByLabelText(/Clear a copied value/));
    await user.type(screen.getByLabelText(/Clear a copied value/), "45");
    await user.click(screen.getByLabelText(/Lock when the screen locks/));
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Settings saved.");
    expect(backend.settings).toMatchObject({ auto_lock_minutes: 3, clipboard_clear_secs: 45, lock_on_screen_lock: false });
  });

  it("shows an out-of-range value as Rust's sentence and an empty one as a hint", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await openSettings(user);
    const autolock = screen.getByLabelText("Lock after this many minutes without activity");
    await user.clear(autolock);
    await user.type(autolock, "500");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByTestId("settings-error")).toHaveTextContent(
      "The auto-lock time must be 1 to 240 minutes (got 500).",
    );
    await user.clear(autolock);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByTestId("settings-error")).toHaveTextContent(
      "Enter the auto-lock time as a whole number of minutes (1 to 240).",
    );
    expect(backend.settings.auto_lock_minutes).toBe(10);
  });

  it("turns keychain unlock on and off, with its status", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await openSettings(user);
    expect(screen.getByTestId("keychain-state")).toHaveTextContent("Off.");
    await user.click(screen.getByRole("button", { name: "Turn on keychain unlock" }));
    expect(await screen.findByTestId("keychain-state")).toHaveTextContent("On. The system keychain opens Coffer");
    expect(backend.identity!.keychain).toBe(true);
    await user.click(screen.getByRole("button", { name: "Turn off keychain unlock" }));
    expect(await screen.findByTestId("keychain-state")).toHaveTextContent("Off.");
  });

  it("says clearly when no keychain is reachable", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.handlers.keychain_enable = () => {
        throw Object.assign(new Error(), {
          code: "keychain",
          message: "keychain unlock could not be enabled: the OS keychain is unavailable: no Secret Service reachable over D-Bus",
        });
      };
    });
    await openSettings(user);
    await user.click(screen.getByRole("button", { name: "Turn on keychain unlock" }));
    expect(await screen.findByTestId("keychain-error")).toHaveTextContent(
      "Keychain unlock could not be enabled: the OS keychain is unavailable: no Secret Service reachable over D-Bus.",
    );
  });

  it("offers a repair when the keychain entry no longer opens", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.identity!.keychain = true;
      b.keychainBroken = true;
    });
    await openSettings(user);
    expect(screen.getByTestId("keychain-state")).toHaveTextContent("no longer opens your identity");
    await user.click(screen.getByRole("button", { name: "Repair keychain unlock" }));
    expect(await screen.findByTestId("keychain-state")).toHaveTextContent("On. The system keychain opens Coffer");
  });

  it("changes the passphrase with a strength meter and confirmation", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await openSettings(user);
    await user.click(screen.getByRole("button", { name: "Change passphrase…" }));
    const dlg = within(await screen.findByTestId("password-dialog"));
    await user.type(dlg.getByLabelText("Current passphrase"), "correct horse battery staple");
    await user.type(dlg.getByLabelText(/^New passphrase/), "short");
    await user.type(dlg.getByLabelText("Confirm the new passphrase"), "short");
    await user.click(dlg.getByRole("button", { name: "Change passphrase" }));
    // Each problem beside its field, the field marked and focused.
    expect(dlg.getByTestId("pw-new-error")).toHaveTextContent("The new passphrase must be at least 10 characters long.");
    expect(dlg.getByLabelText(/^New passphrase/)).toHaveAttribute("aria-invalid", "true");
    expect(dlg.getByLabelText(/^New passphrase/)).toHaveFocus();
    await user.clear(dlg.getByLabelText(/^New passphrase/));
    await user.type(dlg.getByLabelText(/^New passphrase/), "purple elephant marmalade 42");
    await waitFor(() => expect(dlg.getByTestId("strength-meter").dataset.score).toBe("4"));
    await user.click(dlg.getByRole("button", { name: "Change passphrase" }));
    expect(dlg.getByTestId("pw-confirm-error")).toHaveTextContent("The two new passphrases differ.");
    expect(dlg.queryByTestId("pw-new-error")).toBeNull();
    expect(dlg.getByLabelText("Confirm the new passphrase")).toHaveAttribute("aria-describedby", "pw-confirm-error");
    await user.clear(dlg.getByLabelText("Confirm the new passphrase"));
    await user.type(dlg.getByLabelText("Confirm the new passphrase"), "purple elephant marmalade 42");
    await user.click(dlg.getByRole("button", { name: "Change passphrase" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Your passphrase was changed.");
    expect(backend.identity!.password).toBe("purple elephant marmalade 42");
  });

  it("a wrong current passphrase counts as a failed attempt and says so", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await openSettings(user);
    await user.click(screen.getByRole("button", { name: "Change passphrase…" }));
    const dlg = within(await screen.findByTestId("password-dialog"));
    await user.type(dlg.getByLabelText("Current passphrase"), "not it");
    await user.type(dlg.getByLabelText(/^New passphrase/), "purple elephant marmalade 42");
    await user.type(dlg.getByLabelText("Confirm the new passphrase"), "purple elephant marmalade 42");
    await user.click(dlg.getByRole("button", { name: "Change passphrase" }));
    expect(await dlg.findByTestId("pw-current-error")).toHaveTextContent(
      "The current passphrase is wrong; this counts as a failed unlock attempt (1 in a row; after 3 the unlock backs off).",
    );
    expect(dlg.getByLabelText("Current passphrase")).toHaveAttribute("aria-invalid", "true");
    expect(dlg.queryByTestId("pw-error")).toBeNull();
    expect(backend.failures).toBe(1);
  });

  it("shows the KDF parameters and vault path read-only", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => (b.kdf = { ...b.kdf, memory_mib: 19, iterations: 2, meets_policy: false, pinned: true }));
    await openSettings(user);
    expect(await screen.findByTestId("kdf-params")).toHaveTextContent("19 MiB memory, 2 iterations, parallelism 1");
    expect(screen.getByTestId("kdf-policy")).toHaveTextContent("Below the policy (at least 64 MiB, 3 iterations): chosen explicitly, so kept.");
    expect(screen.getByTestId("vault-path")).toHaveTextContent("vault.coffer");
  });
});

describe("locking", () => {
  afterEach(() => vi.useRealTimers());

  it("Ctrl+L locks, announced on the button", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const btn = await screen.findByRole("button", { name: "Lock" });
    expect(btn).toHaveAttribute("aria-keyshortcuts", "Control+L");
    await user.keyboard("{Control>}l{/Control}");
    expect(await screen.findByTestId("lock-reason")).toHaveTextContent("Locked.");
  });

  it("auto-locks after the setting's minutes without activity, and says so", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderApp("unlocked", (b) => (b.settings.auto_lock_minutes = 2));
    await screen.findByTestId("vault-name");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(screen.getByTestId("vault-name")).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(62_000);
    expect(await screen.findByTestId("lock-reason")).toHaveTextContent("Locked after 2 minutes without activity.");
  });

  it("activity reports to the backend and keeps the session open", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { backend } = renderApp("unlocked", (b) => (b.settings.auto_lock_minutes = 1));
    await screen.findByTestId("vault-name");
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(20_000);
      await user.keyboard("{Shift}");
    }
    expect(screen.getByTestId("vault-name")).toBeInTheDocument();
    expect(backend.calls.filter((c) => c.cmd === "touch_session").length).toBeGreaterThan(0);
  });
});
