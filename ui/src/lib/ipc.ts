// The only module that talks to Rust. Everything else uses a `Backend`:
// `TauriBackend` in the app, `MockBackend` (./mock.ts) in tests and in the
// mock build used by the browser tests. Command names, argument and result
// types come from ./bindings.ts, generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Commands, IpcError, IpcErrorCode, LockReason, LockedEvent, VaultChangedEvent } from "./bindings";

export type Command = keyof Commands;
export type Args<K extends Command> = Commands[K]["args"];
export type Result<K extends Command> = Commands[K]["result"];

/** What the UI needs from the Rust side. */
export interface Backend {
  call<K extends Command>(cmd: K, args: Args<K>): Promise<Result<K>>;
  /** Calls `cb` when Rust locks the session by itself (idle, screen lock,
   * suspend); resolves to a function that stops listening. */
  onLocked(cb: (reason: LockReason) => void): Promise<() => void>;
  /** Calls `cb` when another program (the `coffer` CLI) changed the open
   * vault; resolves to a function that stops listening. */
  onVaultChanged(cb: () => void): Promise<() => void>;
}

/** The commands that change the vault: each adds an entry to this
 * device's feed, so the app syncs soon after one succeeds. */
export const CHANGES: ReadonlySet<Command> = new Set<Command>([
  "add_env",
  "rename_env",
  "remove_env",
  "set_item",
  "delete_item",
  "rotate_item",
  "restore_version",
  "add_member",
  "set_member_role",
  "set_access",
  "share_item",
  "unshare_item",
  "offboard_member",
  "resolve_conflict",
  "scan_mark_exposed",
  "set_override",
  "remove_override",
  "set_env_policy",
]);

/** The event Rust emits when it locks the session by itself. */
export const LOCKED_EVENT = "session-locked";
/** The event Rust emits when another program changed the open vault
 * (src-tauri/src/vaultwatch.rs). */
export const CHANGED_EVENT = "vault-changed";

/** A failed command: the Rust `IpcError`, as an `Error`. */
export class IpcFailure extends Error {
  readonly code: IpcErrorCode;
  constructor(code: IpcErrorCode, message: string) {
    super(message);
    this.name = "IpcFailure";
    this.code = code;
  }
}

function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as IpcError).code === "string" &&
    typeof (e as IpcError).message === "string"
  );
}

/** Turns whatever a command rejected with into an `IpcFailure`. */
export function toFailure(e: unknown): IpcFailure {
  if (e instanceof IpcFailure) return e;
  if (isIpcError(e)) return new IpcFailure(e.code, e.message);
  // Tauri rejects with a string when a command is unknown or not permitted.
  return new IpcFailure("internal", typeof e === "string" ? e : String((e as Error)?.message ?? e));
}

/** The secret arguments of each command: sealed to Rust before `invoke`
 * (docs/desktop.md, "IPC"). `unlock` and `rebuild_vault` take `UnlockArgs`,
 * whose `password` is there only for the passphrase method. */
export const SEALED_ARGS: { readonly [K in Command]?: readonly string[] } = {
  create_identity: ["password"],
  unlock: ["password"],
  rebuild_vault: ["password"],
  change_password: ["old_password", "new_password"],
  rate_passphrase: ["password"],
  set_item: ["value"],
  set_override: ["value"],
  rotate_item: ["value"],
};

/** The commands whose results carry values Rust sealed to the page
 * (`{sealed}` wherever the bindings say a value string). */
export const SEALED_RESULTS: ReadonlySet<Command> = new Set<Command>(["reveal_item", "generate_value", "item_conflicts"]);

/** HKDF contexts, the same strings as coffer-crypto's `ipc_channel`. */
export const PAGE_TO_RUST = "coffer ipc channel v1: page to rust";
export const RUST_TO_PAGE = "coffer ipc channel v1: rust to page";

const utf8 = new TextEncoder();

function toB64(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

function fromB64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** How many times the page asks WebCrypto for its X25519 key pair. */
export const KEYGEN_ATTEMPTS = 8;

/** A fresh X25519 key pair (private key not extractable). WebKitGTK's
 * `generateKey` for X25519 throws `OperationError` about once in 250 calls
 * (measured: 41 in 10,000 on WebKitGTK 2.50.6, whose WebCrypto uses
 * libgcrypt: about the rate of a key whose encoding starts with a zero
 * byte), so the page asks again, at most `KEYGEN_ATTEMPTS` times (all fail
 * with a chance of about 2^-63). Each try is an independent random key;
 * skipping the rare one WebKit cannot encode costs no measurable entropy.
 * Any other error, or the last one, is thrown. */
export async function generatePageKey(subtle: SubtleCrypto, attempts = KEYGEN_ATTEMPTS): Promise<CryptoKeyPair> {
  for (let i = 1; ; i++) {
    try {
      return (await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"])) as CryptoKeyPair;
    } catch (e) {
      const operational = e instanceof DOMException && e.name === "OperationError";
      if (!operational || i >= attempts) throw e;
    }
  }
}

/** The page's end of the sealed channel: an ephemeral X25519 key pair
 * (WebCrypto, private key not extractable), Rust's public key, and one
 * AES-256-GCM key per direction (HKDF-SHA256, salt = Rust's public key then
 * the page's). Each message: a random 12-byte nonce, then the ciphertext;
 * the command's name is the associated data. */
export class SealedChannel {
  private constructor(
    private readonly toRust: CryptoKey,
    private readonly toPage: CryptoKey,
  ) {}

  /** Opens a channel with `openOnRust` (the `open_channel` command). */
  static async open(openOnRust: (pageKey: string) => Promise<string>): Promise<SealedChannel> {
    const subtle = globalThis.crypto.subtle;
    const pair = await generatePageKey(subtle);
    const mine = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const theirs = fromB64(await openOnRust(toB64(mine)));
    const peer = await subtle.importKey("raw", theirs, { name: "X25519" }, false, []);
    const shared = await subtle.deriveBits({ name: "X25519", public: peer }, pair.privateKey, 256);
    const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    const salt = new Uint8Array(64);
    salt.set(theirs, 0);
    salt.set(mine, 32);
    const key = (info: string, usage: KeyUsage) =>
      subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(info) },
        ikm,
        { name: "AES-GCM", length: 256 },
        false,
        [usage],
      );
    return new SealedChannel(await key(PAGE_TO_RUST, "encrypt"), await key(RUST_TO_PAGE, "decrypt"));
  }

  /** `{sealed}`: `text` for `command`, as Rust's `IpcSecret` reads it. */
  async seal(command: string, text: string): Promise<{ sealed: string }> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const pt = utf8.encode(text);
    try {
      const ct = new Uint8Array(
        await globalThis.crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(command) }, this.toRust, pt),
      );
      const out = new Uint8Array(12 + ct.length);
      out.set(iv, 0);
      out.set(ct, 12);
      return { sealed: toB64(out) };
    } finally {
      pt.fill(0);
    }
  }

  /** Opens a value Rust sealed as the result of `command`. */
  async open(command: string, sealed: string): Promise<string> {
    const b = fromB64(sealed);
    const pt = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: "AES-GCM", iv: b.subarray(0, 12), additionalData: utf8.encode(command) },
        this.toPage,
        b.subarray(12),
      ),
    );
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(pt);
    } finally {
      pt.fill(0);
    }
  }
}

function isSealed(v: unknown): v is { sealed: string } {
  return typeof v === "object" && v !== null && Object.keys(v).length === 1 && typeof (v as { sealed?: unknown }).sealed === "string";
}

/** `v` with every `{sealed}` in it opened (a result of `command`). */
async function openAll(ch: SealedChannel, command: string, v: unknown): Promise<unknown> {
  if (isSealed(v)) return ch.open(command, v.sealed);
  if (Array.isArray(v)) return Promise.all(v.map((x) => openAll(ch, command, x)));
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await openAll(ch, command, x);
    return out;
  }
  return v;
}

/** The real backend: Tauri's `invoke`. Secret arguments and revealed
 * values cross sealed (`SEALED_ARGS`, `SEALED_RESULTS`), so the app
 * process, through which IPC passes, only sees ciphertext. */
export class TauriBackend implements Backend {
  private channel: Promise<SealedChannel> | null = null;

  private ensureChannel(): Promise<SealedChannel> {
    this.channel ??= SealedChannel.open(async (pageKey) => {
      const r = await invoke<Result<"open_channel">>("open_channel", { args: { page_key: pageKey } });
      return r.rust_key;
    }).catch((e: unknown) => {
      this.channel = null;
      throw e;
    });
    return this.channel;
  }

  private async callOnce<K extends Command>(cmd: K, args: Args<K>): Promise<Result<K>> {
    const fields = SEALED_ARGS[cmd];
    const sealsResult = SEALED_RESULTS.has(cmd);
    const used = fields || sealsResult ? this.ensureChannel() : null;
    const ch = used ? await used : null;
    let wire: unknown = args;
    if (ch && fields && args !== null) {
      const copy: Record<string, unknown> = { ...(args as Record<string, unknown>) };
      for (const f of fields) {
        if (typeof copy[f] === "string") copy[f] = await ch.seal(cmd, copy[f]);
      }
      wire = copy;
    }
    try {
      const out = await invoke<Result<K>>(cmd, wire === null ? {} : { args: wire });
      return ch && sealsResult ? ((await openAll(ch, cmd, out)) as Result<K>) : out;
    } catch (e) {
      const f = toFailure(e);
      // Rust dropped the channel (a lock) or has another one: open anew.
      if (f.code === "channel" && this.channel === used) this.channel = null;
      throw f;
    }
  }

  async call<K extends Command>(cmd: K, args: Args<K>): Promise<Result<K>> {
    try {
      return await this.callOnce(cmd, args);
    } catch (e) {
      const f = toFailure(e);
      if (f.code !== "channel") throw f;
      // Once, on a fresh channel.
      try {
        return await this.callOnce(cmd, args);
      } catch (e2) {
        throw toFailure(e2);
      }
    }
  }

  async onLocked(cb: (reason: LockReason) => void): Promise<() => void> {
    return listen<LockedEvent>(LOCKED_EVENT, (e) => cb(e.payload.reason));
  }

  async onVaultChanged(cb: () => void): Promise<() => void> {
    return listen<VaultChangedEvent>(CHANGED_EVENT, () => cb());
  }
}

/** The backend for this build: the mock build (`--mode mock`) runs over the
 * in-memory MockBackend (chosen by `?mock=empty|locked|seeded`); the app
 * over Tauri. The mock is not in the app's bundle (dead code there). */
export async function createBackend(): Promise<Backend> {
  if (import.meta.env.MODE === "mock") {
    const { MockBackend } = await import("./mock");
    const preset = new URLSearchParams(location.search).get("mock") ?? "empty";
    return MockBackend.preset(preset);
  }
  return new TauriBackend();
}
