import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp, rowAction } from "../test-utils";

describe("history with restore", () => {
  it("restores an old version as a new one after confirming; no values in the list", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => {
      const it = b.items.find((i) => i.env === "payments/dev" && i.name === "SESSION_SECRET")!;
      it.versions.push({ ...it.versions[0], value: "second-value", created_at: it.versions[0].created_at + 10 });
    });
    await rowAction(user, "payments/dev/SESSION_SECRET", "History of");
    const dialog = await screen.findByTestId("history-dialog");
    await within(dialog).findAllByTestId("history-entry");
    // Only old versions can be restored.
    const restore = within(dialog).getAllByRole("button", { name: /Restore version/ });
    expect(restore).toHaveLength(1);
    expect(dialog.textContent).not.toContain("second-value");
    expect(dialog.textContent).not.toContain("dev-session-secret");

    // Cancel changes nothing.
    await user.click(restore[0]);
    await user.click(await screen.findByTestId("confirm-cancel"));
    expect(backend.calls.some((c) => c.cmd === "restore_version")).toBe(false);

    await user.click(within(dialog).getByRole("button", { name: "Restore version 1 of SESSION_SECRET" }));
    const confirm = await screen.findByTestId("confirm-dialog");
    expect(confirm).toHaveTextContent("Restore version 1?");
    await user.click(within(confirm).getByRole("button", { name: "Restore" }));
    expect(await within(dialog).findByTestId("history-notice")).toHaveTextContent(
      "Version 1 of SESSION_SECRET was restored as the new version 3.",
    );
    await expect.poll(() => within(dialog).getAllByTestId("history-entry").map((e) => e.dataset.version)).toEqual(["3", "2", "1"]);
    const it = backend.items.find((i) => i.name === "SESSION_SECRET")!;
    expect(it.versions.at(-1)!.value).toBe("dev-session-secret-0123456789");
    expect(within(dialog).getAllByRole("button", { name: /Restore version/ })).toHaveLength(2);
  });
});
