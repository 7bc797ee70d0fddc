import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

describe("rotation dashboard", () => {
  it("counts by status, most urgent first, and rotates now", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked");
    await user.click(await screen.findByTestId("nav-rotation"));
    expect(screen.getByTestId("count-exposed")).toHaveTextContent("1");
    expect(screen.getByTestId("count-expired")).toHaveTextContent("1");
    expect(screen.getByTestId("count-overdue")).toHaveTextContent("1");
    expect(screen.getByTestId("count-due_soon")).toHaveTextContent("2");
    const rows = screen.getAllByTestId("rotation-row");
    expect(rows[0].dataset.item).toBe("web/prod/SENTRY_DSN");

    // Generated in Rust: no value comes back to the UI.
    await user.click(within(rows[0]).getByRole("button", { name: /Rotate SENTRY_DSN/ }));
    await user.click(screen.getByRole("button", { name: "Mark rotated" }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Rotated SENTRY_DSN in web/prod (version 2).");
    expect(screen.getByTestId("count-exposed")).toHaveTextContent("0");
    expect(screen.getByTestId("rotation-badge")).toHaveTextContent("4");

    // Pasted: the same value is refused with the vault's sentence.
    const overdue = screen.getAllByTestId("rotation-row").find((r) => r.dataset.item === "payments/prod/STRIPE_KEY")!;
    await user.click(within(overdue).getByRole("button", { name: /Rotate STRIPE_KEY/ }));
    await user.click(screen.getByLabelText(/Paste the value/));
    await user.type(screen.getByLabelText("New value"), "sk_live_51H8xQ2eZvKYlo2C");
    await user.click(screen.getByRole("button", { name: "Mark rotated" }));
    expect(await within(screen.getByTestId("rotate-dialog")).findByRole("alert")).toHaveTextContent(
      "The new value of STRIPE_KEY is the same as the current one.",
    );
    await user.clear(screen.getByLabelText("New value"));
    await user.type(screen.getByLabelText("New value"), "sk_live_new");
    await user.click(screen.getByRole("button", { name: "Mark rotated" }));
    expect(await screen.findByTestId("count-overdue")).toHaveTextContent("0");
    const rotate = backend.calls.filter((c) => c.cmd === "rotate_item").map((c) => c.args as { value: string | null });
    expect(rotate[0].value).toBeNull();
  });

  it("shows the next 90 days as a picture and a list, each date once", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByTestId("nav-rotation"));
    const tl = screen.getByTestId("rotation-timeline");
    const rows = within(tl).getAllByTestId("timeline-row");
    const marks = within(tl).getAllByTestId("timeline-mark");
    expect(rows.length).toBeGreaterThan(0);
    expect(marks).toHaveLength(rows.length);
    // Soonest first, and nothing already past (the table above has those).
    const days = marks.map((m) => Number(m.dataset.days)).sort((a, b) => a - b);
    expect(rows.map((r) => Number(r.dataset.days))).toEqual(days);
    expect(days.every((d) => d >= 0 && d <= 90)).toBe(true);
    // DATABASE_URL's provider expiry (in 5 days) is on it as an expiry.
    const db = rows.find((r) => r.textContent?.includes("DATABASE_URL") && r.textContent?.includes("provider expiry"));
    expect(db).toBeDefined();
    expect(db).toHaveTextContent("5 days");
    // Rotating from the list opens the same dialog as the table.
    await user.click(within(db!).getByRole("button", { name: /Rotate DATABASE_URL/ }));
    expect(screen.getByTestId("rotate-dialog")).toBeInTheDocument();
  });
});
