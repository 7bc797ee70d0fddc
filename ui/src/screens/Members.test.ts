import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, rowAction, selectIn } from "../test-utils";
import { mockFingerprint, mockPublicIdentity } from "../lib/mock";
import { IpcFailure } from "../lib/ipc";

const memberRow = (name: string) => screen.getAllByTestId("member-row").find((r) => r.dataset.member === name)!;

describe("members", () => {
  it("lists roles, status, grouped fingerprints, and who you are", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Members" }));
    const rows = await screen.findAllByTestId("member-row");
    expect(rows.map((r) => r.dataset.member)).toEqual(["Ada Lovelace", "grace", "alan", "bob"]);
    expect(within(memberRow("Ada Lovelace")).getByTestId("member-you")).toHaveTextContent("you");
    expect(within(memberRow("bob")).getByTestId("member-status")).toHaveTextContent(/^Revoked/);
    expect(within(memberRow("grace")).getByTestId("member-status")).toHaveTextContent("Active");
    const fp = within(memberRow("grace")).getByTestId("fingerprint");
    expect(fp).toHaveAttribute("aria-label", `Fingerprint ${mockFingerprint("grace").split("-").join(" ")}`);
    expect(fp.querySelectorAll(".group")).toHaveLength(8);
    // Your own role is not editable here; others' are.
    expect(within(memberRow("Ada Lovelace")).queryByRole("combobox")).toBeNull();
    expect(screen.getByRole("combobox", { name: "Role of grace" })).toHaveProperty("value", "member");
  });

  it("the access matrix applies a change at once; owners are full and not editable", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Members" }));
    const cell = await screen.findByRole("combobox", { name: "Access of grace to payments/prod" });
    expect(cell).toHaveProperty("value", "read");
    await selectIn(user, cell, "write");
    expect(await screen.findByTestId("toast")).toHaveTextContent("grace now has write access to payments/prod.");
    expect(backend.members.find((m) => m.name === "grace")!.grants.get("payments/prod")).toBe("write");
    expect(backend.calls.filter((c) => c.cmd === "set_access").map((c) => c.args)).toEqual([
      { member: "grace", env: "payments/prod", access: "write" },
    ]);

    // Removing access (the browser test drives a cell by keyboard).
    const dev = screen.getByRole("combobox", { name: "Access of grace to payments/dev" });
    dev.focus();
    await selectIn(user, dev, "none");
    expect(await screen.findByText("grace no longer has access to payments/dev; it was re-keyed.")).toBeInTheDocument();

    const ada = within(screen.getByTestId("access-matrix")).getAllByTestId("matrix-row").find((r) => r.dataset.member === "Ada Lovelace")!;
    expect(within(ada).queryByRole("combobox")).toBeNull();
    expect(within(ada).getAllByTestId("matrix-cell")[0]).toHaveTextContent("Full");
    // A reader is never offered write.
    const alan = screen.getByRole("combobox", { name: "Access of alan to web/prod" });
    expect(within(alan).queryByRole("option", { name: "Write" })).toBeNull();
    // Revoked members are not in the matrix.
    expect(screen.queryByRole("combobox", { name: /Access of bob/ })).toBeNull();
  });

  it("changes roles at once", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      // Make grace the owner looking at the screen, Ada the other owner.
      const ada = b.members[0];
      ada.is_me = false;
      const grace = b.members.find((m) => m.name === "grace")!;
      grace.is_me = true;
      grace.role = "owner";
      ada.role = "admin";
    });
    await user.click(await screen.findByRole("button", { name: "Members" }));
    await selectIn(user, await screen.findByRole("combobox", { name: "Role of alan" }), "member");
    expect(await screen.findByTestId("toast")).toHaveTextContent("alan is now a member.");
    await selectIn(user, screen.getByRole("combobox", { name: "Role of Ada Lovelace" }), "owner");
    expect(await screen.findByTestId("toast")).toHaveTextContent("Ada Lovelace is now an owner.");
  });

  it("adds a member after the fingerprint is compared", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Members" }));
    await user.click(await screen.findByRole("button", { name: "+ Member" }));
    const dlg = screen.getByTestId("member-add-dialog");
    const field = within(dlg).getByLabelText(/Public identity/);
    await user.type(field, "not-an-identity");
    await user.click(within(dlg).getByRole("button", { name: "Check identity" }));
    expect(await within(dlg).findByRole("alert")).toHaveTextContent("Invalid public identity: it does not start with coffer1-.");

    await user.clear(field);
    await user.click(field);
    await user.paste(mockPublicIdentity("Dana Scully", "dana@example.com", "dana-key"));
    await user.click(within(dlg).getByRole("button", { name: "Check identity" }));
    expect(await within(dlg).findByTestId("member-claimed-name")).toHaveTextContent("Dana Scully");
    expect(within(dlg).getByTestId("member-claimed-name").parentElement).toHaveTextContent("This identity says it is Dana Scully (dana@example.com). Ask them");
    expect(within(dlg).getByTestId("member-preview-fingerprint")).toHaveAttribute("data-fingerprint", mockFingerprint("dana-key"));
    const add = within(dlg).getByRole("button", { name: "Add member" });
    expect(add).toBeDisabled();
    await user.clear(within(dlg).getByLabelText("Name in this vault"));
    await user.type(within(dlg).getByLabelText("Name in this vault"), "dana");
    await selectIn(user, within(dlg).getByLabelText("Role"), "member");
    await selectIn(user, within(dlg).getByLabelText("payments/dev"), "write");
    await user.click(within(dlg).getByLabelText("They read out the same fingerprint"));
    await user.click(add);
    expect(await screen.findByTestId("toast")).toHaveTextContent("Added dana as member; fingerprint pinned.");
    expect(await screen.findByRole("combobox", { name: "Access of dana to payments/dev" })).toHaveProperty("value", "write");
    const call = backend.calls.find((c) => c.cmd === "add_member")!.args as { fingerprint: string; grants: unknown };
    expect(call.fingerprint).toBe(mockFingerprint("dana-key"));
    expect(call.grants).toEqual([{ env: "payments/dev", access: "write" }]);

    // The same identity again: the dialog says who it already is.
    await user.click(screen.getByRole("button", { name: "+ Member" }));
    const again = screen.getByTestId("member-add-dialog");
    await user.click(within(again).getByLabelText(/Public identity/));
    await user.paste(mockPublicIdentity("Dana Scully", "dana@example.com", "dana-key"));
    await user.click(within(again).getByRole("button", { name: "Check identity" }));
    expect(await within(again).findByRole("alert")).toHaveTextContent("already a member, as dana");
    expect(within(again).getByRole("button", { name: "Add member" })).toBeDisabled();
  });

  it("shares one credential from its row and stops sharing it", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "web" }));
    await rowAction(user, "web/prod/SENTRY_DSN", "Share");
    const dlg = screen.getByTestId("share-dialog");
    expect(await within(dlg).findByText("Nobody yet.")).toBeInTheDocument();
    expect(within(dlg).getByText(/Through web\/prod: Ada Lovelace, alan/)).toBeInTheDocument();
    await selectIn(user, within(dlg).getByLabelText("Share with"), "grace");
    await user.click(within(dlg).getByRole("button", { name: "Share" }));
    expect(await within(dlg).findByTestId("share-entry")).toHaveAttribute("data-member", "grace");
    expect(backend.shares.get(backend.items.find((i) => i.name === "SENTRY_DSN")!.id)?.has("grace")).toBe(true);
    await user.click(within(dlg).getByRole("button", { name: "Stop sharing with grace" }));
    expect(await within(dlg).findByText("Nobody yet.")).toBeInTheDocument();
    expect(screen.getByTestId("toast")).toHaveTextContent("Stopped sharing SENTRY_DSN with grace; its key was replaced.");
  });

  it("reloads when another program changed the vault", async () => {
    const user = userEvent.setup();
    const { backend, app } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Members" }));
    await screen.findAllByTestId("member-row");
    backend.members.find((m) => m.name === "grace")!.role = "admin";
    await app.changedOutside();
    await expect.poll(() => memberRow("grace").textContent).toContain("admin");
  });

  it("a refused share says why beside the member field", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.handlers.share_item = () => {
        throw new IpcFailure("permission", "you may no longer share credentials of web/prod");
      };
    });
    await user.click(await screen.findByRole("button", { name: "web" }));
    await rowAction(user, "web/prod/SENTRY_DSN", "Share");
    const dlg = screen.getByTestId("share-dialog");
    await within(dlg).findByText("Nobody yet.");
    await user.click(within(dlg).getByRole("button", { name: "Share" }));
    expect(await within(dlg).findByTestId("share-error")).toHaveTextContent("You may no longer share credentials of web/prod.");
    expect(within(dlg).getByLabelText("Share with")).toHaveAttribute("aria-describedby", "share-error");
    expect(within(dlg).getByLabelText("Share with")).toHaveAttribute("aria-invalid", "true");
  });

  it("a refused change is a sentence and the cell shows what is true again", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.handlers.set_access = () => {
        throw new IpcFailure("permission", "you hold no key for web/prod, so you cannot grant it");
      };
    });
    await user.click(await screen.findByRole("button", { name: "Members" }));
    const cell = await screen.findByRole("combobox", { name: "Access of grace to web/prod" });
    await selectIn(user, cell, "read");
    expect(await screen.findByTestId("error")).toHaveTextContent("You hold no key for web/prod, so you cannot grant it.");
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Access of grace to web/prod" })).toHaveProperty("value", "none"));
    expect(document.activeElement).toBe(screen.getByRole("combobox", { name: "Access of grace to web/prod" }));
  });
});
