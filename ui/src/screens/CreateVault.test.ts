import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

describe("create or open a vault", () => {
  it("says the vault file is missing on unlock, then opens it where it is now", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("missing");
    expect(await screen.findByTestId("unlock-vault-missing")).toHaveTextContent(
      "There is no vault file at /home/ada/.local/share/coffer/vault.coffer (not created yet, or moved or deleted).",
    );
    await user.type(screen.getByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByRole("heading", { name: "Create a vault, or join your team’s" })).toBeInTheDocument();

    await user.click(screen.getByLabelText("Open an existing vault file"));
    const path = screen.getByLabelText(/Vault file/);
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("Enter the full path of the vault file");

    await user.type(path, "team/acme.coffer");
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("Team/acme.coffer is not a full path");

    await user.clear(path);
    await user.type(path, "/home/ada/notes.txt");
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("/home/ada/notes.txt is not a Coffer vault file (or it is damaged).");

    await user.clear(path);
    await user.type(path, "/home/ada/team/globex.coffer");
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent(
      "Permission denied: you are not a member of this vault; ask an admin to add your public identity.",
    );

    await user.clear(path);
    await user.type(path, "/home/ada/team/acme.coffer");
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
    expect(await screen.findByTestId("toast")).toHaveTextContent("Opened the vault “Acme”. Coffer will open it next time too.");
    expect(backend.vaultPath).toBe("/home/ada/team/acme.coffer");
  });

  it("opens a vault file chosen in the system dialog", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("missing", (b) => (b.pickAnswer = "/home/ada/team/acme.coffer"));
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    await user.click(await screen.findByLabelText("Open an existing vault file"));
    await user.click(screen.getByRole("button", { name: "Choose the vault file…" }));
    expect(screen.getByLabelText(/^Vault file/)).toHaveValue("/home/ada/team/acme.coffer");
    expect(backend.calls.find((c) => c.cmd === "pick_path")?.args).toEqual({ purpose: "open_vault", current: null });
    await user.click(screen.getByRole("button", { name: "Open vault" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
  });

  it("still creates a new vault by default", async () => {
    const user = userEvent.setup();
    renderApp("missing");
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    expect(await screen.findByLabelText("Create a new vault for your team")).toBeChecked();
    await user.type(screen.getByLabelText("Team name"), "Initech");
    await user.click(screen.getByRole("button", { name: "Create vault" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Initech");
  });

  it("joins a team vault: public identity to send, lookup, fingerprint confirmed, refusals said plainly", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("missing");
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Unlock" }));
    await user.click(await screen.findByLabelText("Join a team vault (shared folder or git)"));
    const mine = await screen.findByTestId("my-public-identity");
    await waitFor(() => expect((mine as HTMLTextAreaElement).value).toMatch(/^coffer1-/));
    const where = screen.getByLabelText("Sync folder (full path)");
    await user.click(screen.getByRole("button", { name: "Look up the vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("Enter the full path of the team's sync folder.");
    await user.type(where, "/mnt/nowhere");
    await user.click(screen.getByRole("button", { name: "Look up the vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("no Coffer sync folder at /mnt/nowhere");
    // Not a member yet: said, and the identity stays unlocked.
    await user.clear(where);
    await user.type(where, "/mnt/team/globex-sync");
    await user.click(screen.getByRole("button", { name: "Look up the vault" }));
    expect(await screen.findByTestId("join-vault-name")).toHaveTextContent("Globex");
    await user.click(screen.getByRole("button", { name: "Join vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("Compare the owner's fingerprint first");
    await user.click(screen.getByLabelText("It matches what the owner read to me"));
    await user.click(screen.getByRole("button", { name: "Join vault" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("you are not a member of this vault yet");
    expect(backend.session).toBe("identity");
    // Another folder is another vault: looked up again before joining.
    await user.clear(where);
    await user.type(where, "/mnt/team/acme-sync");
    expect(screen.queryByTestId("join-preview")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Look up the vault" }));
    expect(await screen.findByTestId("join-owner-fingerprint")).toHaveTextContent(backend.teamRemotes.get("/mnt/team/acme-sync")!.owner_fingerprint);
    await user.click(screen.getByLabelText("It matches what the owner read to me"));
    await user.click(screen.getByRole("button", { name: "Join vault" }));
    expect(await screen.findByTestId("vault-name")).toHaveTextContent("Acme");
    expect(await screen.findByTestId("sync-summary")).toHaveTextContent("Synced just now");
    const join = backend.calls.filter((c) => c.cmd === "join_vault").at(-1);
    expect(join?.args).toEqual({ remote: { kind: "folder", location: "/mnt/team/acme-sync" }, owner_fingerprint: backend.teamRemotes.get("/mnt/team/acme-sync")!.owner_fingerprint });
  });
});
