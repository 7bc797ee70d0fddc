import { describe, expect, it, vi } from "vitest";

// A stand-in for Tauri's invoke (a plain function: a rejecting vi.fn()
// leaves a tracked promise that vitest reports as unhandled).
let calls: unknown[][] = [];
let reply: (cmd: string, a: unknown) => Promise<unknown> = async () => null;
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...a: unknown[]) => {
    calls.push(a);
    return reply(a[0] as string, a[1]);
  },
}));

import { generatePageKey, IpcFailure, KEYGEN_ATTEMPTS, PAGE_TO_RUST, RUST_TO_PAGE, TauriBackend, toFailure } from "./ipc";
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

// Rust's end of the sealed channel, played with Node's WebCrypto the way
// coffer-crypto's ipc_channel does it (X25519, HKDF-SHA256 with salt =
// Rust's key then the page's, AES-256-GCM, the command as AAD).
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

class FakeRust {
  opened = 0;
  toRust: CryptoKey | null = null;
  toPage: CryptoKey | null = null;
  async openChannel(pageKey: string): Promise<{ rust_key: string }> {
    this.opened++;
    const pair = (await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"])) as CryptoKeyPair;
    const mine = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const page = unb64(pageKey);
    const peer = await subtle.importKey("raw", page, { name: "X25519" }, false, []);
    const bits = await subtle.deriveBits({ name: "X25519", public: peer }, pair.privateKey, 256);
    const ikm = await subtle.importKey("raw", bits, "HKDF", false, ["deriveKey"]);
    const salt = new Uint8Array([...mine, ...page]);
    const key = (info: string) =>
      subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt, info: enc.encode(info) }, ikm, { name: "AES-GCM", length: 256 }, false, [
        "encrypt",
        "decrypt",
      ]);
    this.toRust = await key(PAGE_TO_RUST);
    this.toPage = await key(RUST_TO_PAGE);
    return { rust_key: b64(mine) };
  }
  async unseal(command: string, v: unknown): Promise<string> {
    const { sealed } = v as { sealed: string };
    const b = unb64(sealed);
    if (!this.toRust) throw { code: "channel", message: "closed" };
    try {
      const pt = await subtle.decrypt({ name: "AES-GCM", iv: b.subarray(0, 12), additionalData: enc.encode(command) }, this.toRust, b.subarray(12));
      return new TextDecoder().decode(pt);
    } catch {
      throw { code: "channel", message: "does not open" };
    }
  }
  async seal(command: string, text: string): Promise<{ sealed: string }> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(command) }, this.toPage as CryptoKey, enc.encode(text)),
    );
    return { sealed: b64(new Uint8Array([...iv, ...ct])) };
  }
}

describe("the sealed channel (TauriBackend)", () => {
  it("seals secret arguments and opens revealed values; nothing else changes", async () => {
    const rust = new FakeRust();
    const seen: string[] = [];
    calls = [];
    reply = async (cmd, a) => {
      const args = (a as { args?: Record<string, unknown> }).args;
      if (cmd === "open_channel") return rust.openChannel(args?.page_key as string);
      seen.push(JSON.stringify(a));
      if (cmd === "unlock") return { unlocked: (await rust.unseal("unlock", args?.password)) === "canary pass phrase" };
      if (cmd === "change_password")
        return [await rust.unseal("change_password", args?.old_password), await rust.unseal("change_password", args?.new_password)];
      if (cmd === "set_item") return args?.value === null ? "kept" : rust.unseal("set_item", args?.value);
      if (cmd === "reveal_item") return { value: await rust.seal("reveal_item", "canary-value") };
      if (cmd === "item_conflicts")
        return { current: { version: { v: 1 }, value: await rust.seal("item_conflicts", "c1") }, waiting: [{ version: { v: 2 }, value: null }] };
      return null;
    };
    const b = new TauriBackend();
    expect(await b.call("unlock", { method: "password", password: "canary pass phrase" })).toEqual({ unlocked: true });
    expect(
      await b.call("change_password", { old_password: "canary old", new_password: "canary new" }),
    ).toEqual(["canary old", "canary new"]);
    expect(await b.call("set_item", { env: "a/b", name: "K", value: null } as never)).toBe("kept");
    expect(await b.call("reveal_item", { env: "a/b", name: "K" })).toEqual({ value: "canary-value" });
    expect(await b.call("item_conflicts", { env: "a/b", name: "K", reveal: true })).toEqual({
      current: { version: { v: 1 }, value: "c1" },
      waiting: [{ version: { v: 2 }, value: null }],
    });
    await b.call("list_envs", null);
    // One channel for all; what crossed holds no secret in the clear.
    expect(rust.opened).toBe(1);
    expect(seen.join("\n")).not.toContain("canary");
    expect(seen.filter((s) => s.includes('"sealed"')).length).toBe(2); // unlock, change_password
    expect(calls.at(-1)).toEqual(["list_envs", {}]);
  });

  it("binds the command: a sealed passphrase does not open as another command's", async () => {
    const rust = new FakeRust();
    let captured: unknown = null;
    reply = async (cmd, a) => {
      const args = (a as { args?: Record<string, unknown> }).args;
      if (cmd === "open_channel") return rust.openChannel(args?.page_key as string);
      captured = args?.password;
      return null;
    };
    await new TauriBackend().call("rate_passphrase", { password: "canary", name: null, email: null } as never);
    await expect(rust.unseal("unlock", captured)).rejects.toMatchObject({ code: "channel" });
    expect(await rust.unseal("rate_passphrase", captured)).toBe("canary");
  });

  it("opens a new channel once when Rust dropped it (a lock), then sends again", async () => {
    const rust = new FakeRust();
    reply = async (cmd, a) => {
      const args = (a as { args?: Record<string, unknown> }).args;
      if (cmd === "open_channel") return rust.openChannel(args?.page_key as string);
      if (cmd === "lock") {
        rust.toRust = null;
        return null;
      }
      return rust.unseal(cmd, args?.password);
    };
    const b = new TauriBackend();
    expect(await b.call("unlock", { method: "password", password: "first" })).toBe("first");
    await b.call("lock", null);
    expect(await b.call("unlock", { method: "password", password: "second" })).toBe("second");
    expect(rust.opened).toBe(2);
    // A channel that keeps failing is reported, not retried forever.
    const stuck = new TauriBackend();
    reply = async (cmd, a) => {
      const args = (a as { args?: Record<string, unknown> }).args;
      if (cmd === "open_channel") return rust.openChannel(args?.page_key as string);
      throw { code: "channel", message: "the sealed channel to the page is closed" };
    };
    const opened = rust.opened;
    await expect(stuck.call("unlock", { method: "password", password: "x" })).rejects.toMatchObject({ code: "channel" });
    expect(rust.opened - opened).toBe(2);
  });
});

// WebKitGTK's X25519 generateKey throws OperationError about once in 256
// calls (a CI run of the memory e2e test lost its first run to it).
describe("the page's key pair", () => {
  const operationError = () => new DOMException("The operation failed for an operation-specific reason", "OperationError");
  /** `subtle` whose generateKey fails `n` times with `err()` first. */
  function flaky(n: number, err = operationError) {
    let calls = 0;
    const fake = {
      generateKey: (...a: Parameters<SubtleCrypto["generateKey"]>) => {
        calls++;
        if (calls <= n) return Promise.reject(err());
        return subtle.generateKey(...a);
      },
    } as unknown as SubtleCrypto;
    return { fake, calls: () => calls };
  }

  it("asks again after WebKit's OperationError and returns a working, private key pair", async () => {
    const f = flaky(3);
    const pair = await generatePageKey(f.fake);
    expect(f.calls()).toBe(4);
    expect(pair.privateKey.extractable).toBe(false);
    expect((await subtle.exportKey("raw", pair.publicKey)).byteLength).toBe(32);
  });

  it("gives up after KEYGEN_ATTEMPTS failures, and at once on any other error", async () => {
    const always = flaky(Number.POSITIVE_INFINITY);
    await expect(generatePageKey(always.fake)).rejects.toMatchObject({ name: "OperationError" });
    expect(always.calls()).toBe(KEYGEN_ATTEMPTS);
    const other = flaky(1, () => new DOMException("no X25519 here", "NotSupportedError"));
    await expect(generatePageKey(other.fake)).rejects.toMatchObject({ name: "NotSupportedError" });
    expect(other.calls()).toBe(1);
  });

  it("the channel opens through a failed key generation and carries the passphrase", async () => {
    const rust = new FakeRust();
    reply = async (cmd, a) => {
      const args = (a as { args?: Record<string, unknown> }).args;
      if (cmd === "open_channel") return rust.openChannel(args?.page_key as string);
      return rust.unseal(cmd, args?.password);
    };
    const real = subtle.generateKey.bind(subtle);
    let failures = 2;
    const spy = vi.spyOn(subtle, "generateKey").mockImplementation(((...a: Parameters<SubtleCrypto["generateKey"]>) =>
      failures-- > 0 ? Promise.reject(operationError()) : real(...a)) as SubtleCrypto["generateKey"]);
    try {
      expect(await new TauriBackend().call("unlock", { method: "password", password: "through" })).toBe("through");
      expect(rust.opened).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });
});
