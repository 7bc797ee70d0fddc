// The app's state, shared through Svelte context. All data comes from the
// backend; nothing here holds a credential's value.
import { getContext, setContext } from "svelte";
import type { AppStatus, EnvDto, ItemDto, RotationReport, SyncOutcomeDto, SyncStateDto } from "./bindings";
import { CHANGES, type Backend } from "./ipc";
import { errorMessage } from "./errors";
import { ScanSession } from "./scan.svelte";

/** How long after a change the app syncs (a burst of changes, one sync). */
export const SYNC_AFTER_CHANGE_MS = 1500;
/** How often an open vault syncs on its own. */
export const SYNC_EVERY_MS = 60_000;

export class AppState {
  status = $state<AppStatus | null>(null);
  // Lists from the backend are replaced whole, never mutated: raw state
  // (no per-item proxies), which keeps 10,000 credentials cheap to load,
  // filter and search (docs/benchmarks-app.md).
  envs = $state.raw<EnvDto[]>([]);
  /** The environments this identity may change (`EnvDto.writable`, the
   * vault's own rule): elsewhere the app offers no add, edit, rotate,
   * share, delete or restore. */
  #writable = $derived(new Set(this.envs.filter((e) => e.writable).map((e) => e.path)));
  canWrite(envPath: string): boolean {
    return this.#writable.has(envPath);
  }
  /** This identity is an owner or admin: the app offers adding, renaming
   * and removing environments. */
  manages = $state(false);
  items = $state.raw<ItemDto[]>([]);
  rotation = $state.raw<RotationReport | null>(null);
  /** A short confirmation, announced politely. */
  notice = $state<string | null>(null);
  /** The last failure, as a sentence. */
  error = $state<string | null>(null);
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where the user was in the vault (project and environment), kept in
   * memory across a lock so that unlocking lands there again. */
  place: { project: string | null; env: string | null } = { project: null, env: null };
  /** The backend; a successful change also schedules a sync. */
  readonly backend: Backend;

  // ----- sync --------------------------------------------------------------
  /** Where this vault syncs and how it stands (null until loaded). */
  sync = $state<SyncStateDto | null>(null);
  /** A sync is running. */
  syncing = $state(false);
  /** Why the last sync failed (the folder offline, git refused…), if it did. */
  syncError = $state<string | null>(null);
  /** What the last sync did (refused entries and warnings included). */
  lastSync = $state.raw<SyncOutcomeDto | null>(null);
  #syncSoon: ReturnType<typeof setTimeout> | undefined;
  #syncAgain = false;
  /** "Scan a folder": its options, progress and last results. */
  scan = $state.raw<ScanSession>(null as unknown as ScanSession);

  constructor(backend: Backend) {
    this.backend = {
      call: async (cmd, args) => {
        const out = await backend.call(cmd, args);
        if (CHANGES.has(cmd) && this.sync?.configured) {
          // The sidebar counts the change as waiting, then it goes out.
          this.loadSync().catch(() => {});
          this.syncSoon();
        }
        return out;
      },
      onLocked: (cb) => backend.onLocked(cb),
      onVaultChanged: (cb) => backend.onVaultChanged(cb),
    };
    this.scan = this.newScan();
  }

  private newScan(): ScanSession {
    return new ScanSession(this.backend, async (message) => {
      await this.refreshVault();
      this.notify(message);
    });
  }

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
    const stopWatching = await this.backend.onVaultChanged(() => void this.changedOutside());
    this.status = await this.backend.call("unlock_at_start", null);
    return () => {
      stop();
      stopWatching();
    };
  }

  /** Bumped each time another program changed the vault and the lists
   * were reloaded: screens with their own data (members, audit) reload
   * when it moves. */
  outsideChanges = $state(0);
  #reloading = false;
  #reloadAgain = false;

  /** Another program (the `coffer` CLI) changed the open vault: reload
   * the lists, as after a sync, without losing the user's place (the
   * selection, the scroll, open dialogs and unsaved edits stay; a revealed
   * value whose version changed is masked by ValueCell). Changes arriving
   * during a reload cause one more reload, not one each. */
  async changedOutside() {
    if (!this.status?.unlocked) return;
    if (this.#reloading) {
      this.#reloadAgain = true;
      return;
    }
    this.#reloading = true;
    try {
      await this.refreshVault();
      this.outsideChanges++;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.#reloading = false;
    }
    if (this.#reloadAgain) {
      this.#reloadAgain = false;
      await this.changedOutside();
    }
  }

  /** Rust may have locked the session (idle, screen lock, suspend): if so,
   * forget what was shown; the Unlock screen says why (`lock_reason`). */
  async checkLocked() {
    await this.refreshStatus().catch((e) => (this.error = errorMessage(e)));
    if (!this.status?.unlocked) this.clearVault();
  }

  /** Reads the sync state (no fetch). */
  async loadSync() {
    this.sync = await this.backend.call("sync_state", null);
  }

  /** Syncs now, if the vault syncs: the other devices' entries are
   * verified and applied, this device's published. A sync asked for while
   * one runs runs after it. Failures are kept in `syncError` (shown in the
   * sidebar), never thrown: the app works offline. */
  async syncNow() {
    if (!this.sync?.configured || !this.status?.unlocked) return;
    if (this.syncing) {
      this.#syncAgain = true;
      return;
    }
    clearTimeout(this.#syncSoon);
    this.syncing = true;
    try {
      const out = await this.backend.call("sync_now", null);
      this.lastSync = out;
      this.sync = out.state;
      this.syncError = null;
      // What other devices did shows without losing the user's place:
      // the lists are replaced, the selection and dialogs stay.
      if (out.applied > 0 || out.denied.length > 0 || out.quarantined.length > 0) await this.refreshVault();
    } catch (e) {
      this.syncError = errorMessage(e);
    } finally {
      this.syncing = false;
    }
    if (this.#syncAgain) {
      this.#syncAgain = false;
      this.syncSoon();
    }
  }

  /** A change was made: sync shortly (several quick changes, one sync). */
  syncSoon(delayMs = SYNC_AFTER_CHANGE_MS) {
    if (!this.sync?.configured) return;
    clearTimeout(this.#syncSoon);
    this.#syncSoon = setTimeout(() => void this.syncNow(), delayMs);
  }

  private clearVault() {
    clearTimeout(this.#syncSoon);
    this.sync = null;
    this.syncError = null;
    this.lastSync = null;
    this.envs = [];
    this.items = [];
    this.rotation = null;
    this.scan.stop();
    this.scan = this.newScan();
    this.notice = null;
    this.error = null;
  }

  /** Reloads environments, credentials and the rotation report. */
  async refreshVault() {
    // One command, one pass over the vault (docs/benchmarks-app.md).
    const { envs, items, rotation, manages } = await this.backend.call("vault_snapshot", { due_soon_days: null });
    this.manages = manages;
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
