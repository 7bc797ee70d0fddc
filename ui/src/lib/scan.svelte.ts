// "Scan a folder" state (issue 12), kept by AppState rather than by the
// screen: a scan goes on, and its results stay, while the user opens a
// found credential in the vault view and comes back. Forgotten at lock,
// as Rust forgets what the scan found. Nothing here holds a value: Rust
// sends names, versions, places and counts.
import type { ScanCredentialDto, ScanProgressDto, ScanReportDto } from "./bindings";
import type { Backend } from "./ipc";
import { errorMessage } from "./errors";
import { count } from "./format";

/** How often the screen asks Rust how far the scan is. */
export const SCAN_POLL_MS = 150;

export class ScanSession {
  folder = $state("");
  respectGitignore = $state(false);
  currentOnly = $state(false);
  running = $state(false);
  progress = $state.raw<ScanProgressDto | null>(null);
  report = $state.raw<ScanReportDto | null>(null);
  error = $state<string | null>(null);
  /** The credential being marked (its id), or "all". */
  marking = $state<string | null>(null);
  #poll: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly backend: Backend,
    /** After marking: reload the vault and confirm (AppState's). */
    private readonly marked: (message: string) => Promise<void>,
  ) {}

  /** Scans `folder` with the options; resolves when Rust is done (or cancelled). */
  async start() {
    if (this.running) return;
    this.error = null;
    this.report = null;
    this.progress = null;
    this.running = true;
    this.#poll = setInterval(async () => {
      try {
        this.progress = await this.backend.call("scan_progress", null);
      } catch {
        // The scan's own answer says what went wrong.
      }
    }, SCAN_POLL_MS);
    try {
      this.report = await this.backend.call("scan_folder", {
        path: this.folder.trim(),
        respect_gitignore: this.respectGitignore,
        current_only: this.currentOnly,
      });
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.stop();
    }
  }

  async cancel() {
    try {
      await this.backend.call("scan_cancel", null);
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Credentials found and not yet exposed. */
  get unmarked(): ScanCredentialDto[] {
    return this.report?.credentials.filter((c) => !c.exposed) ?? [];
  }

  /** Marks found credentials exposed (one, or every one the screen may
   * mark: Rust refuses the whole batch if one needs write access you lack). */
  async mark(list: ScanCredentialDto[], all = false) {
    const report = this.report;
    if (!report || list.length === 0) return;
    this.marking = all ? "all" : list[0].id;
    this.error = null;
    try {
      const r = await this.backend.call("scan_mark_exposed", { ids: list.map((c) => c.id) });
      const done = new Set(list.map((c) => c.id));
      this.report = { ...report, credentials: report.credentials.map((c) => (done.has(c.id) ? { ...c, exposed: true } : c)) };
      await this.marked(
        `Marked ${count(r.marked, "credential")} exposed: the rotation dashboard lists ${r.marked === 1 ? "it" : "them"} until rotated.`,
      );
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.marking = null;
    }
  }

  /** Stops polling (the scan ended, or the vault locked). */
  stop() {
    clearInterval(this.#poll);
    this.running = false;
  }
}
