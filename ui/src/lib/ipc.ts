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

/** The real backend: Tauri's `invoke`. */
export class TauriBackend implements Backend {
  async call<K extends Command>(cmd: K, args: Args<K>): Promise<Result<K>> {
    try {
      return await invoke<Result<K>>(cmd, args === null ? {} : { args });
    } catch (e) {
      throw toFailure(e);
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
