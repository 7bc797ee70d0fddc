import { render, screen, within } from "@testing-library/svelte";
import type { UserEvent } from "@testing-library/user-event";
import App from "./App.svelte";
import { MockBackend } from "./lib/mock";
import { AppState } from "./lib/state.svelte";

/** Renders the whole app over a MockBackend in a preset state. */
export function renderApp(preset: "empty" | "locked" | "unlocked" | "missing" | "biglog" | "hygiene" = "empty", tweak?: (b: MockBackend) => void) {
  const backend = MockBackend.preset(preset);
  tweak?.(backend);
  const app = new AppState(backend);
  const r = render(App, { props: { app } });
  return { ...r, backend, app };
}

/** The list's row of `key` (`PROJECT/ENV/NAME`), once shown. */
export async function findRow(key: string): Promise<HTMLElement> {
  const rows = await screen.findAllByTestId("item-row");
  const r = rows.find((x) => x.dataset.item === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
}

/** Opens `key` in the detail pane from its row; returns the pane. */
export async function openItem(user: UserEvent, key: string): Promise<HTMLElement> {
  const name = key.split("/").pop()!;
  await user.click(within(await findRow(key)).getByRole("button", { name: `Show ${name}` }));
  const pane = await screen.findByTestId("detail-pane");
  if (pane.dataset.item !== key) throw new Error(`the pane shows ${pane.dataset.item}, not ${key}`);
  return pane;
}

/** Picks `action` ("Edit", "History of", "Share", "Delete") in the "⋯" menu of `key`'s row. */
export async function rowAction(user: UserEvent, key: string, action: string): Promise<void> {
  const name = key.split("/").pop()!;
  await user.click(within(await findRow(key)).getByRole("button", { name: `More actions for ${name}` }));
  await user.click(within(await screen.findByRole("menu")).getByRole("menuitem", { name: `${action} ${name}` }));
}

/** Chooses the option of the app's drop-down (Select.svelte) `combobox`
 * whose value (or, failing that, label) is `choice`, as a user does: opens
 * it, clicks the option. */
export async function selectIn(user: UserEvent, combobox: HTMLElement, choice: string): Promise<void> {
  if (combobox.getAttribute("aria-expanded") !== "true") await user.click(combobox);
  const list = document.getElementById(combobox.getAttribute("aria-controls") ?? "");
  if (!list) throw new Error("the drop-down did not open");
  const byValue = [...list.querySelectorAll<HTMLElement>('[role="option"]')].find((o) => o.dataset.value === choice);
  await user.click(byValue ?? within(list).getByRole("option", { name: choice }));
}
