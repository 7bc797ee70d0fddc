import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";
import { mockFingerprint, mockPublicIdentity } from "../lib/mock";

describe("my identity", () => {
  it("the account button opens it: the public identity, the grouped fingerprint, Copy through Rust", async () => {
    const user = userEvent.setup();
    const { backend, app } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: /^My identity/ }));
    const panel = await screen.findByTestId("my-identity");
    const section = panel.closest("section")!;
    await waitFor(() => expect(section).toHaveFocus());
    const pub = within(panel).getByLabelText("Your public identity") as HTMLTextAreaElement;
    await waitFor(() => expect(pub.value).toBe(mockPublicIdentity("Ada Lovelace", "ada@example.com", "me-key")));
    expect(pub).toHaveAttribute("readonly");
    expect(panel).toHaveTextContent("Send this to your vault's owner or an admin");
    // One format: the same groups, hyphens and all, as `coffer identity show`.
    const fp = within(panel).getByTestId("my-fingerprint");
    expect(fp.textContent?.replace(/\s/g, "")).toBe(app.status!.identity!.fingerprint);
    expect(fp).toHaveAttribute("data-fingerprint", mockFingerprint("me-key"));
    expect(fp).toHaveAccessibleName(`Fingerprint ${mockFingerprint("me-key").split("-").join(" ")}`);

    await user.click(within(panel).getByRole("button", { name: "Copy public identity" }));
    expect(await within(panel).findByRole("status")).toHaveTextContent("Copied. It is public: it stays on the clipboard.");
    expect(backend.clipboard).toBe(pub.value);
    expect(backend.calls.some((c) => c.cmd === "copy_public_identity")).toBe(true);
  });

  it("is in Settings, and on the join screen while only the identity is unlocked", async () => {
    const user = userEvent.setup();
    renderApp("locked", (b) => (b.vaultName = null));
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    await user.click(await screen.findByLabelText("Join a team vault (shared folder or git)"));
    const panel = await screen.findByTestId("my-identity");
    await waitFor(() => expect((within(panel).getByTestId("my-public-identity") as HTMLTextAreaElement).value).toMatch(/^coffer1-/));
    await user.click(within(panel).getByRole("button", { name: "Copy public identity" }));
    expect(await within(panel).findByRole("status")).toHaveTextContent("Copied.");
  });
});
