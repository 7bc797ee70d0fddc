import { describe, expect, it, vi } from "vitest";

// A stand-in for Tauri's invoke (a plain function: a rejecting vi.fn()
// leaves a tracked promise that vitest reports as unhandled).
let calls: unknown[][] = [];
let reply: () => Promise<unknown> = async () => null;
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...a: unknown[]) => {
    calls.push(a);
    return reply();
  },
}));

import { IpcFailure, TauriBackend, toFailure } from "./ipc";
import { errorMessage } from "./errors";

describe("TauriBackend", () => {
  it("passes arguments as { args } and nothing for argument-less commands", async () => {
    calls = [];
    reply = async () => [];
    const b = new TauriBackend();
    await b.call("list_items", { scope: "payments/prod" });
    await b.call("list_envs", null);
    expect(calls).toEqual([
      ["list_items", { args: { scope: "payments/prod" } }],
      ["list_envs", {}],
    ]);
  });

  it("turns the Rust IpcError into an IpcFailure with its code", async () => {
    reply = () => Promise.reject({ code: "not_found", message: "environment a/b not found" });
    let err: unknown;
    try {
      await new TauriBackend().call("list_envs", null);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpcFailure);
    expect((err as IpcFailure).code).toBe("not_found");
    expect(errorMessage(err)).toBe("Environment a/b not found.");
  });

  it("treats anything else as internal, as a sentence", () => {
    const f = toFailure("Command foo not allowed by ACL");
    expect(f.code).toBe("internal");
    expect(errorMessage("Command foo not allowed by ACL")).toBe("Command foo not allowed by ACL.");
    expect(errorMessage({ code: "locked", message: "x" })).toBe("The vault is locked. Unlock it to continue.");
  });

  it("drops CLI hints from vault messages", () => {
    expect(errorMessage({ code: "not_found", message: "no vault at /v: create one with `coffer init --name TEAM`" })).toBe(
      "No vault at /v.",
    );
  });
});
