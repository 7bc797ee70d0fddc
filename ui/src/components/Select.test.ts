import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { createRawSnippet } from "svelte";
import Select from "./Select.svelte";
import Modal from "./Modal.svelte";

const OPTIONS = [
  { value: "none", label: "None" },
  { value: "read", label: "Read", hint: "reads what they are granted" },
  { value: "write", label: "Write" },
  { value: "wipe", label: "Wipe", disabled: true },
  { value: "rotate", label: "Rotate" },
];

function setup(props: Partial<{ value: string; onchange: (v: string) => void; disabled: boolean; label: string }> = {}) {
  const user = userEvent.setup();
  const onchange = props.onchange ?? vi.fn();
  render(Select, { props: { value: "read", options: OPTIONS, label: "Access", testid: "sel", ...props, onchange } });
  const box = screen.getByRole("combobox", { name: props.label ?? "Access" });
  return { user, box, onchange };
}

const listOf = (box: HTMLElement) => document.getElementById(box.getAttribute("aria-controls")!);
const activeOf = (box: HTMLElement) => document.getElementById(box.getAttribute("aria-activedescendant") ?? "")?.textContent?.trim();

describe("Select (the app's drop-down)", () => {
  it("shows the chosen label and opens on a click with the chosen option active and ticked", async () => {
    const { user, box } = setup();
    expect(box).toHaveTextContent("Read");
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(listOf(box)).toBeNull();
    await user.click(box);
    expect(box).toHaveAttribute("aria-expanded", "true");
    const list = listOf(box)!;
    expect(within(list).getAllByRole("option").map((o) => o.getAttribute("aria-selected"))).toEqual(["false", "true", "false", "false", "false"]);
    expect(activeOf(box)).toMatch(/^✓\s*Read/);
    expect(within(list).getByRole("option", { name: /Read/ })).toHaveTextContent("reads what they are granted");
  });

  it("is operated by keyboard: arrows skip a disabled choice, Enter chooses, focus stays on the button", async () => {
    const { user, box, onchange } = setup();
    box.focus();
    await user.keyboard("{ArrowDown}");
    expect(box).toHaveAttribute("aria-expanded", "true");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(activeOf(box)).toBe("Rotate"); // Wipe is disabled
    await user.keyboard("{Home}");
    expect(activeOf(box)).toBe("None");
    await user.keyboard("{End}{Enter}");
    expect(onchange).toHaveBeenCalledWith("rotate");
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(document.activeElement).toBe(box);
  });

  it("jumps by typing, opens on a letter, and Space chooses", async () => {
    const { user, box, onchange } = setup();
    box.focus();
    await user.keyboard("w");
    expect(box).toHaveAttribute("aria-expanded", "true");
    expect(activeOf(box)).toBe("Write");
    await user.keyboard("r");
    // "wr" matches Write still (one word typed), not Read or Rotate.
    expect(activeOf(box)).toBe("Write");
    await user.keyboard("{Enter}");
    expect(onchange).toHaveBeenCalledWith("write");
    // Space chooses too (when not part of what is being typed).
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown} ");
    expect(onchange).toHaveBeenLastCalledWith("rotate");
  });

  it("Escape closes the list but not the dialog around it; choosing the same value changes nothing", async () => {
    const user = userEvent.setup();
    const onclose = vi.fn();
    const onchange = vi.fn();
    const children = createRawSnippet(() => ({ render: () => "<div></div>" }));
    render(Modal, { props: { title: "A dialog", onclose, children } });
    const host = document.querySelector("dialog div")!;
    render(Select, { target: host as HTMLElement, props: { value: "none", options: OPTIONS, label: "Level", onchange } });
    const box = screen.getByRole("combobox", { name: "Level" });
    box.focus();
    await user.keyboard("{Enter}");
    expect(box).toHaveAttribute("aria-expanded", "true");
    await user.keyboard("{Escape}");
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(onclose).not.toHaveBeenCalled();
    await user.keyboard("{Enter}{Enter}");
    expect(onchange).not.toHaveBeenCalled();
  });

  it("closes on a click elsewhere and chooses on a click on an option; Tab chooses and moves on", async () => {
    const { user, box, onchange } = setup();
    await user.click(box);
    await user.click(document.body);
    expect(box).toHaveAttribute("aria-expanded", "false");
    await user.click(box);
    await user.click(within(listOf(box)!).getByRole("option", { name: "None" }));
    expect(onchange).toHaveBeenLastCalledWith("none");
    box.focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{Tab}");
    expect(onchange).toHaveBeenLastCalledWith("write");
    expect(box).toHaveAttribute("aria-expanded", "false");
  });

  it("is controlled with onchange (shows what the parent says) and a disabled one does not open", async () => {
    const { user, box } = setup();
    await user.click(box);
    await user.click(within(listOf(box)!).getByRole("option", { name: "Write" }));
    // The parent did not take the change: the button still says Read.
    expect(box).toHaveTextContent("Read");
    expect(box).toHaveProperty("value", "read");
    const off = setup({ disabled: true, label: "Off" });
    await off.user.click(off.box);
    expect(off.box).toHaveAttribute("aria-expanded", "false");
  });
});
