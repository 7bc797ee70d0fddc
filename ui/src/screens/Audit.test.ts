import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, selectIn } from "../test-utils";

async function openAudit(preset: "unlocked" | "biglog" = "unlocked", tweak?: Parameters<typeof renderApp>[1]) {
  const user = userEvent.setup();
  const r = renderApp(preset, tweak);
  await user.click(await screen.findByTestId("nav-audit"));
  await screen.findAllByTestId("audit-row");
  return { user, ...r };
}

const seqs = () => screen.getAllByTestId("audit-row").map((r) => Number(r.dataset.seq));

describe("audit log", () => {
  it("lists the signed log newest first, without values", async () => {
    const { backend } = await openAudit();
    const s = seqs();
    expect(s[0]).toBe(backend.log.length);
    expect([...s].sort((a, b) => b - a)).toEqual(s);
    expect(screen.getByTestId("audit-count")).toHaveTextContent(`Showing ${backend.log.length} of ${backend.log.length} entries, newest first.`);
    const table = screen.getByTestId("audit-table").textContent ?? "";
    expect(table).toContain("added STRIPE_KEY to payments/prod");
    for (const it of backend.items) expect(table).not.toContain(it.versions[0].value);
  });

  it("filters by denied, kind, member and text", async () => {
    const { user } = await openAudit();
    await user.click(screen.getByLabelText("Denied only"));
    await screen.findByTestId("audit-clear");
    await expect.poll(() => screen.getAllByTestId("audit-row").length).toBe(1);
    expect(screen.getByTestId("audit-denied-badge")).toHaveTextContent("denied");
    expect(screen.getByTestId("audit-row")).toHaveTextContent("Bob Builder");
    await user.click(screen.getByTestId("audit-clear"));

    await selectIn(user, screen.getByLabelText("Activity"), "env.add");
    await expect.poll(() => screen.getAllByTestId("audit-row").every((r) => r.dataset.kind === "env.add")).toBe(true);
    expect(screen.getAllByTestId("audit-row")).toHaveLength(4);
    await selectIn(user, screen.getByLabelText("Activity"), "");

    await selectIn(user, screen.getByLabelText("Member"), "Bob Builder");
    await expect.poll(() => screen.getAllByTestId("audit-row").length).toBe(2);
    await selectIn(user, screen.getByLabelText("Member"), "");

    await user.type(screen.getByLabelText("Find"), "webhook");
    await expect.poll(() => screen.queryAllByTestId("audit-row").length, { timeout: 2000 }).toBe(1);
    expect(screen.getByTestId("audit-row")).toHaveTextContent("WEBHOOK_SECRET");
    await user.type(screen.getByLabelText("Find"), "zzz");
    expect(await screen.findByTestId("audit-empty")).toHaveTextContent("No entries match these filters.");
  });

  it("shows every chain verified, and a broken one with the core's sentence", async () => {
    const { user, backend } = await openAudit();
    const verdict = await screen.findByTestId("verify-verdict");
    expect(verdict).toHaveTextContent(/^Verified: \d+ entries from 2 devices/);
    const rows = screen.getAllByTestId("chain-row");
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(within(r).getByTestId("chain-status")).toHaveTextContent("verified");
    expect(rows[0]).toHaveTextContent(/[0-9a-f] \(this device\)/);

    backend.tampered = true;
    await user.click(screen.getByRole("button", { name: "Verify now" }));
    await expect.poll(() => screen.getByTestId("verify-verdict").dataset.ok).toBe("false");
    expect(screen.getByTestId("verify-verdict")).toHaveTextContent(/^Broken\. Integrity check failed: entry \d+ \(device b0b0dec0 #1\): its contents were modified/);
    const bob = screen.getAllByTestId("chain-row").find((r) => r.textContent?.includes("Bob Builder"))!;
    expect(within(bob).getByTestId("chain-status")).toHaveTextContent("broken");
    // The chain checks are technical details, one click away.
    expect(screen.queryByRole("columnheader", { name: "Replay" })).toBeNull();
    await user.click(screen.getByLabelText("Technical details"));
    const bob2 = screen.getAllByTestId("chain-row").find((r) => r.textContent?.includes("Bob Builder"))!;
    expect(within(bob2).getAllByRole("cell")[2]).toHaveTextContent("broken");
    expect(screen.getByRole("columnheader", { name: "Replay" })).toBeInTheDocument();
  });

  it("shows what another program just did without leaving the screen", async () => {
    const { app, backend } = await openAudit();
    backend.record("exported 2 credentials of web/dev", "read");
    await app.changedOutside();
    await expect.poll(() => screen.getAllByTestId("audit-sentence")[0].textContent).toContain("exported 2 credentials of web/dev");
  });

  it("reads as sentences, with kinds and devices one click away", async () => {
    const { user } = await openAudit();
    const first = screen.getAllByTestId("audit-sentence").at(-1)!;
    expect(first).toHaveTextContent(/^Ada Lovelace created vault 'Acme'/);
    const table = screen.getByTestId("audit-table");
    expect(table.textContent).not.toContain("item.set");
    const activity = screen.getByLabelText("Activity");
    await user.click(activity);
    expect(within(document.getElementById(activity.getAttribute("aria-controls")!)!).getByRole("option", { name: "Credential added or changed" })).toBeInTheDocument();
    await user.keyboard("{Escape}");
    await user.click(screen.getByLabelText("Technical details"));
    await expect.poll(() => screen.getByTestId("audit-table").textContent).toContain("item.set");
  });

  it("pages a long log from Rust: 100 at a time, then more", async () => {
    const { user, backend } = await openAudit("biglog");
    expect(screen.getAllByTestId("audit-row")).toHaveLength(100);
    const total = backend.log.length;
    expect(screen.getByTestId("audit-count")).toHaveTextContent(`Showing 100 of ${total} entries`);
    await user.click(screen.getByRole("button", { name: "Load 100 more" }));
    await expect.poll(() => screen.getAllByTestId("audit-row").length).toBe(200);
    const pages = backend.calls.filter((c) => c.cmd === "audit_log").map((c) => c.args as { offset: number; limit: number });
    expect(pages.at(-1)).toMatchObject({ offset: 100, limit: 100 });
  });
});
