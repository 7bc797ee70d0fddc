import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { renderApp } from "../test-utils";

const STRIPE = "sk_live_51H8xQ2eZvKYlo2C";

describe("scan a folder", () => {
  it("finds values grouped by credential, never shows one, and marks exposed for the rotation dashboard", async () => {
    const user = userEvent.setup();
    const { backend, container } = renderApp("unlocked");
    await user.click(await screen.findByTestId("nav-scan"));
    await user.type(screen.getByTestId("scan-folder"), "~/project");
    await user.click(screen.getByTestId("scan-start"));
    // Progress while Rust reads the files.
    expect(await screen.findByTestId("scan-progress")).toBeInTheDocument();
    const cards = await screen.findAllByTestId("scan-credential");
    expect(cards.map((c) => c.dataset.item)).toEqual(["payments/prod/STRIPE_KEY", "web/prod/SENTRY_DSN"]);
    const stripe = cards[0];
    expect(within(stripe).getByTestId("scan-version")).toHaveTextContent("Version 1 · current");
    expect(within(stripe).getByTestId("scan-place")).toHaveTextContent(".env.local:2");
    expect(within(cards[1]).getByTestId("scan-exposed")).toBeInTheDocument();
    expect(container.textContent).not.toContain(STRIPE);
    expect(container.textContent).not.toContain(STRIPE.slice(0, 10));
    const scan = backend.calls.find((c) => c.cmd === "scan_folder")!.args;
    expect(scan).toEqual({ path: "~/project", respect_gitignore: false, current_only: false });

    await user.click(within(stripe).getByTestId("scan-mark"));
    expect(await screen.findByTestId("toast")).toHaveTextContent("Marked 1 credential exposed");
    expect(within(stripe).getByTestId("scan-exposed")).toBeInTheDocument();
    await user.click(screen.getByTestId("nav-rotation"));
    const rows = await screen.findAllByTestId("rotation-row");
    expect(rows.some((r) => r.dataset.item === "payments/prod/STRIPE_KEY" && r.textContent?.includes("Exposed"))).toBe(true);
  });

  it("finds a deleted credential's value and says so: deleting it in Coffer revokes nothing at the provider", async () => {
    const user = userEvent.setup();
    renderApp("unlocked", (b) => {
      b.items.find((i) => i.env === "payments/prod" && i.name === "STRIPE_KEY")!.deleted = true;
    });
    await user.click(await screen.findByTestId("nav-scan"));
    await user.type(screen.getByTestId("scan-folder"), "~/project");
    await user.click(screen.getByTestId("scan-start"));
    const cards = await screen.findAllByTestId("scan-credential");
    const stripe = cards.find((c) => c.dataset.item === "payments/prod/STRIPE_KEY")!;
    const tag = within(stripe).getByTestId("scan-version");
    expect(tag).toHaveTextContent("Version 1 · deleted");
    expect(tag.title).toMatch(/does not revoke it at the provider/);
  });

  it("respects .gitignore when asked, and cancels a long scan", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp("unlocked", (b) => (b.scanStepMs = 200));
    await user.click(await screen.findByTestId("nav-scan"));
    await user.type(screen.getByTestId("scan-folder"), "/home/ada/project");
    await user.click(screen.getByTestId("scan-gitignore"));
    await user.click(screen.getByTestId("scan-start"));
    await user.click(await screen.findByTestId("scan-cancel"));
    expect(await screen.findByTestId("scan-summary")).toHaveTextContent("Cancelled.");
    expect(backend.calls.some((c) => c.cmd === "scan_cancel")).toBe(true);
    backend.scanStepMs = 0;
    await user.click(screen.getByTestId("scan-start"));
    const cards = await screen.findAllByTestId("scan-credential");
    expect(cards.map((c) => c.dataset.item)).toEqual(["web/prod/SENTRY_DSN"]);
  });

  it("opens a found credential in the vault view; the results are still there on return, and gone after a lock", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByTestId("nav-scan"));
    await user.type(screen.getByTestId("scan-folder"), "~/project");
    await user.click(screen.getByTestId("scan-start"));
    const cards = await screen.findAllByTestId("scan-credential");
    await user.click(within(cards[0]).getByTestId("scan-open"));
    expect((await screen.findByTestId("detail-pane")).dataset.item).toBe("payments/prod/STRIPE_KEY");
    await user.click(screen.getByTestId("nav-scan"));
    expect(screen.getAllByTestId("scan-credential")).toHaveLength(2);
    expect(screen.getByTestId("scan-folder")).toHaveValue("~/project");
    await user.click(screen.getByTestId("lock"));
    await user.type(await screen.findByLabelText("Passphrase"), "correct horse battery staple");
    await user.keyboard("{Enter}");
    await user.click(await screen.findByTestId("nav-scan"));
    expect(screen.queryAllByTestId("scan-credential")).toHaveLength(0);
    expect(screen.getByTestId("scan-folder")).toHaveValue("");
  });

  it("refuses a typed folder outside home with Rust's sentence", async () => {
    const user = userEvent.setup();
    renderApp("unlocked");
    await user.click(await screen.findByTestId("nav-scan"));
    await user.type(screen.getByTestId("scan-folder"), "/srv/shared");
    await user.click(screen.getByTestId("scan-start"));
    expect(await screen.findByTestId("scan-error")).toHaveTextContent(/outside your home folder/);
  });
});

describe("hygiene panel", () => {
  it("groups reused values and placeholders, explains them, and opens the credential", async () => {
    const user = userEvent.setup();
    const { container } = renderApp("hygiene");
    await user.click(await screen.findByTestId("nav-hygiene"));
    const reused = await screen.findByTestId("hygiene-group-reused");
    expect(reused).toHaveTextContent("The same value in several places");
    expect(within(reused).getByTestId("hygiene-finding")).toHaveTextContent("2 credentials share one value, in 2 projects.");
    const links = within(reused).getAllByTestId("hygiene-open").map((b) => b.dataset.item);
    expect(links.sort()).toEqual(["payments/prod/STRIPE_KEY", "web/prod/STRIPE_KEY"]);
    const ph = screen.getByTestId("hygiene-group-placeholder");
    expect(within(ph).getByTestId("hygiene-finding")).toHaveTextContent("Looks like a placeholder in payments/prod.");
    expect(container.textContent).not.toContain(STRIPE);
    expect(container.textContent).not.toContain("your_smtp");

    await user.click(within(ph).getByTestId("hygiene-open"));
    const pane = await screen.findByTestId("detail-pane");
    expect(pane.dataset.item).toBe("payments/prod/SMTP_PASSWORD");
  });

  it("shows generated values shorter than the policy, and marks your own personal override in a reuse", async () => {
    const user = userEvent.setup();
    renderApp("hygiene", (b) => {
      b.handlers.hygiene_report = () => [
        {
          kind: "reused",
          credentials: [
            { env_path: "payments/dev", name: "STRIPE_KEY", personal_override: true },
            { env_path: "payments/prod", name: "STRIPE_KEY", personal_override: false },
          ],
          detail: "the same value in 2 environments",
        },
        {
          kind: "short",
          credentials: [{ env_path: "payments/prod", name: "SESSION_SECRET", personal_override: false }],
          detail: "generated with 16 characters; payments/prod asks for at least 40 (rotate it with --generate)",
        },
      ];
    });
    await user.click(await screen.findByTestId("nav-hygiene"));
    const short = await screen.findByTestId("hygiene-group-short");
    expect(short).toHaveTextContent("Generated values shorter than the policy");
    expect(within(short).getByTestId("hygiene-finding")).toHaveTextContent("asks for at least 40");
    const reused = screen.getByTestId("hygiene-group-reused");
    const tags = within(reused).getAllByTestId("hygiene-override");
    expect(tags).toHaveLength(1);
    expect(tags[0].closest("li")).toHaveTextContent("payments/dev/STRIPE_KEY");
  });
});
