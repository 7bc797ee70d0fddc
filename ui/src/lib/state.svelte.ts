// The app's state, shared through Svelte context. All data comes from the
// backend; nothing here holds a credential's value.
import { getContext, setContext } from "svelte";
import type { AppStatus, EnvDto, ItemDto, RotationReport } from "./bindings";
import type { Backend } from "./ipc";
import { errorMessage } from "./errors";

export class AppState {
  status = $state<AppStatus | null>(null);
  // Lists from the backend are replaced whole, never mutated: raw state
  // (no per-item proxies), which keeps 10,000 credentials cheap to load,
  // filter and search (docs/benchmarks-app.md).
  envs = $state.raw<EnvDto[]>([]);
  items = $state.raw<ItemDto[]>([]);
  rotation = $state.raw<RotationReport | null>(null);
  /** A short confirmation, announced politely. */
  notice = $state<string | null>(null);
  /** The last failure, as a sentence. */
  error = $state<string | null>(null);
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly backend: Backend) {}

  get attention(): number {
    const c = this.rotation?.counts;
    return c ? c.exposed + c.expired + c.overdue + c.due_soon : 0;
  }

  async refreshStatus() {
    this.status = await this.backend.call("app_status", null);
  }

  /** At start: Rust opens the identity from the keychain when it has a
   * keychain slot and the setting is on; then listens for the session
   * locking by itself. Resolves to a function that stops listening. */
  async start(): Promise<() => void> {
    const stop = await this.backend.onLocked(() => this.checkLocked());
    this.status = await this.backend.call("unlock_at_start", null);
    return stop;
  }

  /** Rust may have locked the session (idle, screen lock, suspend): if so,
   * forget what was shown; the Unlock screen says why (`lock_reason`). */
  async checkLocked() {
    await this.refreshStatus().catch((e) => (this.error = errorMessage(e)));
    if (!this.status?.unlocked) this.clearVault();
  }

  private clearVault() {
    this.envs = [];
    this.items = [];
    this.rotation = null;
    this.notice = null;
    this.error = null;
  }

  /** Reloads environments, credentials and the rotation report. */
  async refreshVault() {
    // One command, one pass over the vault (docs/benchmarks-app.md).
    const { envs, items, rotation } = await this.backend.call("vault_snapshot", { due_soon_days: null });
    this.envs = envs;
    this.items = items;
    this.rotation = rotation;
  }

  notify(msg: string) {
    this.notice = msg;
    this.error = null;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => (this.notice = null), 6000);
  }

  /** Runs `f`, showing its failure as a readable message; returns whether it worked. */
  async attempt(f: () => Promise<unknown>): Promise<boolean> {
    try {
      await f();
      this.error = null;
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      return false;
    }
  }

  async lock() {
    this.status = await this.backend.call("lock", null);
    this.clearVault();
  }
}

const KEY = Symbol("coffer-app");
export const provideApp = (s: AppState) => setContext(KEY, s);
export const useApp = () => getContext<AppState>(KEY);
