import { describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, openItem } from "../test-utils";
import { SYNC_AFTER_CHANGE_MS } from "../lib/state.svelte";

const row = async (key: string) => {
  const rows = await screen.findAllByTestId("item-row");
  const r = rows.find((x) => x.dataset.item === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
};

describe("sync", () => {
  it("sets up sync from the app, then shows how it stands", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    expect(await screen.findByTestId("sync-summary")).toHaveTextContent("Not shared yet");
    await user.click(screen.getByTestId("nav-sync"));
    await user.click(screen.getByLabelText("A git remote"));
    await user.type(screen.getByLabelText("Git remote"), "--upload-pack=evil");
    await user.click(screen.getByRole("button", { name: "Start syncing" }));
    expect(await screen.findByTestId("error")).toHaveTextContent("is not a git remote");
    expect(backend.syncRemote).toBeNull();
    await user.click(screen.getByLabelText("A shared folder"));
    await user.clear(screen.getByLabelText("Folder (full path)"));
    await user.type(screen.getByLabelText("Folder (full path)"), "/mnt/team/acme-sync");
    await user.click(screen.getByRole("button", { name: "Start syncing" }));
    expect(await screen.findByTestId("sync-remote")).toHaveTextContent("folder /mnt/team/acme-sync");
    expect(screen.getByTestId("toast")).toHaveTextContent("Teammates you add choose “Join a team vault”");
    expect(screen.getByTestId("sync-summary")).toHaveTextContent("Synced just now");
    expect(screen.getAllByTestId("sync-feed")).toHaveLength(1);
  });

  it("syncs soon after a change, and shows a teammate's change when it arrives", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { backend } = renderApp("unlocked", (b) => (b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" }));
    const syncs = () => backend.calls.filter((c) => c.cmd === "sync_now").length;
    // On open.
    await vi.waitFor(() => expect(syncs()).toBe(1));
    // A teammate's edit shows at the next sync, where the user is; a value
    // revealed before it is masked (it is no longer the current one).
    let r = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toHaveTextContent("dev-session-secret-0123456789");
    backend.teammateSets("payments/dev", "SESSION_SECRET", "set-by-a-teammate");
    await user.click(screen.getByTestId("sync-now"));
    await vi.waitFor(() => expect(syncs()).toBe(2));
    r = screen.getByTestId("detail-pane");
    await vi.waitFor(() => expect(within(r).queryByTestId("revealed-value")).toBeNull());
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toHaveTextContent("set-by-a-teammate");
    // A change of ours goes out shortly after it is made.
    await user.click(within(r).getByRole("button", { name: "Delete…" }));
    await user.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByTestId("sync-pending")).toHaveTextContent(/change(s)? to send/);
    await vi.advanceTimersByTimeAsync(SYNC_AFTER_CHANGE_MS + 100);
    await vi.waitFor(() => expect(syncs()).toBe(3));
    await vi.waitFor(() => expect(screen.queryByTestId("sync-pending")).toBeNull());
    vi.useRealTimers();
  });

  it("says when a sync fails and keeps working offline", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => {
      b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" };
      b.syncFailure = "the sync folder /mnt/team/acme-sync is not reachable";
    });
    await vi.waitFor(() => expect(screen.getByTestId("sync-summary")).toHaveTextContent("Last sync failed"));
    await user.click(screen.getByTestId("nav-sync"));
    expect(screen.getByTestId("sync-error")).toHaveTextContent("is not reachable");
    backend.syncFailure = null;
    await user.click(screen.getByTestId("sync-now-main"));
    expect(await screen.findByTestId("sync-summary")).toHaveTextContent("Synced just now");
    expect(screen.queryByTestId("sync-error")).toBeNull();
  });

  it("flags a conflict and resolves it by keeping the teammate's value", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => {
      b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" };
      b.teammateConflicts("payments/dev", "SESSION_SECRET", "bobs-session-secret", "Bob");
    });
    const db = await row("payments/dev/SESSION_SECRET");
    await user.click(await within(db).findByTestId("conflict"));
    const dlg = await screen.findByTestId("conflict-dialog");
    expect(within(dlg).queryByTestId("conflict-value")).toBeNull();
    const opts = await within(dlg).findAllByTestId("conflict-option");
    expect(opts[1]).toHaveTextContent("by Bob");
    await user.click(within(dlg).getByRole("button", { name: "Show values" }));
    expect(await within(dlg).findAllByTestId("conflict-value")).toHaveLength(2);
    expect(within(dlg).getAllByTestId("conflict-value")[1]).toHaveTextContent("bobs-session-secret");
    await user.click(within(within(dlg).getAllByTestId("conflict-option")[1]).getByRole("button", { name: "Keep this value" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Kept Bob's value of SESSION_SECRET.");
    expect(within(await row("payments/dev/SESSION_SECRET")).queryByTestId("conflict")).toBeNull();
    expect(backend.calls.find((c) => c.cmd === "resolve_conflict")?.args).toEqual({ env: "payments/dev", name: "SESSION_SECRET", keep: 1 });
  });

  it("says when a waiting value was written under a key an offboarding replaced", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" };
      b.teammateConflicts("payments/dev", "SESSION_SECRET", "written-before-bob-saw-it", "Bob", true);
    });
    const db = await row("payments/dev/SESSION_SECRET");
    await user.click(await within(db).findByTestId("conflict"));
    const dlg = await screen.findByTestId("conflict-dialog");
    const notes = await within(dlg).findAllByTestId("conflict-stale");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toHaveTextContent("that member could read it");
    expect(notes[0]).toHaveTextContent("marks SESSION_SECRET exposed");
  });
});
