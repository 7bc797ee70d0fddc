import { render } from "@testing-library/svelte";
import App from "./App.svelte";
import { MockBackend } from "./lib/mock";
import { AppState } from "./lib/state.svelte";

/** Renders the whole app over a MockBackend in a preset state. */
export function renderApp(preset: "empty" | "locked" | "unlocked" | "missing" | "biglog" = "empty", tweak?: (b: MockBackend) => void) {
  const backend = MockBackend.preset(preset);
  tweak?.(backend);
  const app = new AppState(backend);
  const r = render(App, { props: { app } });
  return { ...r, backend, app };
}
