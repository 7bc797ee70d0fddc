import { describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { findRow, openItem, renderApp, rowAction } from "../test-utils";

const row = async (key: string) => {
  const rows = await screen.findAllByTestId("item-row");
  const r = rows.find((x) => x.dataset.item === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
};

describe("main", () => {
  it("lists a project's environments as tabs; a row opens in the detail pane, value masked", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const tabs = await screen.findAllByRole("tab");
    expect(tabs.map((t) => t.textContent?.trim().split(" ")[0])).toEqual(["dev", "staging", "prod"]);
    // The list never holds a value, masked or not.
    expect(within(await row("payments/dev/SESSION_SECRET")).queryByTestId("masked-value")).toBeNull();
    expect(screen.getByTestId("detail-empty")).toBeInTheDocument();
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    expect(within(pane).getByTestId("masked-value")).toBeInTheDocument();
    expect(await row("payments/dev/SESSION_SECRET")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("rotation-badge")).toHaveTextContent("5");
  });

  it("shows a credential in full: username, URL, notes, rotation, history, who can read it", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("tab", { name: /prod/ }));
    const pane = await openItem(user, "payments/prod/STRIPE_KEY");
    expect(within(pane).getByRole("heading", { name: "STRIPE_KEY" })).toBeInTheDocument();
    expect(within(pane).getByTestId("detail-url")).toHaveTextContent("https://dashboard.stripe.com/apikeys");
    expect(within(pane).getByTestId("detail-notes")).toHaveTextContent("Stripe live secret key; rotate in the dashboard Owner: payments team");
    expect(within(pane).getByTestId("detail-rotation")).toHaveTextContent("Rotate every 90 days");
    expect(within(pane).getByTestId("detail-due")).toHaveTextContent(/^\d{4}-\d{2}-\d{2}$/);
    expect(await within(pane).findByTestId("detail-history-list")).toHaveTextContent("Version 1");
    const readers = await within(pane).findByTestId("detail-readers");
    expect(readers).toHaveTextContent("Ada Lovelace");
    expect(readers).toHaveTextContent("through payments/prod");
    // Revealed, the value is there whole.
    await user.click(within(pane).getByRole("button", { name: "Reveal STRIPE_KEY" }));
    expect(await within(pane).findByTestId("revealed-value")).toHaveTextContent("sk_live_51H8xQ2eZvKYlo2C");
    // Another row: the pane follows, the value is masked again.
    const other = await openItem(user, "payments/prod/WEBHOOK_SECRET");
    expect(within(other).queryByTestId("revealed-value")).toBeNull();
    expect(document.body.textContent).not.toContain("sk_live_51H8xQ2eZvKYlo2C");
  });

  it("the row's ⋯ menu works from the keyboard and gives focus back", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const more = within(await row("payments/dev/SESSION_SECRET")).getByRole("button", { name: "More actions for SESSION_SECRET" });
    more.focus();
    await user.keyboard("{ArrowDown}");
    const menu = await screen.findByRole("menu");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Show details" }));
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Edit SESSION_SECRET" }));
    await user.keyboard("{End}");
    expect(document.activeElement).toBe(within(menu).getByRole("menuitem", { name: "Delete SESSION_SECRET" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(more);
    await user.keyboard("{Enter}");
    await screen.findByRole("menu");
    await user.keyboard("{ArrowDown}{Enter}");
    expect(await screen.findByTestId("item-dialog")).toBeInTheDocument();
  });

  it("moves between tabs with the arrow keys", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const [dev] = await screen.findAllByRole("tab");
    dev.focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { selected: true })).toHaveTextContent("staging");
    expect(document.activeElement).toBe(screen.getByRole("tab", { selected: true }));
  });

  it("reveals, re-masks after the timeout and on blur, copies in Rust", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { backend } = renderApp("unlocked");
    const r = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toHaveTextContent("dev-session-secret-0123456789");
    await vi.advanceTimersByTimeAsync(21_000);
    expect(within(r).queryByTestId("revealed-value")).toBeNull();
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    await within(r).findByTestId("revealed-value");
    window.dispatchEvent(new Event("blur"));
    await vi.waitFor(() => expect(within(r).queryByTestId("revealed-value")).toBeNull());
    await user.click(within(r).getByRole("button", { name: "Copy SESSION_SECRET" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Copied SESSION_SECRET. The clipboard is cleared in 30 s.");
    expect(backend.clipboard).toBe("dev-session-secret-0123456789");
    vi.useRealTimers();
  });

  it("never shows a revealed value once the list shows something else", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    const r = await openItem(user, "payments/dev/SESSION_SECRET");
    await user.click(within(r).getByRole("button", { name: "Reveal SESSION_SECRET" }));
    expect(await within(r).findByTestId("revealed-value")).toBeInTheDocument();
    // The search results reuse the table's rows (ItemTable): the value
    // goes with its credential, not with the row element.
    await user.type(screen.getByRole("searchbox", { name: "Search all environments" }), "stripe");
    expect(screen.getByTestId("search-count")).toHaveTextContent("2 matches");
    expect(screen.queryByTestId("revealed-value")).toBeNull();
    expect(document.body.textContent).not.toContain("dev-session-secret");
    await user.clear(screen.getByRole("searchbox", { name: "Search all environments" }));
    expect(within(await openItem(user, "payments/dev/SESSION_SECRET")).getByTestId("masked-value")).toBeInTheDocument();
  });

  it("shows a change the CLI made without a lock, keeping the user's place", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("tab", { name: /prod/ }));
    const pane = await openItem(user, "payments/prod/STRIPE_KEY");
    const version = Number(/version (\d+)/.exec(pane.textContent ?? "")![1]);
    await user.click(within(pane).getByRole("button", { name: "Reveal STRIPE_KEY" }));
    const old = (await within(pane).findByTestId("revealed-value")).textContent!;
    // An unsaved edit of another credential is open.
    await rowAction(user, "payments/prod/DATABASE_URL", "Edit");
    const notes = await screen.findByLabelText("Notes");
    await user.clear(notes);
    await user.type(notes, "half-typed note");

    backend.setOutside("payments/prod", "STRIPE_KEY", "sk_test_changed_by_the_cli");

    const now = await screen.findByTestId("detail-pane");
    await vi.waitFor(() => expect(now).toHaveTextContent(`version ${version + 1}`));
    // The old value is not left on screen; the place is kept.
    expect(within(now).queryByTestId("revealed-value")).toBeNull();
    expect(document.body.textContent).not.toContain(old);
    expect(now.dataset.item).toBe("payments/prod/STRIPE_KEY");
    expect(screen.getByRole("tab", { name: /prod/ })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByLabelText("Notes")).toHaveValue("half-typed note");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(within(now).getByRole("button", { name: "Reveal STRIPE_KEY" }));
    expect(await within(now).findByTestId("revealed-value")).toHaveTextContent("sk_test_changed_by_the_cli");
  });

  it("searches across every environment as you type", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await screen.findAllByRole("tab");
    await user.type(screen.getByRole("searchbox", { name: "Search all environments" }), "stripe");
    expect(screen.getByTestId("search-count")).toHaveTextContent("2 matches");
    const keys = screen.getAllByTestId("item-row").map((r) => r.dataset.item);
    expect(keys).toEqual(["payments/prod/STRIPE_KEY", "payments/staging/STRIPE_KEY"]);
  });

  it("adds a credential with the generator, edits it, shows history, deletes it", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "API_TOKEN");
    await user.click(within(dlg).getByRole("button", { name: "Generate" }));
    expect((within(dlg).getByTestId("item-value") as HTMLInputElement).value).toHaveLength(32);
    expect(within(dlg).getByTestId("item-value")).toHaveAttribute("type", "password");
    await user.type(within(dlg).getByLabelText("Notes"), "for the CI");
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Added API_TOKEN to payments/dev.");
    expect(await openItem(user, "payments/dev/API_TOKEN")).toHaveTextContent("for the CI");

    await rowAction(user, "payments/dev/API_TOKEN", "Edit");
    const edit = screen.getByTestId("item-dialog");
    await user.clear(within(edit).getByLabelText("Notes"));
    await user.type(within(edit).getByLabelText("Notes"), "rotate monthly");
    await user.click(within(edit).getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Saved API_TOKEN (version 2).");

    await rowAction(user, "payments/dev/API_TOKEN", "History of");
    expect(await screen.findAllByTestId("history-entry")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Close" }));

    await rowAction(user, "payments/dev/API_TOKEN", "Delete");
    await user.click(screen.getByRole("button", { name: "Delete" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Deleted API_TOKEN from payments/dev.");
    expect(backend.items.find((i) => i.name === "API_TOKEN")?.deleted).toBe(true);
  });

  it("takes a provider expiry as an ISO date, typed or picked", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "CERT_PASSWORD");
    await user.type(within(dlg).getByTestId("item-value"), "hunter2-but-longer");
    await user.click(within(dlg).getByRole("button", { name: "+1 year from today" }));
    const want = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    expect(within(dlg).getByLabelText(/^Expires/)).toHaveValue(want);
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    await screen.findByTestId("toast");
    const call = backend.calls.find((c) => c.cmd === "set_item")!;
    expect(call.args).toMatchObject({ expires: want });
  });

  it("keeps a pasted value's line breaks: a certificate switches to the multi-line field, masked", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "TLS_KEY");
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    await user.click(within(dlg).getByTestId("item-value"));
    await user.paste(pem);
    const field = within(dlg).getByTestId("item-value");
    expect(field.tagName).toBe("TEXTAREA");
    expect(field).toHaveValue(pem);
    expect(field).toHaveClass("masked");
    expect(within(dlg).getByTestId("item-multiline")).toBeChecked();
    await user.click(within(dlg).getByTestId("item-show"));
    expect(field).not.toHaveClass("masked");
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    await screen.findByTestId("toast");
    const stored = backend.items.find((i) => i.name === "TLS_KEY" && i.env === "payments/dev")!;
    expect(stored.versions.at(-1)!.value).toBe(pem);
  });

  it("warns on a row whose name decides what code runs, with the reason", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Credential" }));
    const dlg = screen.getByTestId("item-dialog");
    await user.type(within(dlg).getByLabelText(/^Name/), "NODE_OPTIONS");
    await user.type(within(dlg).getByTestId("item-value"), "--require ./evil.js");
    await user.click(within(dlg).getByRole("button", { name: "Add" }));
    const warn = within(await row("payments/dev/NODE_OPTIONS")).getByTestId("dangerous-var");
    expect(warn).toHaveAccessibleName("Warning: NODE_OPTIONS decides what code runs");
    expect(warn.getAttribute("title")).toMatch(/^Decides what code runs: node takes command-line options from it .*refuse it unless allowed by name\.$/);
    // An ordinary name has no warning.
    expect(within(await row("payments/dev/SESSION_SECRET")).queryByTestId("dangerous-var")).toBeNull();
  });

  it("shows a refused input as the vault's sentence", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "+ Environment" }));
    await user.type(screen.getByLabelText(/Project and environment/), "/oops");
    await user.click(screen.getByRole("button", { name: "Add environment" }));
    expect(await within(screen.getByTestId("env-dialog")).findByRole("alert")).toHaveTextContent(
      "'payments//oops' is not PROJECT/ENV",
    );
  });

  it("locks", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByRole("button", { name: "Lock" }));
    expect(await screen.findByRole("heading", { name: "Unlock Coffer" })).toBeInTheDocument();
  });

  it("offers no change where this identity may only read", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => (b.envs.get("payments/dev")!.read_only = true));
    const row = await findRow("payments/dev/SESSION_SECRET");
    expect(screen.queryByTestId("add-item")).toBeNull();
    expect(screen.getByTestId("env-read-only")).toHaveTextContent("Read only");
    const pane = await openItem(user, "payments/dev/SESSION_SECRET");
    expect(within(pane).getByTestId("detail-read-only")).toHaveTextContent("you can read payments/dev");
    expect(within(pane).queryByRole("button", { name: /Edit|Rotate now|Share|Delete/ })).toBeNull();
    await user.click(within(row).getByRole("button", { name: "More actions for SESSION_SECRET" }));
    const menu = await screen.findByRole("menu");
    // A reader may still keep their own value (a personal override).
    expect(within(menu).getAllByRole("menuitem").map((b) => b.textContent)).toEqual(["Show details", "History…", "Override for me…"]);
    await user.keyboard("{Escape}");
    // The vault refuses it anyway (the mock as the real one).
    await expect(backend.call("set_item", { env: "payments/dev", name: "X", value: "v", notes: null, url: null, username: null, rotate_every: null, expires: null })).rejects.toMatchObject({ code: "permission" });
    // Where it may write, all is there.
    await user.click(screen.getByRole("tab", { name: /prod/ }));
    expect(await screen.findByTestId("add-item")).toBeInTheDocument();
    expect(screen.queryByTestId("env-read-only")).toBeNull();
  });

  it("offers managing environments only to an owner or admin", async () => {
    const { backend } = renderApp("unlocked", (b) => (b.manages = false));
    await findRow("payments/dev/SESSION_SECRET");
    expect(screen.queryByTestId("add-env")).toBeNull();
    await userEvent.setup().click(screen.getByRole("button", { name: "Actions for environment payments/dev" }));
    expect(within(await screen.findByRole("menu")).getAllByRole("menuitem").map((b) => b.textContent)).toEqual(["Check against an example file…"]);
    await expect(backend.call("add_env", { path: "payments/qa", rotate_every_days: null } as never)).rejects.toMatchObject({ code: "permission" });
  });

  it("checks each environment of a project against its example file, remembered, names only", async () => {
    const user = userEvent.setup();
    localStorage.clear();
    const { backend, app } = renderApp("unlocked", (b) => {
      b.files.set("/home/ada/project/.env.example", { content: "# keys\nSESSION_SECRET=\nSTRIPE_KEY=\nexport DATABASE_URL=x\n", mode: 0o644 });
      b.pickAnswer = "/srv/elsewhere/.env.example";
    });
    await findRow("payments/dev/SESSION_SECRET");
    await user.click(screen.getByRole("button", { name: "Actions for environment payments/dev" }));
    await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: "Check against an example file…" }));
    const dialog = await screen.findByTestId("example-dialog");
    await user.type(within(dialog).getByLabelText(/^Example file/), "~/project/.env.example");
    await user.click(within(dialog).getByTestId("example-submit"));
    const bar = await screen.findByTestId("example-missing");
    expect(bar).toHaveTextContent("2 keys missing that ~/project/.env.example names: STRIPE_KEY, DATABASE_URL.");
    // Another environment of the project: checked too; the example is remembered.
    await user.click(screen.getByRole("tab", { name: /prod/ }));
    expect(await screen.findByTestId("example-missing")).toHaveTextContent("1 key missing that ~/project/.env.example names: SESSION_SECRET.");
    expect(localStorage.getItem("coffer.example.payments")).toBe("~/project/.env.example");
    await user.click(screen.getByTestId("example-extra-toggle"));
    expect(screen.getByTestId("example-extra")).toHaveTextContent(/^WEBHOOK_SECRET$/);
    // Adding the missing key (here by another program) checks again.
    await backend.call("set_item", { env: "payments/prod", name: "SESSION_SECRET", value: "s3cret-session-0001", notes: null, url: null, username: null, rotate_every: null, expires: null });
    await app.refreshVault();
    expect(await screen.findByTestId("example-ok")).toHaveTextContent("Every key ~/project/.env.example names is here (3).");
    // A file outside home, typed: refused, said in the bar; chosen: accepted.
    await user.click(screen.getByTestId("example-change"));
    const again = await screen.findByTestId("example-dialog");
    const field = within(again).getByLabelText(/^Example file/);
    await user.clear(field);
    await user.type(field, "/srv/elsewhere/.env.example");
    await user.click(within(again).getByTestId("example-submit"));
    expect(await screen.findByTestId("example-error")).toHaveTextContent("outside your home folder");
    await user.click(screen.getByTestId("example-stop"));
    expect(screen.queryByTestId("example-check")).toBeNull();
    expect(localStorage.getItem("coffer.example.payments")).toBeNull();
  });
});
