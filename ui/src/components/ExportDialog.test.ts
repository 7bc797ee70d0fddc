import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, selectIn } from "../test-utils";

async function openExport(tweak?: Parameters<typeof renderApp>[1]) {
  const user = userEvent.setup();
  localStorage.clear();
  const r = renderApp("unlocked", tweak);
  await screen.findAllByRole("tab");
  await user.click(screen.getByRole("tab", { name: /prod/ }));
  await user.click(screen.getByRole("button", { name: "Export…" }));
  const dialog = await screen.findByTestId("export-dialog");
  return { user, dialog, ...r };
}

describe("export dialog", () => {
  it("defaults to the current environment and previews its keys (names only)", async () => {
    const { dialog, user } = await openExport();
    expect(within(dialog).getByLabelText("Environment")).toHaveProperty("value", "payments/prod");
    await user.click(within(dialog).getByText(/Preview keys/));
    expect(within(dialog).getAllByTestId("export-key").map((k) => k.textContent)).toEqual(["DATABASE_URL", "STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(dialog.textContent).not.toContain("sk_live_");
    // The dialect applies to .env files only.
    await selectIn(user, within(dialog).getByLabelText("Format"), "json");
    expect(within(dialog).getByLabelText(/Dialect/)).toBeDisabled();
  });

  it("refuses a file git does not ignore, with the way out, then writes it anyway", async () => {
    const { dialog, user, backend } = await openExport();
    await user.type(within(dialog).getByLabelText(/^File/), "/home/ada/project/.env");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    const err = await within(dialog).findByTestId("export-error");
    expect(err).toHaveTextContent(
      "/home/ada/project/.env is inside the git work tree /home/ada/project and not ignored by git: add it to .gitignore, or tick “Write anyway”.",
    );
    expect(backend.files.size).toBe(0);
    await user.click(within(dialog).getByLabelText(/Write anyway/));
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent(
      "Exported 3 variables of payments/prod to /home/ada/project/.env (readable only by you).",
    );
    expect(screen.queryByTestId("export-dialog")).toBeNull();
    expect(backend.files.get("/home/ada/project/.env")?.mode).toBe(0o600);
    const call = backend.calls.find((c) => c.cmd === "export_env")!;
    expect(JSON.stringify(call.args)).not.toContain("sk_live_");
    // The folder is remembered for next time.
    await user.click(screen.getByRole("button", { name: "Export…" }));
    expect(within(await screen.findByTestId("export-dialog")).getByLabelText(/^File/)).toHaveValue("/home/ada/project/.env");
  });

  it("names the key a dialect cannot write and suggests one that can", async () => {
    const { dialog, user, backend } = await openExport((b) => {
      b.items.find((i) => i.name === "WEBHOOK_SECRET")!.versions[0].value = `it's "quoted"`;
    });
    await user.type(within(dialog).getByLabelText(/^File/), "/home/ada/project/.env.local");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    expect(await within(dialog).findByTestId("export-error")).toHaveTextContent(
      "The value of WEBHOOK_SECRET cannot be written as dotenv (portable dialect): it holds both quote characters; choose the node or python dialect if only that parser reads the file, or the shell or JSON format.",
    );
    expect(within(dialog).getByTestId("export-error").textContent).not.toContain("quoted");
    await selectIn(user, within(dialog).getByLabelText(/Dialect/), "python");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    await screen.findByTestId("toast");
    expect(backend.files.has("/home/ada/project/.env.local")).toBe(true);
  });

  it("asks for a full path", async () => {
    const { dialog, user } = await openExport();
    await user.type(within(dialog).getByLabelText(/^File/), "project/.env");
    await user.keyboard("{Enter}");
    expect(await within(dialog).findByTestId("export-error")).toHaveTextContent(
      "Project/.env is not a full path: give the whole path of the file to write, starting with / or ~/.",
    );
  });

  it("refuses a typed path outside home; the system dialog's choice is written there, once", async () => {
    const { dialog, user, backend } = await openExport();
    const field = within(dialog).getByLabelText(/^File/);
    await user.clear(field);
    await user.type(field, "/srv/shared/app.env");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    expect(await within(dialog).findByTestId("export-error")).toHaveTextContent(
      "/srv/shared/app.env is outside your home folder and the temporary folder: the app reads and writes a file there only when you choose it with “Choose…”",
    );
    expect(backend.files.size).toBe(0);

    // Cancelled: the field keeps what was typed.
    backend.pickAnswer = null;
    await user.click(within(dialog).getByRole("button", { name: "Choose the file…" }));
    expect(field).toHaveValue("/srv/shared/app.env");
    expect(backend.calls.at(-1)).toEqual({ cmd: "pick_path", args: { purpose: "export", current: "/srv/shared/app.env" } });

    backend.pickAnswer = "/srv/shared/app.env";
    await user.click(within(dialog).getByRole("button", { name: "Choose the file…" }));
    expect(field).toHaveValue("/srv/shared/app.env");
    await user.click(within(dialog).getByRole("button", { name: "Export" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("to /srv/shared/app.env");
    expect(backend.files.get("/srv/shared/app.env")?.mode).toBe(0o600);
    // The choice was good for one write.
    expect(backend.picked.size).toBe(0);
  });
});
