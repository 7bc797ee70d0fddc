import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, selectIn } from "../test-utils";

async function openWizard(user: ReturnType<typeof userEvent.setup>, member: string) {
  await user.click(await screen.findByRole("button", { name: "Members" }));
  await user.click(await screen.findByRole("button", { name: `Offboard ${member}` }));
  return screen.findByTestId("offboard-preview");
}

describe("offboarding wizard", () => {
  it("preview → typed confirmation → progress → report that ticks itself → export", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => (b.offboardStepMs = 30));
    const preview = await openWizard(user, "grace");
    expect(within(preview).getAllByTestId("preview-env").map((r) => r.dataset.env)).toEqual(["payments/dev", "payments/prod"]);
    expect(within(preview).getAllByTestId("preview-env")[1]).toHaveTextContent("Ada Lovelace");
    expect(within(preview).getByTestId("preview-exposed")).toHaveTextContent("payments/prod/STRIPE_KEY");
    await user.click(within(preview).getByRole("button", { name: "Continue" }));

    const submit = screen.getByRole("button", { name: "Offboard grace" });
    expect(submit).toBeDisabled();
    await user.type(screen.getByLabelText("Member's name"), "Grace");
    expect(submit).toBeDisabled();
    await user.clear(screen.getByLabelText("Member's name"));
    await user.type(screen.getByLabelText("Member's name"), "grace");
    await user.click(submit);

    // Progress while the mock re-keys 4 items, 30 ms each.
    const bar = await screen.findByRole("progressbar");
    expect(bar).toHaveAttribute("aria-valuemax", "4");
    const report = await screen.findByTestId("offboard-report", {}, { timeout: 3000 });
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "4");
    expect(screen.getByTestId("offboard-progress-text")).toHaveTextContent("Re-keyed: 4 of 4 items re-encrypted");
    expect(backend.calls.filter((c) => c.cmd === "offboard_progress").length).toBeGreaterThan(1);
    expect(Number(screen.getByRole("progressbar").dataset.polled)).toBeGreaterThan(1);
    const items = within(report).getAllByTestId("report-item");
    expect(items.map((i) => i.dataset.item)).toEqual([
      "payments/dev/SESSION_SECRET",
      "payments/prod/DATABASE_URL",
      "payments/prod/STRIPE_KEY",
      "payments/prod/WEBHOOK_SECRET",
    ]);
    expect(items.every((i) => i.dataset.open === "true")).toBe(true);
    expect(within(report).getByTestId("report-summary")).toHaveTextContent("4 of 4 credentials still to rotate");

    // Rotate now, with the rotation dialog: the item is ticked.
    await user.click(within(report).getByRole("button", { name: "Rotate STRIPE_KEY in payments/prod now" }));
    await user.click(within(screen.getByTestId("rotate-dialog")).getByRole("button", { name: "Mark rotated" }));
    await waitFor(() =>
      expect(screen.getAllByTestId("report-item").find((i) => i.dataset.item === "payments/prod/STRIPE_KEY")).toHaveAttribute("data-open", "false"),
    );
    expect(screen.getByTestId("report-summary")).toHaveTextContent("3 of 4 credentials still to rotate");

    // Export: Markdown, then CSV over it only when asked.
    expect(screen.getByLabelText(/^File/)).toHaveValue("~/grace-exposure.md");
    await user.click(screen.getByRole("button", { name: "Save report" }));
    expect(await screen.findByTestId("report-saved")).toHaveTextContent("Saved the report to /home/ada/grace-exposure.md.");
    expect(backend.files.get("/home/ada/grace-exposure.md")?.content).toContain("- [x] `STRIPE_KEY`");
    await user.click(screen.getByLabelText("CSV"));
    await user.clear(screen.getByLabelText(/^File/));
    await user.type(screen.getByLabelText(/^File/), "~/grace-exposure.md");
    await user.click(screen.getByRole("button", { name: "Save report" }));
    expect(await screen.findByTestId("report-error")).toHaveTextContent("/home/ada/grace-exposure.md already exists.");
    await user.click(screen.getByLabelText("Replace the file if it exists"));
    await user.click(screen.getByRole("button", { name: "Save report" }));
    await screen.findByTestId("report-saved");
    expect(backend.files.get("/home/ada/grace-exposure.md")?.content).toMatch(/^environment,key,rotated/);

    // The member is revoked; the report opens again from the members list.
    await user.click(screen.getByRole("button", { name: "Back to members" }));
    const row = (await screen.findAllByTestId("member-row")).find((r) => r.dataset.member === "grace")!;
    expect(within(row).getByTestId("member-status")).toHaveTextContent(/^Revoked/);
    await user.click(within(row).getByRole("button", { name: "Exposure report of grace" }));
    expect(await screen.findByTestId("report-summary")).toHaveTextContent("3 of 4");
  });

  it("self-offboarding and the last owner are refused as sentences", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      // grace (an admin) is at the keyboard; Ada is the only owner.
      b.members[0].is_me = false;
      const grace = b.members.find((m) => m.name === "grace")!;
      grace.is_me = true;
      grace.role = "admin";
    });
    await user.click(await screen.findByRole("button", { name: "Members" }));
    await user.click(await screen.findByRole("button", { name: "Offboard a member…" }));
    const choose = await screen.findByLabelText("Who is leaving?");
    await selectIn(user, choose, "grace");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByTestId("offboard-refusal")).toHaveTextContent(
      "You cannot offboard yourself; ask another owner or admin.",
    );
    expect(screen.getByRole("button", { name: "Continue" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Back" }));
    await selectIn(user, await screen.findByLabelText("Who is leaving?"), "Ada Lovelace");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByTestId("offboard-refusal")).toHaveTextContent("The vault must keep at least one owner.");
  });

  it("a refused offboarding returns to the confirmation with the sentence", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => (b.offboardStepMs = 1));
    await openWizard(user, "alan");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await user.type(screen.getByLabelText("Member's name"), "alan");
    // Someone else offboarded alan meanwhile.
    backend.members.find((m) => m.name === "alan")!.revoked_at = backend.now();
    await user.click(screen.getByRole("button", { name: "Offboard alan" }));
    expect(await screen.findByTestId("offboard-error")).toHaveTextContent("Alan was offboarded.");
    expect(screen.getByTestId("offboard-confirm")).toBeInTheDocument();
  });
});
