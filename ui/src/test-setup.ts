import "@testing-library/jest-dom/vitest";
import "@testing-library/svelte/vitest";

// jsdom has no modal dialogs: enough of <dialog> for the components.
if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
}

// jsdom has no layout, so nothing ever resizes: an observer that never fires
// (the windowed table falls back to its overscan; browser tests cover it).
if (typeof globalThis.ResizeObserver === "undefined") {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
}
