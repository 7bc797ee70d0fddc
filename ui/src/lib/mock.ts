// An in-memory backend with the same commands, validation and error codes
// as the Rust shell, for component tests and the mock build the browser
// tests drive. Each handler is typed against the generated bindings, so a
// change on the Rust side breaks the mock's type check too.
import type {
  AppStatus,
  AuditEntryDto,
  AuditFacetDto,
  ChainDto,
  EnvDto,
  EnvPolicyDto,
  ExposureReportDto,
  GenerateArgs,
  HistoryDto,
  IpcErrorCode,
  ItemDto,
  ItemSharingDto,
  MemberDto,
  MemberRole,
  OffboardProgressDto,
  HygieneFindingDto,
  ScanCredentialDto,
  ScanProgressDto,
  PassphraseStrengthDto,
  KeychainStatusDto,
  LockReason,
  RotationStatus,
  SettingsDto,
  FeedDto,
  RemoteArgs,
  SyncStateDto,
} from "./bindings";
import { DANGEROUS_VARS } from "./bindings";
import { CHANGES, IpcFailure, type Args, type Backend, type Command, type Result } from "./ipc";
import { count } from "./format";

/** The audit sentence of an `item.set`, as coffer-vault's audit.rs words it. */
function setSentence(name: string, env: string, version: number): string {
  return version === 1 ? `added ${name} to ${env}` : `changed ${name} in ${env} (version ${version})`;
}

const DAY = 86_400;
const ENV_PART = /^[A-Za-z0-9._-]{1,64}$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CHARSETS: Record<string, string> = {
  alnum: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  hex: "0123456789abcdef",
  base64url: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  symbols: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%+,-./:=@^_~",
  digits: "0123456789",
};

type Version = {
  value: string;
  notes: string | null;
  url: string | null;
  username: string | null;
  created_at: number;
  rotated_at: number;
  rotate_every_days: number | null;
  expires_at: number | null;
  exposed_at: number | null;
  /** Written by this member's client under no key that opens (sync): its
   * value cannot be read; the other fields are the version before's. */
  unopened_by?: string;
};
/** A version written concurrently with the current one (sync). */
type Waiting = { value: string; author: string; created_at: number; stale?: boolean };
type Item = { id: string; env: string; name: string; versions: Version[]; deleted: boolean; waiting?: Waiting[] };
type Env = { project: string; name: string; rotate_every_days: number | null; read_only?: boolean };
type Member = {
  name: string;
  email: string | null;
  role: MemberRole;
  fingerprint: string;
  /** `PROJECT/ENV` → access. */
  grants: Map<string, "read" | "write">;
  added_by: string | null;
  added_at: number;
  revoked_at: number | null;
  is_me: boolean;
  /** Item ids marked exposed when they were offboarded. */
  exposed: string[] | null;
};

/** The rule of `coffer_vault::dangerous` over its generated list (keys
 * are ASCII, so upper-casing is the ASCII case folding Rust does). */
function dangerousVar(key: string) {
  const k = key.toUpperCase();
  return DANGEROUS_VARS.find((d) => (d.family ? k.startsWith(d.name.toUpperCase()) : k === d.name.toUpperCase()));
}

/** The mock's public identity strings: `coffer1-` + base64url(JSON). The
 * real ones are binary and self-signed; the mock checks the shape only. */
export function mockPublicIdentity(name: string, email: string | null = null, key = name): string {
  const json = JSON.stringify({ n: name, e: email, k: key });
  const bin = String.fromCharCode(...new TextEncoder().encode(json));
  return `coffer1-${btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** A fingerprint derived from a key: eight groups of four hex digits. */
export function mockFingerprint(key: string): string {
  const groups: string[] = [];
  let h = 0x811c9dc5;
  for (let g = 0; g < 8; g++) {
    for (const ch of `${g}:${key}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    groups.push((h & 0xffff).toString(16).toUpperCase().padStart(4, "0"));
  }
  return groups.join("-");
}

function parsePublicIdentity(s: string): { name: string; email: string | null; fingerprint: string } {
  const bad = (why: string) => fail("invalid_input", `invalid public identity: ${why}`);
  const t = s.trim();
  if (!t.startsWith("coffer1-")) bad("it does not start with coffer1-");
  const rest = t.slice("coffer1-".length);
  if (!/^[A-Za-z0-9_-]+$/.test(rest)) bad("it is not valid base64url");
  let v: { n?: unknown; e?: unknown; k?: unknown } = {};
  try {
    const bin = atob(rest.replace(/-/g, "+").replace(/_/g, "/"));
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    bad("it is truncated or corrupted");
  }
  if (typeof v.n !== "string" || typeof v.k !== "string") bad("it is truncated or corrupted");
  return { name: v.n as string, email: typeof v.e === "string" ? v.e : null, fingerprint: mockFingerprint(v.k as string) };
}

/** Like `paths::typed_path`: `~/…` is under the (mock) home folder. */
const homePath = (p: string) => (p.startsWith("~/") ? "/home/ada/" + p.slice(2) : p);

const normFp = (s: string) => s.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
/** An op-log entry: who (member and device ids) did what. */
type LogEntry = { seq: number; at: number; member: string; device: string; device_seq: number; kind: string; summary: string; denied: boolean };

/** Folders that exist in the mock's file system. */
const FOLDERS = ["/home/ada", "/home/ada/project", "/home/ada/team", "/tmp", "/srv/shared"];
/** The git work tree, and the names its .gitignore ignores. */
const GIT_REPO = "/home/ada/project";
const GIT_IGNORED = [".env.local", ".env.production.local"];
const FORMATS = ["dotenv", "shell", "json", "example"];
const DIALECTS = ["portable", "node", "python", "rust", "compose", "docker"];
const KINDS = ["genesis", "env.add", "item.set", "item.delete", "env.rekey", "read", "member.add", "member.role", "grant", "ungrant", "share", "unshare", "member.revoke", "item.rekey"];
const ADA = "a11ce000000000000000000000000001";
const ADA_DEVICE = "a1a0dec0000000000000000000000001";
const BOB = "b0b00000000000000000000000000002";
const BOB_DEVICE = "b0b0dec0000000000000000000000002";

const fmtTime = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + "Z";
const shortId = (id: string) => id.slice(0, 8);

const fail = (code: IpcErrorCode, message: string): never => {
  throw new IpcFailure(code, message);
};

function parseEnvPath(path: string): [string, string] {
  const parts = path.split("/");
  if (parts.length !== 2 || !ENV_PART.test(parts[0]) || !ENV_PART.test(parts[1])) {
    fail("invalid_input", `'${path}' is not PROJECT/ENV (letters, digits, '.', '_' and '-', e.g. payments/prod)`);
  }
  return [parts[0], parts[1]];
}

function parseDays(s: string | null): number | null {
  if (s === null || s.trim() === "") return null;
  const m = /^(\d+)([dwy]?)$/.exec(s.trim());
  const days = m ? Number(m[1]) * ({ d: 1, w: 7, y: 365, "": 1 } as Record<string, number>)[m[2]] : NaN;
  if (!m || !(days >= 1 && days <= 36_500)) {
    fail("invalid_input", `invalid duration '${s}': use days like 90d, weeks like 12w or years like 1y`);
  }
  return days;
}

function parseDate(s: string | null): number | null {
  if (s === null || s.trim() === "") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s.trim()) {
    fail("invalid_input", `invalid date '${s}': use YYYY-MM-DD`);
  }
  return t / 1000;
}

function checkKey(name: string) {
  if (!KEY.test(name)) fail("invalid_input", `invalid key '${name}': a key must start with a letter or \`_\` and hold only letters, digits and \`_\``);
}

function generate(g: GenerateArgs): string {
  const set = CHARSETS[g.charset];
  if (!set) fail("invalid_input", `unknown charset '${g.charset}': use alnum, hex, base64url, symbols or digits`);
  if (g.length < 8 || g.length > 4096) fail("invalid_input", "generated values must be 8 to 4096 characters long");
  const bytes = new Uint32Array(g.length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => set[b % set.length]).join("");
}

let nextId = 1;
const newId = () => (nextId++).toString(16).padStart(32, "0");

// A stand-in for Rust's passphrase policy (coffer_vault::passphrase, zxcvbn):
// the same labels, messages and acceptance rule, a much cruder score.
const STRENGTH_LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];
const PUBLISHED_PHRASES = ["correcthorsebatterystaple", "tr0ub4dor3"];
const COMMON_PASSWORDS = ["password", "qwerty", "123456", "letmein", "iloveyou", "admin", "welcome", "changeme", "coffer"];
const ADD_WORDS = "Add another word or two. Uncommon words are better.";

export function mockRatePassphrase(password: string, personal: string[]): PassphraseStrengthDto {
  const short = [...password].length < 10;
  const folded = password.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  const known = personal.flatMap((p) => p.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 3);
  let rest = folded;
  for (const w of known) rest = rest.replaceAll(w, "");
  let score: number;
  let sentences: string[] = [];
  if (PUBLISHED_PHRASES.some((p) => folded.includes(p))) {
    score = 1;
    sentences = ["It contains a published example passphrase, which attackers try first.", "Choose your own unrelated words."];
  } else if (COMMON_PASSWORDS.some((c) => folded.startsWith(c)) && folded.length < 16) {
    score = 0;
    sentences = ["This is a very common password.", ADD_WORDS];
  } else if (known.length && rest.length < 6) {
    score = 1;
    sentences = ["Names and surnames by themselves are easy to guess.", ADD_WORDS];
  } else {
    const words = password.split(/[^\p{L}\p{N}]+/u).filter(Boolean).length;
    score = password.length >= 20 && words >= 3 ? 4 : password.length >= 14 ? 3 : password.length >= 10 ? 2 : 1;
  }
  if (short) sentences.unshift("Use at least 10 characters.");
  else if (score < 3 && !sentences.length) sentences.push(ADD_WORDS);
  const acceptable = !short && score >= 3;
  const label = STRENGTH_LABELS[score];
  const feedback = sentences.join(" ");
  const refusal = acceptable
    ? null
    : short
      ? "the new passphrase must be at least 10 characters long"
      : feedback
        ? `the new passphrase is too weak (${label.toLowerCase()}): ${feedback}`
        : `the new passphrase is too weak (${label.toLowerCase()}); add another word or two`;
  return { score, label, feedback, acceptable, refusal };
}

type Handlers = { [K in Command]: (args: Args<K>) => Result<K> | Promise<Result<K>> };

export class MockBackend implements Backend {
  identity: { name: string; email: string | null; password: string; keychain: boolean } | null = null;
  vaultName: string | null = null;
  session: "none" | "identity" | "vault" = "none";
  /** This identity is an owner or admin (the real vault's `manages`). */
  manages = true;
  envs = new Map<string, Env>();
  items: Item[] = [];
  failures = 0;
  /** Milliseconds since the epoch. */
  lastFailure = 0;
  keychainSupported = true;
  /** Every call, for assertions in tests. */
  calls: { cmd: Command; args: unknown }[] = [];
  clipboard: string | null = null;
  now: () => number = () => Math.floor(Date.now() / 1000);
  /** Milliseconds every call waits (to see busy states in tests). */
  latency = 0;
  members: Member[] = [];
  /** Item id → member names it is shared with. */
  shares = new Map<string, Set<string>>();
  progress: OffboardProgressDto = { running: false, member: null, done: 0, total: 0 };
  /** Milliseconds per re-keyed item while offboarding (progress is visible). */
  offboardStepMs = 40;
  /** Files written by save_exposure_report and export_env: path → content and mode. */
  files = new Map<string, { content: string; mode: number }>();
  settings: SettingsDto = {
    auto_lock_minutes: 10,
    lock_on_screen_lock: true,
    clipboard_clear_secs: 30,
    due_soon_days: 14,
    keychain_at_start: true,
  };
  /** Replaces the auto-lock minutes, in seconds (tests). */
  idleOverrideSecs: number | null = null;
  /** Milliseconds since the epoch of the last command that counts as activity. */
  lastActivity = Date.now();
  lockReason: LockReason | null = null;
  lockDetail: string | null = null;
  keychainProblem: string | null = null;
  /** The keychain entry was changed behind our back: it no longer opens. */
  keychainBroken = false;
  startTried = false;
  kdf = { memory_mib: 256, iterations: 3, parallelism: 1, meets_policy: true, pinned: false, policy_memory_mib: 64, policy_iterations: 3 };
  #lockListeners = new Set<(reason: LockReason) => void>();
  #changeListeners = new Set<() => void>();
  /** What the native file dialog answers next (`pick_path`): a path, or
   * null for "cancelled". */
  pickAnswer: string | null = "/srv/shared/picked.env";
  /** Paths chosen in the dialog and not used yet: `purpose:path`. */
  picked = new Set<string>();
  /** The vault file this window works on. */
  vaultPath = "/home/ada/.local/share/coffer/vault.coffer";
  /** Vault files elsewhere on disk: team name and whether this identity is a member. */
  otherVaults = new Map<string, { name: string; member: boolean }>([
    ["/home/ada/team/acme.coffer", { name: "Acme", member: true }],
    ["/home/ada/team/globex.coffer", { name: "Globex", member: false }],
  ]);
  /** Where this vault syncs (null: not set up). */
  syncRemote: RemoteArgs | null = null;
  /** Unix seconds of the last sync. */
  lastSync: number | null = null;
  /** This device's changes not yet published. */
  pending = 0;
  /** What teammates' devices send at the next sync (each one entry). */
  incoming: ((m: MockBackend) => void)[] = [];
  /** Set by tests: the replica was edited outside Coffer (it does not open). */
  replicaBroken = false;
  /** What the next sync reports besides its counts (re-keys, re-seals). */
  syncWarnings: string[] = [];
  /** Set by tests: the next syncs fail with this message (folder offline). */
  syncFailure: string | null = null;
  /** Sync folders and git remotes a join can reach. */
  teamRemotes = new Map<string, { name: string; vault_id: string; owner_fingerprint: string; member: boolean }>([
    ["/mnt/team/acme-sync", { name: "Acme", vault_id: "5a1c".repeat(4), owner_fingerprint: mockFingerprint("ada-key"), member: true }],
    ["git@example.com:acme/vault.git", { name: "Acme", vault_id: "5a1c".repeat(4), owner_fingerprint: mockFingerprint("ada-key"), member: true }],
    ["/mnt/team/globex-sync", { name: "Globex", vault_id: "9b0e".repeat(4), owner_fingerprint: mockFingerprint("hank-key"), member: false }],
  ]);
  /** Files that exist but are not vaults. */
  notVaults = ["/home/ada/notes.txt", "/home/ada/project/app.sqlite"];
  /** The op log (signed entries in the app; plain records here). */
  log: LogEntry[] = [];
  /** Files "Scan a folder" reads: folder → files (path relative to it,
   * content, whether git ignores it). Tests add their own. */
  scanFiles = new Map<string, { path: string; content: string; ignored?: boolean }[]>([
    [
      GIT_REPO,
      [
        { path: ".env.local", content: "# local\nSTRIPE_KEY=sk_live_51H8xQ2eZvKYlo2C\n", ignored: true },
        { path: "config/settings.py", content: "DEBUG = False\nSENTRY = 'https://abc123@o1.ingest.sentry.io/1'\n" },
        { path: "README.md", content: "# Acme web\n" },
      ],
    ],
  ]);
  /** Milliseconds per file scanned (progress is visible). */
  scanStepMs = 30;
  scanJob: ScanProgressDto & { cancel: boolean } = { running: false, phase: "done", files_done: 0, files_total: 0, bytes: 0, cancel: false };
  /** Item ids the last scan found (what scan_mark_exposed may mark). */
  scanFound: string[] = [];
  /** Set by tests: verification finds an edited entry on Bob's chain. */
  tampered = false;
  /** This identity's personal overrides: `PROJECT/ENV` → name → value
   * (readable by this identity only, in the real vault). */
  overrides = new Map<string, Map<string, string>>();
  /** Environments' override policies an owner or admin set (no entry:
   * the default, forbidden where the name starts with "prod"). */
  policies = new Map<string, "allow" | "forbid">();

  /** A backend in a named state: `empty` (first run), `locked` or `unlocked`
   * (a team vault with credentials in every rotation state). */
  static preset(name: string): MockBackend {
    const b = new MockBackend();
    if (name === "empty") return b;
    b.seed();
    if (name === "unlocked") b.session = "vault";
    if (name === "large") b.seedLarge(10_000);
    if (name === "hygiene") {
      // A value reused across projects and a placeholder in prod.
      b.session = "vault";
      b.seedItem("web/prod", "STRIPE_KEY", "sk_live_51H8xQ2eZvKYlo2C", 30);
      b.seedItem("payments/prod", "SMTP_PASSWORD", "your_smtp_password_here", 30);
    }
    if (name === "overrides") {
      // Unlocked, with Ada's own DATABASE_URL in dev and a key only her
      // overlay has (personal overrides).
      b.session = "vault";
      b.seedItem("payments/dev", "DATABASE_URL", "postgres://db.internal/payments-shared", 30);
      b.overrides.set("payments/dev", new Map([["DATABASE_URL", "postgres://localhost/ada-only"], ["LOCAL_ONLY", "x-local-flag-1"]]));
    }
    if (name === "missing") {
      // The identity exists but its vault file was moved: it is at
      // /home/ada/team/acme.coffer now.
      b.vaultName = null;
    }
    if (name.startsWith("synced")) {
      // Unlocked, syncing through a folder, last synced two minutes ago.
      b.session = "vault";
      b.syncRemote = { kind: "folder", location: "/mnt/team/acme-sync" };
      b.lastSync = b.now() - 120;
    }
    if (name === "synced") {
      // Bob changed the dev session secret at the same time as this
      // device (a conflict to resolve).
      b.teammateConflicts("payments/dev", "SESSION_SECRET", "bobs-session-secret-2026", "Bob");
    }
    if (name === "synced-stale") {
      // As "synced", but Bob's value was written under a key an offboarding
      // had just replaced (the removed member could read it).
      b.teammateConflicts("payments/dev", "SESSION_SECRET", "bobs-session-secret-2026", "Bob", true);
    }
    if (name === "synced-unreadable") {
      // As "synced", and Grace's client wrote a value of the dev API key
      // that no key opens; an owner's sync also re-keyed an environment
      // that two crossed offboardings had left open to a removed member.
      b.teammateConflicts("payments/dev", "SESSION_SECRET", "bobs-session-secret-2026", "Bob");
      b.seedItem("payments/dev", "API_KEY", "dev-api-key-3f9a", 60, { notes: "Partner API, sandbox account" });
      b.teammateWritesUnopenable("payments/dev", "API_KEY", "grace");
      b.syncWarnings.push("re-keyed 1 environment a removed member could still open (two offboardings crossed)");
    }
    if (name === "biglog") {
      // A long op log (reads by a CI job), unlocked.
      b.session = "vault";
      const start = b.now() - 20_000 * 60;
      for (let i = 0; i < 20_000; i++) b.record(`ran a command with ${i % 2 ? "7 credentials" : "STRIPE_KEY"} of payments/prod`, "read", { at: start + i * 60 });
    }
    return b;
  }

  /** Appends an op-log entry (by Ada on this device unless told). */
  record(summary: string, kind: string, o: { member?: string; device?: string; denied?: boolean; at?: number } = {}) {
    const device = o.device ?? ADA_DEVICE;
    let deviceSeq = 1;
    for (let i = this.log.length - 1; i >= 0; i--) {
      if (this.log[i].device === device) {
        deviceSeq = this.log[i].device_seq + 1;
        break;
      }
    }
    this.log.push({ seq: this.log.length + 1, at: o.at ?? this.now(), member: o.member ?? ADA, device, device_seq: deviceSeq, kind, summary, denied: o.denied ?? false });
  }

  private memberName(id: string): string {
    return id === BOB ? "Bob Builder" : (this.identity?.name ?? "Ada Lovelace");
  }

  /** `n` more credentials over 30 environments (the benchmarks' vault). */
  seedLarge(n: number) {
    const now = this.now();
    const envs = [...Array(30).keys()].map((i) => `svc${String(Math.floor(i / 3)).padStart(2, "0")}/${["dev", "staging", "prod"][i % 3]}`);
    for (const p of envs) {
      const [project, name] = p.split("/");
      this.envs.set(p, { project, name, rotate_every_days: 90 });
    }
    for (let i = 0; i < n; i++) {
      const age = (i * 7) % 200;
      this.items.push({
        id: newId(),
        env: envs[i % envs.length],
        name: `KEY_${String(i).padStart(5, "0")}`,
        deleted: false,
        versions: [
          {
            value: `value-${i}`,
            notes: i % 5 === 0 ? `Owner: team ${i % 17}; rotate in the provider console` : null,
            url: i % 3 === 0 ? `https://provider${i % 11}.example.com/keys` : null,
            username: null,
            created_at: now - age * DAY,
            rotated_at: now - age * DAY,
            rotate_every_days: null,
            expires_at: null,
            exposed_at: null,
          },
        ],
      });
    }
  }

  /** A credential set `ageDays` ago by this identity (version 1). */
  seedItem(env: string, name: string, value: string, ageDays: number, extra: Partial<Version> = {}) {
    const now = this.now();
    this.record(setSentence(name, env, 1), "item.set", { at: now - ageDays * DAY });
    this.items.push({
      id: newId(),
      env,
      name,
      deleted: false,
      versions: [
        {
          value,
          notes: null,
          url: null,
          username: null,
          created_at: now - ageDays * DAY,
          rotated_at: now - ageDays * DAY,
          rotate_every_days: null,
          expires_at: null,
          exposed_at: null,
          ...extra,
        },
      ],
    });
  }

  seed() {
    const now = this.now();
    this.identity = { name: "Ada Lovelace", email: "ada@example.com", password: "correct horse battery staple", keychain: false };
    this.vaultName = "Acme";
    this.record("created vault 'Acme' with owner Ada Lovelace", "genesis", { at: now - 500 * DAY });
    const envs: [string, number | null][] = [
      ["payments/dev", null],
      ["payments/staging", 180],
      ["payments/prod", 90],
      ["web/prod", 90],
    ];
    for (const [p, d] of envs) {
      const [project, name] = p.split("/");
      this.envs.set(p, { project, name, rotate_every_days: d });
      this.record(`added environment ${p}`, "env.add", { at: now - 500 * DAY });
    }
    this.record("added Bob Builder as member (4f2a-91c3-0b7e-d5a8) with 1 grant", "member.add", { at: now - 450 * DAY });
    const add = this.seedItem.bind(this);
    add("payments/prod", "STRIPE_KEY", "sk_live_51H8xQ2eZvKYlo2C", 120, {
      notes: "Stripe live secret key; rotate in the dashboard\nOwner: payments team",
      url: "https://dashboard.stripe.com/apikeys",
    });
    add("payments/prod", "DATABASE_URL", "postgres://app:s3cret@db:5432/app", 10, { expires_at: now + 5 * DAY });
    add("payments/prod", "WEBHOOK_SECRET", "whsec_9f8e7d6c5b4a", 80);
    add("payments/staging", "STRIPE_KEY", "sk_test_4eC39HqLyjWDarjt", 30);
    add("payments/dev", "SESSION_SECRET", "dev-session-secret-0123456789", 400);
    add("web/prod", "SENTRY_DSN", "https://abc123@o1.ingest.sentry.io/1", 20, { exposed_at: now - DAY, notes: "Exposed when bob left" });
    add("web/prod", "TLS_KEY", "-----BEGIN PRIVATE KEY-----", 5, { expires_at: now - DAY, notes: "Renew with the CA" });

    const member = (name: string, role: MemberRole, grants: [string, "read" | "write"][], ageDays: number, extra: Partial<Member> = {}) => {
      this.members.push({
        name,
        email: `${name.split(" ")[0].toLowerCase()}@example.com`,
        role,
        fingerprint: mockFingerprint(name),
        grants: new Map(grants),
        added_by: name === "Ada Lovelace" ? null : "Ada Lovelace",
        added_at: now - ageDays * DAY,
        revoked_at: null,
        is_me: false,
        exposed: null,
        ...extra,
      });
    };
    member("Ada Lovelace", "owner", [], 400, { is_me: true });
    member("grace", "member", [["payments/dev", "write"], ["payments/prod", "read"]], 90);
    member("alan", "reader", [["web/prod", "read"]], 30);
    const sentry = this.items.find((i) => i.name === "SENTRY_DSN")!;
    member("bob", "member", [], 200, { revoked_at: now - DAY, exposed: [sentry.id] });
    const bob = { member: BOB, device: BOB_DEVICE };
    this.record("revealed STRIPE_KEY of payments/staging", "read", { ...bob, at: now - 3 * DAY });
    this.record("granted Bob Builder write on payments/prod", "grant", { ...bob, denied: true, at: now - 2 * DAY });
    this.record("copied DATABASE_URL of payments/prod", "read", { at: now - DAY });
    this.log.sort((a, b) => a.at - b.at);
    this.log.forEach((e, i) => (e.seq = i + 1));
    for (const d of [ADA_DEVICE, BOB_DEVICE]) {
      let n = 0;
      for (const e of this.log) if (e.device === d) e.device_seq = ++n;
    }
  }

  /** The dotenv spelling check, simplified: a value holding both quote
   * characters has no portable spelling (node and python can write it); a
   * newline does not fit docker; NUL fits no dialect. Returns the dialects
   * that work, or null if this one does. */
  private unrepresentable(value: string, format: string, dialect: string): string[] | null {
    if (value.includes("\0")) return [];
    if (format !== "dotenv") return null;
    if (dialect === "portable" && value.includes("'") && value.includes('"')) return ["node", "python"];
    if (dialect === "docker" && value.includes("\n")) return ["portable", "node", "python", "rust", "compose"];
    return null;
  }

  async call<K extends Command>(cmd: K, args: Args<K>): Promise<Result<K>> {
    this.calls.push({ cmd, args });
    if (this.latency) await new Promise((r) => setTimeout(r, this.latency));
    // Like the Rust shell: the idle deadline first, then activity.
    this.checkIdle();
    if (cmd !== "app_status") this.lastActivity = Date.now();
    const h = this.handlers[cmd] as (a: Args<K>) => Result<K> | Promise<Result<K>>;
    // Copy results so callers cannot mutate the mock's state.
    const out = structuredClone(await h(args));
    // Each change is one more entry of this device's feed to publish.
    if (CHANGES.has(cmd) && this.syncRemote) this.pending++;
    return out;
  }

  async onLocked(cb: (reason: LockReason) => void): Promise<() => void> {
    this.#lockListeners.add(cb);
    return () => this.#lockListeners.delete(cb);
  }

  async onVaultChanged(cb: () => void): Promise<() => void> {
    this.#changeListeners.add(cb);
    return () => this.#changeListeners.delete(cb);
  }

  /** Another program (the CLI) changes the vault: `change` edits the
   * mock's state, then the window is told, as the Rust watcher does. */
  changeOutside(change: (m: MockBackend) => void) {
    change(this);
    if (this.session === "vault") for (const cb of this.#changeListeners) cb();
  }

  /** The CLI's `coffer set ENV NAME` (a new version of the value). */
  setOutside(env: string, name: string, value: string) {
    this.changeOutside((m) => m.newVersion(m.find(env, name), value, {}));
  }

  /** Like Rust's `picker::resolve`: a path chosen in the dialog for this
   * purpose is used wherever it is (once); a typed one only in home or
   * the temporary folder. */
  confine(purpose: string, path: string) {
    if (this.picked.delete(`${purpose}:${path}`)) return;
    if (!path.startsWith("/home/ada/") && !path.startsWith("/tmp/")) {
      fail(
        "permission",
        `permission denied: ${path} is outside your home folder and the temporary folder: the app reads and writes a file there only when you choose it with “Choose…” (the system file dialog), or use the coffer command`,
      );
    }
  }

  /** The session locks by itself (what Rust does on idle, screen lock or
   * suspend) and tells the listeners. */
  lockBySystem(reason: LockReason) {
    if (reason !== "idle" && !this.settings.lock_on_screen_lock) return;
    if (this.session === "none") return;
    this.session = "none";
    this.clipboard = null;
    this.lockReason = reason;
    this.lockDetail = null;
    for (const cb of this.#lockListeners) cb(reason);
  }

  /** The vault file changed outside the app and no longer checks out:
   * Rust's live refresh locks the session with the reason (whatever the
   * screen-lock setting), and the next unlock refuses the file. */
  refuseVaultFile(why: string) {
    if (this.session === "none") return;
    this.session = "none";
    this.clipboard = null;
    this.lockReason = "vault_refused";
    this.lockDetail = why;
    this.replicaBroken = true;
    for (const cb of this.#lockListeners) cb("vault_refused");
  }

  idleSecs(): number {
    return this.idleOverrideSecs ?? this.settings.auto_lock_minutes * 60;
  }

  checkIdle() {
    if (this.session !== "none" && Date.now() - this.lastActivity >= this.idleSecs() * 1000) this.lockBySystem("idle");
  }

  // ----- helpers -----------------------------------------------------------

  private vault() {
    if (this.session !== "vault") fail("locked", "the vault is locked: unlock it first");
  }

  /** Removed environments' items (kept, as the vault keeps them). */
  removedEnvs = new Map<string, Item[]>();

  private envPath(path: string): string {
    const [p, e] = parseEnvPath(path);
    this.env(path);
    return `${p}/${e}`;
  }

  private removalScope(scope: string): string[] {
    if (scope.includes("/")) return [this.envPath(scope)];
    const envs = [...this.envs.keys()].filter((k) => k.startsWith(scope + "/")).sort();
    if (envs.length === 0) fail("not_found", `project ${scope} not found`);
    return envs;
  }

  private removalOf(path: string) {
    return {
      env: path,
      credentials: this.items.filter((i) => i.env === path && !i.deleted).map((i) => i.name).sort(),
      unreadable: 0,
      members: this.members
        .filter((m) => m.revoked_at === null && m.grants.has(path))
        .map((m) => `${m.name}:${m.grants.get(path)}`)
        .sort(),
    };
  }

  private env(path: string): Env {
    const [p, e] = parseEnvPath(path);
    const env = this.envs.get(`${p}/${e}`);
    if (!env) fail("not_found", `environment ${p}/${e} not found`);
    return env!;
  }

  /** An environment this identity may change (the vault's `authorize`). */
  private writableEnv(path: string): Env {
    const env = this.env(path);
    if (env.read_only) fail("permission", `permission denied: you can read ${path} but not change it`);
    return env;
  }

  /** Whether personal overrides apply in `path` (coffer-vault's
   * `overrides_allowed_by`). */
  overridesAllowed(path: string): boolean {
    const p = this.policies.get(path);
    if (p) return p === "allow";
    return !this.env(path).name.toLowerCase().startsWith("prod");
  }

  private policyDto(path: string): EnvPolicyDto {
    return { env: path, overrides: this.policies.get(path) ?? "default", overrides_allowed: this.overridesAllowed(path), can_change: this.manages };
  }

  /** This identity's overrides of `path` that apply now, by name. */
  private overlayForUse(path: string): Map<string, string> {
    return this.overridesAllowed(path) ? (this.overrides.get(path) ?? new Map()) : new Map();
  }

  find(envPath: string, name: string): Item {
    this.env(envPath);
    const it = this.items.find((i) => i.env === envPath && i.name === name && !i.deleted);
    if (!it) fail("not_found", `${name} in ${envPath} not found`);
    return it!;
  }

  private backoff(): number {
    if (this.failures < 3) return 0;
    // 2 s after the third failure, doubling (long enough to see in tests).
    const wait = Math.min(2 ** (this.failures - 2), 900) * 1000;
    return Math.max(0, Math.ceil((this.lastFailure + wait - Date.now()) / 1000));
  }

  private status(): AppStatus {
    return {
      identity: this.identity && { name: this.identity.name, email: this.identity.email, fingerprint: mockFingerprint("me-key") },
      vault_path: this.vaultPath,
      vault_exists: this.vaultName !== null,
      vault_name: this.session === "vault" ? this.vaultName : null,
      identity_unlocked: this.session !== "none",
      unlocked: this.session === "vault",
      keychain_enabled: !!this.identity?.keychain,
      keychain_supported: this.keychainSupported,
      backoff_remaining_secs: this.backoff(),
      failed_attempts: this.failures,
      lock_reason: this.lockReason,
      lock_detail: this.lockDetail,
      keychain_problem: this.keychainProblem,
      idle_lock_secs: this.idleSecs(),
    };
  }

  private keychainStatus(): KeychainStatusDto {
    const enabled = !!this.identity?.keychain;
    return {
      enabled,
      supported: this.keychainSupported,
      backend: this.keychainSupported ? "secret-service" : "none",
      entry: !enabled ? "not_enabled" : this.keychainBroken ? "does_not_open" : "opens",
      problem: enabled && this.keychainBroken ? "the keychain entry no longer opens your identity (it was changed)" : null,
      backoff_remaining_secs: this.backoff(),
    };
  }

  private unlocked() {
    if (this.session === "none") fail("locked", "the vault is locked: unlock it first");
  }

  private wrongPassword() {
    this.failures++;
    this.lastFailure = Date.now();
  }

  private syncState(): SyncStateDto {
    const r = this.syncRemote;
    if (!r) return { configured: false, kind: null, remote: null, folder: null, last_sync: null, pending: 0, rejected: 0, quarantined: 0, feeds: [] };
    const mine: FeedDto = { device: "d3v1ce00".repeat(4), mine: true, authors: [this.identity!.name], applied: this.log.length, in_folder: this.log.length - this.pending, denied: 0, last_op_at: this.lastSync, quarantined: null };
    return {
      configured: true,
      kind: r.kind,
      remote: `${r.kind} ${r.location}`,
      folder: r.kind === "folder" ? r.location : `/home/ada/.local/share/coffer/sync/${"5a1c".repeat(4)}`,
      last_sync: this.lastSync,
      pending: this.pending,
      rejected: 0,
      quarantined: 0,
      feeds: [mine],
    };
  }

  private checkRemote(a: RemoteArgs) {
    const loc = a.location.trim();
    if (a.kind === "folder") {
      if (!loc) fail("invalid_input", "enter the path of the sync folder");
      if (!loc.startsWith("/") && !loc.startsWith("~/")) fail("invalid_input", `${loc} is not a full path: give the whole path of the sync folder, starting with / or ~/`);
    } else if (!loc || loc.startsWith("-")) {
      fail("invalid_input", `"${loc}" is not a git remote: give a URL (ssh://, https://, git@host:path) or the path of a bare repository`);
    }
  }

  private teamRemote(a: RemoteArgs) {
    this.checkRemote(a);
    const r = this.teamRemotes.get(a.location.trim().replace(/\/+$/, ""));
    if (!r) fail("not_found", `not found: no Coffer sync folder at ${a.location.trim()} (coffer-vault.json is missing)`);
    return r!;
  }

  /** A teammate's device changes a credential; this device sees it at its
   * next sync. */
  teammateSets(env: string, name: string, value: string) {
    this.incoming.push((m) => {
      const it = m.items.find((i) => i.env === env && i.name === name && !i.deleted);
      if (it) m.newVersion(it, value, {});
    });
  }

  /** A teammate changed a credential at the same time as this device: at
   * the next sync both versions are kept and the credential is flagged. */
  teammateConflicts(env: string, name: string, value: string, author = "Bob", stale = false) {
    this.incoming.push((m) => {
      const it = m.find(env, name);
      it.waiting = [...(it.waiting ?? []), { value, author, created_at: m.now(), stale }];
    });
  }

  /** A teammate's client writes a value of a credential that no key opens
   * (a buggy or hostile client); this device sees it at its next sync. */
  teammateWritesUnopenable(env: string, name: string, author = "grace") {
    this.incoming.push((m) => m.unopenable(env, name, author));
  }

  /** A credential's new current version does not open here (as if synced
   * from `author`'s client). */
  unopenable(env: string, name: string, author = "grace") {
    const it = this.find(env, name);
    const cur = it.versions[it.versions.length - 1];
    it.versions.push({ ...cur, value: "", created_at: this.now(), unopened_by: author });
  }

  /** Like `Vault::check_opens`: reading or passing on the value of a
   * credential whose current version does not open names its writer. */
  private checkOpens(it: Item) {
    const by = it.versions[it.versions.length - 1].unopened_by;
    if (by !== undefined) {
      fail(
        "integrity",
        `version ${it.versions.length} of ${it.name} in ${it.env}, written by ${by}, does not open (their client wrote a value no key opens); set a new value, or restore an older version`,
      );
    }
  }

  private summary(it: Item, dueSoon = 14): ItemDto {
    const env = this.envs.get(it.env)!;
    const v = it.versions[it.versions.length - 1];
    const every = v.rotate_every_days ?? env.rotate_every_days;
    const now = this.now();
    const rotDue = every !== null ? v.rotated_at + every * DAY : null;
    const due = rotDue !== null && v.expires_at !== null ? Math.min(rotDue, v.expires_at) : (rotDue ?? v.expires_at);
    let status: RotationStatus = "ok";
    if (v.exposed_at !== null) status = "exposed";
    else if (v.expires_at !== null && v.expires_at <= now) status = "expired";
    else if (rotDue !== null && rotDue <= now) status = "overdue";
    else if (due !== null && due - now <= dueSoon * DAY) status = "due_soon";
    const dto: ItemDto = {
      id: it.id,
      env_path: it.env,
      name: it.name,
      version: it.versions.length,
      notes: v.notes,
      url: v.url,
      username: v.username,
      rotate_every_days: every,
      rotated_at: v.rotated_at,
      expires_at: v.expires_at,
      exposed_at: v.exposed_at,
      status,
      due_at: due,
      updated_at: v.created_at,
      conflict: (it.waiting?.length ?? 0) > 0,
      unreadable: v.unopened_by !== undefined,
    };
    const danger = dangerousVar(it.name);
    if (danger) dto.dangerous = danger.reason;
    // Like the Rust side: absent fields are left out, not null.
    for (const k of ["notes", "url", "username", "rotate_every_days", "rotated_at", "expires_at", "exposed_at", "due_at"] as const) {
      if (dto[k] === null) delete dto[k];
    }
    return dto;
  }

  private envDto(path: string, e: Env): EnvDto {
    return {
      path,
      project: e.project,
      name: e.name,
      rotate_every_days: e.rotate_every_days,
      readable: true,
      access: e.read_only ? "read" : "write",
      writable: !e.read_only,
      items: this.items.filter((i) => i.env === path && !i.deleted).length,
    };
  }

  private live(): Item[] {
    return this.items
      .filter((i) => !i.deleted)
      .sort((a, b) => (a.env === b.env ? (a.name < b.name ? -1 : 1) : a.env < b.env ? -1 : 1));
  }

  newVersion(it: Item, value: string | null, fields: Partial<Version>) {
    const cur = it.versions[it.versions.length - 1];
    const changed = value !== null && value !== cur.value;
    const now = this.now();
    const v: Version = { ...cur, ...fields, value: value ?? cur.value, created_at: now };
    delete v.unopened_by;
    if (changed) {
      v.rotated_at = now;
      v.exposed_at = null;
    }
    it.versions.push(v);
    return { version: it.versions.length, created: false, value_changed: changed };
  }

  private me(): Member {
    return this.members.find((m) => m.is_me)!;
  }

  private member(name: string): Member {
    const n = name.trim();
    if (!n || n.length > 100) fail("invalid_input", "a member name must be 1-100 printable characters");
    const m = this.members.find((x) => x.name === n);
    if (!m) fail("not_found", `member ${n} not found`);
    return m!;
  }

  private active(name: string): Member {
    const m = this.member(name);
    if (m.revoked_at !== null) fail("conflict", `${m.name} was offboarded`);
    return m;
  }

  /** Whether `m` holds the key of `env` (owners hold every key). */
  private holds(m: Member, env: string): boolean {
    return m.revoked_at === null && (m.role === "owner" || m.grants.has(env));
  }

  private memberDto(m: Member): MemberDto {
    const grants = m.role === "owner" ? [...this.envs.keys()].map((e): [string, "read" | "write"] => [e, "write"]) : [...m.grants];
    return {
      name: m.name,
      email: m.email,
      role: m.role,
      revoked: m.revoked_at !== null,
      fingerprint: m.fingerprint,
      grants: m.revoked_at !== null ? [] : grants.sort(([a], [b]) => (a < b ? -1 : 1)).map(([env, access]) => ({ env, access })),
      added_by: m.added_by,
      added_at: m.added_at,
      revoked_at: m.revoked_at,
      is_me: m.is_me,
    };
  }

  private sharing(it: Item): ItemSharingDto {
    const shared = [...(this.shares.get(it.id) ?? [])].sort();
    const active = this.members.filter((m) => m.revoked_at === null);
    return {
      shared_with: shared,
      via_environment: active.filter((m) => this.holds(m, it.env)).map((m) => m.name),
      candidates: active.filter((m) => !this.holds(m, it.env) && !shared.includes(m.name)).map((m) => m.name),
    };
  }

  /** Live items `m` can read now: by environment key or entry share. */
  private readableBy(m: Member): Item[] {
    return this.live().filter((i) => this.holds(m, i.env) || this.shares.get(i.id)?.has(m.name));
  }

  private refusal(m: Member): string | null {
    if (m.is_me) return "you cannot offboard yourself; ask another owner or admin";
    const owners = this.members.filter((x) => x.role === "owner" && x.revoked_at === null).length;
    if (m.role === "owner" && owners <= 1) return "the vault must keep at least one owner";
    const my = this.me().role;
    if (my === "owner" || (my === "admin" && m.role !== "owner")) return null;
    return my === "admin" ? `${m.name} is an owner: only an owner can offboard them` : "only owners and admins can offboard members";
  }

  private report(m: Member): ExposureReportDto {
    if (m.exposed === null) fail("not_found", `an offboarding of ${m.name} (no report) not found`);
    const items = m
      .exposed!.map((id) => this.items.find((i) => i.id === id)!)
      .filter(Boolean)
      .map((it) => {
        const v = it.versions[it.versions.length - 1];
        const holders = this.members.filter((x) => this.holds(x, it.env)).map((x) => x.name);
        for (const s of this.shares.get(it.id) ?? []) if (!holders.includes(s)) holders.push(`${s} (shared)`);
        return {
          env: it.env,
          key: it.name,
          url: v.url,
          notes: v.notes,
          last_rotated: v.rotated_at,
          open: v.exposed_at !== null && !it.deleted,
          others_with_access: holders,
        };
      })
      .sort((a, b) => (a.env === b.env ? (a.key < b.key ? -1 : 1) : a.env < b.env ? -1 : 1));
    return { member: m.name, fingerprint: m.fingerprint, revoked_at: m.revoked_at, open: items.filter((i) => i.open).length, items };
  }

  private markdown(r: ExposureReportDto): string {
    let s = `# Exposure report: ${r.member}\n\nFingerprint ${r.fingerprint}. ${count(r.items.length, "credential")} could be read; ${r.open} still to rotate at the provider.\n`;
    let env = "";
    for (const i of r.items) {
      if (i.env !== env) s += `\n## ${(env = i.env)}\n\n`;
      s += `- [${i.open ? " " : "x"}] \`${i.key}\` — others with access: ${i.others_with_access.join(", ") || "nobody"}\n`;
    }
    return s;
  }

  private csv(r: ExposureReportDto): string {
    const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
    return (
      "environment,key,rotated,last_rotated,url,notes,others_with_access\n" +
      r.items.map((i) => [q(i.env), q(i.key), String(!i.open), i.last_rotated ? new Date(i.last_rotated * 1000).toISOString().slice(0, 10) : "", q(i.url ?? ""), q(i.notes ?? ""), q(i.others_with_access.join("; "))].join(",") + "\n").join("")
    );
  }

  // ----- the commands ------------------------------------------------------

  handlers: Handlers = {
    app_status: () => this.status(),
    // The mock runs in the page: nothing crosses a process boundary, so
    // nothing is sealed (ipc.ts seals only in TauriBackend). The key it
    // returns is never used.
    open_channel: () => ({ rust_key: "" }),
    create_identity: (a) => {
      if (this.identity) fail("conflict", "an identity already exists in /home/ada/.local/share/coffer");
      const name = a.name.trim();
      if (!name || name.length > 100) fail("invalid_input", "name must be 1-100 printable characters");
      const refused = mockRatePassphrase(a.password, [name, a.email ?? ""]).refusal;
      if (refused) fail("invalid_input", refused);
      const keychainError = a.enable_keychain && !this.keychainSupported ? "keychain: no Secret Service reachable over D-Bus" : null;
      this.identity = { name, email: a.email?.trim() || null, password: a.password, keychain: a.enable_keychain && !keychainError };
      this.session = "identity";
      return { status: this.status(), keychain_error: keychainError };
    },
    create_vault: (a) => {
      if (this.session !== "identity") fail("locked", "the vault is locked: unlock it first");
      const name = a.team_name.trim();
      if (!name || name.length > 100) fail("invalid_input", "the team name must be 1-100 printable characters");
      if (this.vaultName) fail("conflict", "a vault already exists there");
      this.vaultName = name;
      this.session = "vault";
      this.record(`created vault '${name}' with owner ${this.identity!.name}`, "genesis");
      return this.status();
    },
    unlock: (a) => {
      if (!this.identity) fail("not_found", "no identity on this device");
      if (a.method === "keychain") {
        if (!this.identity!.keychain) fail("keychain", "keychain unlock is not enabled for this identity: use your passphrase");
        if (this.keychainBroken) fail("keychain", "the keychain entry no longer opens your identity (it was changed); use your passphrase");
      } else {
        const wait = this.backoff();
        if (wait > 0) fail("auth", `too many failed unlock attempts; try again in ${wait} s`);
        if (a.password !== this.identity!.password) {
          this.wrongPassword();
          fail("auth", "wrong passphrase (or the identity file was modified)");
        }
        this.failures = 0;
      }
      if (this.replicaBroken && this.vaultName) {
        fail(
          "integrity",
          "integrity check failed: this replica was changed outside this device (another device wrote to it directly, or it was edited): a replica is private to one device. Rebuild it from the sync folder with `coffer sync --rebuild`; teammates join with `coffer join` instead of opening this file",
        );
      }
      this.session = this.vaultName ? "vault" : "identity";
      this.lockReason = null;
      this.lockDetail = null;
      this.keychainProblem = null;
      this.lastActivity = Date.now();
      return this.status();
    },
    lock: () => {
      if (this.session !== "none") {
        this.lockReason = "user";
        this.lockDetail = null;
      }
      this.session = "none";
      this.clipboard = null;
      return this.status();
    },
    unlock_at_start: () => {
      const first = !this.startTried;
      this.startTried = true;
      if (first && this.session === "none" && this.settings.keychain_at_start && this.identity?.keychain) {
        if (this.keychainBroken) this.keychainProblem = "the keychain entry no longer opens your identity (it was changed); use your passphrase";
        else {
          this.session = this.vaultName ? "vault" : "identity";
          this.lastActivity = Date.now();
        }
      }
      return this.status();
    },
    touch_session: () => {
      this.unlocked();
      return undefined as void;
    },
    get_settings: () => ({ ...this.settings }),
    set_settings: (a) => {
      this.unlocked();
      const range = (v: number, lo: number, hi: number, what: string, unit: string) => {
        if (!Number.isInteger(v) || v < lo || v > hi) fail("invalid_input", `${what} must be ${lo} to ${hi} ${unit} (got ${v})`);
      };
      range(a.auto_lock_minutes, 1, 240, "the auto-lock time", "minutes");
      range(a.clipboard_clear_secs, 5, 600, "the clipboard timeout", "seconds");
      range(a.due_soon_days, 1, 365, "the due-soon window", "days");
      this.settings = { ...a };
      return { ...this.settings };
    },
    change_password: (a) => {
      this.unlocked();
      const refused = mockRatePassphrase(a.new_password, [this.identity!.name, this.identity!.email ?? ""]).refusal;
      if (refused) fail("invalid_input", refused);
      const wait = this.backoff();
      if (wait > 0) fail("auth", `too many failed unlock attempts; try again in ${wait} s`);
      if (a.old_password !== this.identity!.password) {
        this.wrongPassword();
        fail("auth", `the current passphrase is wrong; this counts as a failed unlock attempt (${this.failures} in a row; after 3 the unlock backs off)`);
      }
      this.failures = 0;
      this.identity!.password = a.new_password;
      return undefined as void;
    },
    keychain_enable: () => {
      this.unlocked();
      if (!this.keychainSupported) fail("keychain", "keychain unlock could not be enabled: the OS keychain is unavailable: no Secret Service reachable over D-Bus");
      this.identity!.keychain = true;
      this.keychainBroken = false;
      return this.keychainStatus();
    },
    keychain_disable: () => {
      this.unlocked();
      this.identity!.keychain = false;
      this.keychainBroken = false;
      return this.keychainStatus();
    },
    keychain_status: () => {
      if (!this.identity) fail("not_found", "no identity on this device");
      return this.keychainStatus();
    },
    kdf_params: () => {
      if (!this.identity) fail("not_found", "no identity on this device");
      return { ...this.kdf };
    },
    list_envs: () => {
      this.vault();
      return [...this.envs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, e]) => this.envDto(p, e));
    },
    add_env: (a) => {
      if (!this.manages) fail("permission", "permission denied: only an owner or admin manages environments");
      this.vault();
      const [p, e] = parseEnvPath(a.path.trim());
      const days = parseDays(a.rotate_every);
      const path = `${p}/${e}`;
      if (this.envs.has(path)) fail("conflict", `environment ${path} already exists`);
      const env = { project: p, name: e, rotate_every_days: days };
      this.envs.set(path, env);
      this.record(`added environment ${path}`, "env.add");
      return this.envDto(path, env);
    },
    rename_env: (a) => {
      if (!this.manages) fail("permission", "permission denied: only an owner or admin manages environments");
      this.vault();
      const from = this.envPath(a.from.trim());
      const [p, e] = parseEnvPath(a.to.trim());
      const to = `${p}/${e}`;
      if (this.envs.has(to)) fail("conflict", `environment ${to} already exists`);
      const env = { ...this.envs.get(from)!, project: p, name: e };
      this.envs.delete(from);
      this.envs.set(to, env);
      // The id is kept in the vault: everything keyed by the environment follows.
      for (const i of this.items) if (i.env === from) i.env = to;
      for (const m of [this.overrides, this.policies] as Map<string, unknown>[]) {
        if (m.has(from)) {
          m.set(to, m.get(from));
          m.delete(from);
        }
      }
      for (const m of this.members) {
        const g = m.grants.get(from);
        if (g) {
          m.grants.delete(from);
          m.grants.set(to, g);
        }
      }
      this.record(`renamed environment ${from} to ${to}`, "env.rename");
      return this.envDto(to, env);
    },
    removal_preview: (a) => {
      this.vault();
      return { envs: this.removalScope(a.scope.trim()).map((path) => this.removalOf(path)) };
    },
    remove_env: (a) => {
      if (!this.manages) fail("permission", "permission denied: only an owner or admin manages environments");
      this.vault();
      const removed = this.removalScope(a.scope.trim());
      for (const path of removed) {
        this.envs.delete(path);
        this.removedEnvs.set(path, this.items.filter((i) => i.env === path));
        this.items = this.items.filter((i) => i.env !== path);
        for (const m of this.members) m.grants.delete(path);
        this.overrides.delete(path);
        this.policies.delete(path);
        this.record(`removed environment ${path} (its history stays)`, "env.remove");
      }
      return { removed };
    },
    list_items: (a) => {
      this.vault();
      const scope = a.scope || null;
      if (scope?.includes("/")) this.env(scope);
      return this.live()
        .filter((i) => !scope || i.env === scope || i.env.startsWith(scope + "/"))
        .map((i) => this.summary(i, this.settings.due_soon_days));
    },
    reveal_item: (a) => {
      this.vault();
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      this.checkOpens(it);
      this.record(`revealed ${a.name} of ${a.env}`, "read");
      return { value: it.versions[it.versions.length - 1].value };
    },
    copy_item: (a) => {
      this.vault();
      checkKey(a.name);
      const secs = a.clear_after_secs ?? this.settings.clipboard_clear_secs;
      if (secs < 5 || secs > 600) fail("invalid_input", "the clipboard timeout must be 5 to 600 seconds");
      const it = this.find(a.env, a.name);
      this.checkOpens(it);
      this.clipboard = it.versions[it.versions.length - 1].value;
      this.record(`copied ${a.name} of ${a.env}`, "read");
      return { clear_after_secs: secs };
    },
    set_item: (a) => {
      this.vault();
      const name = a.name.trim();
      checkKey(name);
      this.writableEnv(a.env);
      if (a.value !== null && a.value.includes("\0")) fail("invalid_input", `the value of ${name} contains a NUL byte, which no environment variable can hold`);
      const fields: Partial<Version> = {};
      if (a.notes !== null) fields.notes = a.notes;
      if (a.url !== null) fields.url = a.url;
      if (a.username !== null) fields.username = a.username;
      const every = parseDays(a.rotate_every);
      if (every !== null) fields.rotate_every_days = every;
      const exp = parseDate(a.expires);
      if (exp !== null) fields.expires_at = exp;
      const it = this.items.find((i) => i.env === a.env && i.name === name && !i.deleted);
      if (it) {
        // Carrying the value over needs the value.
        if (a.value === null) this.checkOpens(it);
        const out = this.newVersion(it, a.value, fields);
        this.record(setSentence(name, a.env, out.version), "item.set");
        return out;
      }
      if (a.value === null) fail("invalid_input", `${name} is new: a value is required`);
      const now = this.now();
      this.items.push({
        id: newId(),
        env: a.env,
        name,
        deleted: false,
        versions: [
          {
            value: a.value!,
            notes: null,
            url: null,
            username: null,
            rotate_every_days: null,
            expires_at: null,
            exposed_at: null,
            ...fields,
            created_at: now,
            rotated_at: now,
          },
        ],
      });
      this.record(setSentence(name, a.env, 1), "item.set");
      return { version: 1, created: true, value_changed: true };
    },
    delete_item: (a) => {
      this.vault();
      checkKey(a.name);
      this.writableEnv(a.env);
      this.find(a.env, a.name).deleted = true;
      this.record(`deleted ${a.name} from ${a.env}`, "item.delete");
      return undefined as void;
    },
    item_history: (a) => {
      this.vault();
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      return it.versions
        .map((v, i): HistoryDto => ({ version: i + 1, author: v.unopened_by ?? this.identity!.name, created_at: v.created_at, rotated_at: v.rotated_at, conflict: false, stale: false, unreadable: v.unopened_by !== undefined }))
        .reverse();
    },
    generate_value: (a) => ({ value: generate(a) }),
    rate_passphrase: (a) =>
      mockRatePassphrase(a.password, [a.name ?? "", a.email ?? "", this.identity?.name ?? "", this.identity?.email ?? ""]),
    rotation_list: (a) => {
      this.vault();
      const window = a.due_soon_days ?? this.settings.due_soon_days;
      if (window > 365) fail("invalid_input", "the due-soon window must be at most 365 days");
      const order: RotationStatus[] = ["exposed", "expired", "overdue", "due_soon", "ok"];
      const all = this.live().map((i) => this.summary(i, window));
      all.sort((x, y) => order.indexOf(x.status) - order.indexOf(y.status) || (x.due_at ?? Infinity) - (y.due_at ?? Infinity));
      const counts = { exposed: 0, expired: 0, overdue: 0, due_soon: 0 };
      for (const i of all) if (i.status !== "ok") counts[i.status]++;
      return { items: all.filter((i) => i.status !== "ok"), counts, checked: all.length };
    },
    vault_snapshot: async (a) => ({
      envs: await this.handlers.list_envs(null),
      items: await this.handlers.list_items({ scope: null }),
      rotation: await this.handlers.rotation_list(a),
      manages: this.manages,
    }),
    rotate_item: (a) => {
      this.vault();
      checkKey(a.name);
      this.writableEnv(a.env);
      if ((a.value === null) === (a.generate === null)) fail("invalid_input", "give exactly one of: a new value, or a generator");
      const value = a.value ?? generate(a.generate!);
      const it = this.find(a.env, a.name);
      this.checkOpens(it);
      const cur = it.versions[it.versions.length - 1];
      if (cur.value === value) fail("invalid_input", `the new value of ${a.name} is the same as the current one`);
      const exp = parseDate(a.expires ?? null);
      if (exp === null && !a.no_expiry && cur.expires_at !== null) {
        const when = cur.expires_at <= this.now() ? "expired" : "expires";
        const day = new Date(cur.expires_at * 1000).toISOString().slice(0, 10);
        fail("invalid_input", `${a.name} ${when} on ${day}, an expiry that belongs to the old value: give the new value's expiry, or say it has none`);
      }
      const out = this.newVersion(it, value, { expires_at: exp ?? (a.no_expiry ? null : cur.expires_at) });
      this.record(setSentence(a.name, a.env, out.version), "item.set");
      return out;
    },

    // ----- team ------------------------------------------------------------
    list_members: () => {
      this.vault();
      return this.members.map((m) => this.memberDto(m));
    },
    inspect_identity: (a) => {
      this.vault();
      const p = parsePublicIdentity(a.public_identity);
      return { ...p, already_member: this.members.find((m) => m.fingerprint === p.fingerprint)?.name ?? null };
    },
    add_member: (a) => {
      this.vault();
      const name = a.name.trim();
      if (!name || name.length > 100) fail("invalid_input", "a member name must be 1-100 printable characters");
      for (const g of a.grants) this.env(g.env);
      const p = parsePublicIdentity(a.public_identity);
      if (normFp(a.fingerprint) !== normFp(p.fingerprint)) {
        fail("integrity", `integrity check failed: the fingerprint you confirmed does not match this public identity (${p.fingerprint}); do not add it`);
      }
      if (this.members.some((m) => m.fingerprint === p.fingerprint)) fail("conflict", `a member with this identity (${name}) already exists`);
      if (this.members.some((m) => m.name === name)) fail("conflict", `member ${name} already exists`);
      const m: Member = {
        name,
        email: p.email,
        role: a.role,
        fingerprint: p.fingerprint,
        grants: new Map(a.grants.filter((g) => g.access !== "none").map((g) => [g.env, g.access as "read" | "write"])),
        added_by: this.me().name,
        added_at: this.now(),
        revoked_at: null,
        is_me: false,
        exposed: null,
      };
      this.members.push(m);
      return this.memberDto(m);
    },
    set_member_role: (a) => {
      this.vault();
      const m = this.active(a.name);
      const owners = this.members.filter((x) => x.role === "owner" && x.revoked_at === null).length;
      if (m.role === "owner" && a.role !== "owner" && owners <= 1) fail("conflict", "the vault must keep at least one owner");
      m.role = a.role;
      return this.memberDto(m);
    },
    set_access: (a) => {
      this.vault();
      const m = this.active(a.member);
      this.env(a.env);
      if (m.role === "owner") fail("conflict", `${m.name} is an owner, and owners hold every key: change their role first`);
      if (a.access === "none") m.grants.delete(a.env);
      else m.grants.set(a.env, a.access);
      return this.memberDto(m);
    },
    item_sharing: (a) => {
      this.vault();
      checkKey(a.name);
      return this.sharing(this.find(a.env, a.name));
    },
    share_item: (a) => {
      this.vault();
      this.writableEnv(a.env);
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      const m = this.active(a.member);
      if (this.holds(m, it.env)) fail("conflict", `${m.name} can already read all of ${it.env}`);
      const set = this.shares.get(it.id) ?? new Set<string>();
      set.add(m.name);
      this.shares.set(it.id, set);
      return this.sharing(it);
    },
    unshare_item: (a) => {
      this.vault();
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      const m = this.member(a.member);
      if (!this.shares.get(it.id)?.delete(m.name)) fail("not_found", `${it.name} shared with ${m.name} not found`);
      return this.sharing(it);
    },
    offboard_preview: (a) => {
      this.vault();
      const m = this.active(a.name);
      const envs = m.role === "owner" ? [...this.envs.keys()] : [...m.grants.keys()];
      return {
        member: m.name,
        fingerprint: m.fingerprint,
        rekey: envs.sort().map((env) => ({
          env,
          items: this.items.filter((i) => i.env === env).length,
          keep_access: this.members.filter((x) => x !== m && this.holds(x, env)).map((x) => x.name),
        })),
        exposed: this.readableBy(m).map((i) => `${i.env}/${i.name}`).sort(),
        refusal: this.refusal(m),
      };
    },
    offboard_member: async (a) => {
      this.vault();
      const m = this.active(a.name);
      if (a.confirm_name.trim() !== m.name) fail("invalid_input", `type the member's name exactly (${m.name}) to confirm the offboarding`);
      const why = this.refusal(m);
      if (why) fail(why.startsWith("only") || why.includes("only an owner") ? "permission" : "conflict", why);
      const exposed = this.readableBy(m);
      const rekeyed = this.items.filter((i) => this.holds(m, i.env));
      this.progress = { running: true, member: m.name, done: 0, total: rekeyed.length };
      for (let i = 1; i <= rekeyed.length; i++) {
        await new Promise((r) => setTimeout(r, this.offboardStepMs));
        this.progress = { ...this.progress, done: i };
      }
      const now = this.now();
      for (const it of exposed) it.versions[it.versions.length - 1].exposed_at = now;
      for (const set of this.shares.values()) set.delete(m.name);
      m.revoked_at = now;
      m.grants.clear();
      m.exposed = exposed.map((i) => i.id);
      this.progress = { ...this.progress, running: false };
      return this.report(m);
    },
    offboard_progress: () => ({ ...this.progress }),
    exposure_report: (a) => {
      this.vault();
      return this.report(this.member(a.name));
    },
    save_exposure_report: (a) => {
      this.vault();
      const path = homePath(a.path.trim());
      if (!path.startsWith("/") || path.endsWith("/")) fail("invalid_input", `'${a.path.trim()}' is not a file path: give an absolute path like ~/bob-exposure.md`);
      this.confine("report", path);
      const r = this.report(this.member(a.member));
      if (this.files.has(path) && !a.overwrite) fail("conflict", `${path} already exists`);
      const content = a.format === "csv" ? this.csv(r) : this.markdown(r);
      this.files.set(path, { content, mode: 0o600 });
      return { path, bytes: new TextEncoder().encode(content).length };
    },
    audit_log: (a) => {
      this.vault();
      if (a.limit < 1 || a.limit > 1000) fail("invalid_input", "a page holds 1 to 1000 entries");
      if (a.kind && !KINDS.includes(a.kind)) fail("invalid_input", `unknown kind "${a.kind}"`);
      const text = a.text?.trim().toLowerCase() || null;
      const dto = (e: LogEntry): AuditEntryDto => ({
        seq: e.seq,
        time: fmtTime(e.at),
        author: this.memberName(e.member),
        device: shortId(e.device),
        device_seq: e.device_seq,
        kind: e.kind,
        summary: e.summary,
        denied: e.denied,
      });
      const matching = [...this.log]
        .reverse()
        .filter((e) => (!a.member || e.member === a.member) && (!a.device || e.device === a.device))
        .filter((e) => (!a.kind || e.kind === a.kind) && (!a.denied_only || e.denied))
        .map(dto)
        .filter((e) => !text || [e.time, e.author, e.device, e.kind, e.denied ? "denied" : "applied", e.summary].some((f) => f.toLowerCase().includes(text)));
      const members: AuditFacetDto[] = [];
      const devices: AuditFacetDto[] = [];
      for (const e of this.log) {
        if (!members.some((m) => m.id === e.member)) members.push({ id: e.member, label: this.memberName(e.member) });
        if (!devices.some((d) => d.id === e.device)) devices.push({ id: e.device, label: `${shortId(e.device)} (${this.memberName(e.member)})` });
      }
      return {
        entries: matching.slice(a.offset, a.offset + a.limit),
        total: matching.length,
        log_entries: this.log.length,
        members: members.sort((x, y) => (x.label < y.label ? -1 : 1)),
        devices,
        kinds: KINDS.filter((k) => this.log.some((e) => e.kind === k)),
      };
    },
    verify_vault: () => {
      this.vault();
      const chains: ChainDto[] = [];
      for (const e of this.log) {
        let c = chains.find((x) => x.device === shortId(e.device));
        if (!c) {
          const mine = e.device === ADA_DEVICE;
          c = { device: shortId(e.device), author: this.memberName(e.member), this_device: mine, entries: 0, last_seq: 0, linked: true, signatures_ok: true, replay_ok: true, head: mine ? "ok" : "not_recorded", ok: true };
          chains.push(c);
        }
        c.entries++;
        c.last_seq = e.device_seq;
      }
      const problems: string[] = [];
      const bob = chains.find((c) => !c.this_device);
      if (this.tampered && bob) {
        bob.linked = false;
        bob.ok = false;
        const first = this.log.find((e) => e.device === BOB_DEVICE)!;
        problems.push(`entry ${first.seq} (device ${bob.device} #1): its contents were modified (hash mismatch)`);
      }
      const opened = this.live().length;
      return {
        ok: problems.length === 0,
        verdict:
          problems.length === 0
            ? `Verified: ${count(this.log.length, "entry", "entries")} from ${count(chains.length, "device")}, every signature valid, the state matches the log, ${count(opened, "credential")} open.`
            : `Integrity check failed: ${problems[0]}.`,
        entries: this.log.length,
        devices: chains.length,
        items_opened: opened,
        problems,
        chains,
        state_matches: problems.length === 0 ? true : null,
      };
    },
    export_env: (a) => {
      this.vault();
      if (!FORMATS.includes(a.format)) fail("invalid_input", `unknown format "${a.format}" (expected one of: dotenv, shell, json, example)`);
      if (!DIALECTS.includes(a.dialect)) fail("invalid_input", `unknown dialect "${a.dialect}" (expected one of: portable, node, python, rust, compose, docker)`);
      const path = homePath(a.path.trim());
      if (!path) fail("invalid_input", "enter the path of the file to write");
      if (!path.startsWith("/")) fail("invalid_input", `${path} is not a full path: give the whole path of the file to write, starting with / or ~/`);
      this.confine("export", path);
      const bare = path.replace(/\/+$/, "");
      if (FOLDERS.includes(bare)) fail("invalid_input", `${path} is a folder: add a file name, such as ${bare}/.env`);
      const dir = path.slice(0, path.lastIndexOf("/")) || "/";
      if (!FOLDERS.includes(dir)) fail("not_found", `the folder of ${path} not found`);
      if (this.files.has(path) && !a.overwrite) fail("conflict", `${path} already exists: choose another file, or allow replacing it`);
      this.env(a.env);
      const items = this.live().filter((i) => i.env === a.env);
      items.forEach((it) => this.checkOpens(it));
      for (const it of items) {
        const working = this.unrepresentable(it.versions[it.versions.length - 1].value, a.format, a.dialect);
        if (working) {
          const way =
            a.format !== "dotenv"
              ? "choose the JSON format instead"
              : working.length === 0
                ? "choose the shell or JSON format instead"
                : `choose the ${working.join(" or ")} dialect if only that parser reads the file, or the shell or JSON format`;
          fail("invalid_input", `the value of ${it.name} cannot be written as ${a.format} (${a.dialect} dialect): it holds both quote characters; ${way}`);
        }
      }
      if (!a.write_anyway && dir.startsWith(GIT_REPO) && !GIT_IGNORED.includes(path.slice(dir.length + 1))) {
        fail("conflict", `${path} is inside the git work tree ${GIT_REPO} and not ignored by git: add it to .gitignore, or tick “Write anyway”`);
      }
      // The caller's personal overrides on top (coffer-vault's apply_overlay).
      const mine = this.overlayForUse(a.env);
      const vars = items.map((i) => [i.name, mine.get(i.name) ?? i.versions[i.versions.length - 1].value]);
      const overridden = items.filter((i) => mine.has(i.name)).map((i) => i.name);
      const added = [...mine.keys()].filter((n) => !items.some((i) => i.name === n)).sort();
      for (const n of added) vars.push([n, mine.get(n)!]);
      const content = vars.map(([n, v]) => `${n}=${JSON.stringify(v)}\n`).join("");
      this.files.set(path, { content, mode: 0o600 });
      const read = items.length - overridden.length;
      this.record(`exported ${count(read, "credential")} of ${a.env}`, "read");
      return { path, variables: vars.length, overridden, added };
    },
    restore_version: (a) => {
      this.vault();
      checkKey(a.name);
      this.writableEnv(a.env);
      if (a.version < 1) fail("invalid_input", "versions start at 1");
      const it = this.find(a.env, a.name);
      const old = it.versions[a.version - 1];
      if (!old || old.unopened_by !== undefined) fail("not_found", `version ${a.version} of ${a.name} in ${a.env} not found`);
      const cur = it.versions[it.versions.length - 1];
      const now = this.now();
      const changed = old.value !== cur.value;
      const restored: Version = { ...cur, value: old.value, created_at: now, rotated_at: changed ? now : cur.rotated_at, exposed_at: changed ? null : cur.exposed_at };
      delete restored.unopened_by;
      it.versions.push(restored);
      this.record(setSentence(a.name, a.env, it.versions.length), "item.set");
      return { version: it.versions.length, created: false, value_changed: changed };
    },
    sync_state: () => {
      this.vault();
      return this.syncState();
    },
    sync_now: () => {
      this.vault();
      if (!this.syncRemote) fail("not_found", "no sync set-up for this vault: run `coffer sync init --folder PATH` or `--git REMOTE` first");
      if (this.syncFailure) fail("conflict", this.syncFailure);
      const got = this.incoming.splice(0);
      for (const f of got) f(this);
      const published = this.pending;
      this.pending = 0;
      this.lastSync = this.now();
      const warnings = this.syncWarnings.splice(0);
      return { received: got.length, applied: got.length, denied: [], published, quarantined: [], held_back: [], warnings, state: this.syncState() };
    },
    sync_setup: (a) => {
      this.vault();
      this.checkRemote(a);
      if (this.syncRemote) fail("conflict", "already exists: a sync set-up for this vault; run `coffer sync`");
      this.syncRemote = { kind: a.kind, location: a.location.trim() };
      this.lastSync = this.now();
      this.pending = 0;
      return { received: 0, applied: 0, denied: [], published: this.log.length, quarantined: [], held_back: [], warnings: [], state: this.syncState() };
    },
    join_preview: (a) => {
      if (this.session === "vault") fail("conflict", "a vault is already open: lock the app first");
      if (this.session !== "identity") fail("locked", "the vault is locked: unlock it first");
      const r = this.teamRemote(a);
      return { vault_name: r.name, vault_id: r.vault_id, owner_fingerprint: r.owner_fingerprint };
    },
    join_vault: (a) => {
      if (this.session === "vault") fail("conflict", "a vault is already open: lock the app first");
      if (this.session !== "identity") fail("locked", "the vault is locked: unlock it first");
      const r = this.teamRemote(a.remote);
      const norm = (f: string) => f.replace(/[^0-9a-z]/gi, "").toLowerCase();
      if (!norm(a.owner_fingerprint) || norm(a.owner_fingerprint) !== norm(r.owner_fingerprint)) {
        fail("conflict", "refused: the sync folder now names another owner than the fingerprint you confirmed: nothing was joined");
      }
      if (!r.member) {
        fail("permission", "permission denied: you are not a member of this vault yet: send your public identity (`coffer identity show`) to an admin, who runs `coffer member add` and `coffer sync`; then join again");
      }
      this.vaultName = r.name;
      this.session = "vault";
      this.syncRemote = { kind: a.remote.kind, location: a.remote.location.trim() };
      this.lastSync = this.now();
      return this.status();
    },
    item_conflicts: (a) => {
      this.vault();
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      if (!it.waiting?.length) fail("not_found", `not found: a conflict on ${a.name} in ${a.env}`);
      const n = it.versions.length;
      const cur = it.versions[n - 1];
      if (a.reveal) this.record(`read the conflicting versions of ${a.name} in ${a.env}`, "read");
      return {
        current: { version: { version: n, author: this.identity!.name, created_at: cur.created_at, rotated_at: cur.rotated_at, conflict: false, stale: false, unreadable: false }, value: a.reveal ? cur.value : null },
        waiting: it.waiting!.map((w) => ({
          version: { version: n, author: w.author, created_at: w.created_at, rotated_at: w.created_at, conflict: true, stale: w.stale ?? false, unreadable: false },
          value: a.reveal ? w.value : null,
        })),
      };
    },
    resolve_conflict: (a) => {
      this.vault();
      checkKey(a.name);
      const it = this.find(a.env, a.name);
      const waiting = it.waiting ?? [];
      if (!waiting.length) fail("not_found", `not found: a conflict on ${a.name} in ${a.env}`);
      if (a.keep === null) {
        it.waiting = [];
        this.record(`resolved the conflict on ${a.name} in ${a.env} (kept the current version)`, "item.resolve");
        return { version: it.versions.length, created: false, value_changed: false };
      }
      if (a.keep < 1 || a.keep > waiting.length) {
        fail("invalid_input", `there are ${count(waiting.length, "concurrent version")} of ${a.name}: choose 1 to ${waiting.length}, or keep the current one`);
      }
      const out = this.newVersion(it, waiting[a.keep - 1].value, {});
      it.waiting = [];
      this.record(`resolved the conflict on ${a.name} in ${a.env} (kept ${waiting[a.keep - 1].author}'s version)`, "item.resolve");
      return out;
    },
    rebuild_vault: (a) => {
      if (this.session === "vault") fail("conflict", "a vault is already open: lock the app first");
      const rebuilt = this.replicaBroken;
      this.replicaBroken = false;
      try {
        this.handlers.unlock(a);
      } catch (e) {
        this.replicaBroken = rebuilt;
        throw e;
      }
      this.session = "vault";
      return {
        status: this.status(),
        rebuilt,
        moved_aside: rebuilt ? `${this.vaultPath}.broken-1796500000` : null,
        salvaged: rebuilt ? 2 : 0,
        dropped: 0,
      };
    },
    public_identity: () => {
      if (this.session === "none" || !this.identity) fail("locked", "the vault is locked: unlock it first");
      return { public: mockPublicIdentity(this.identity!.name, this.identity!.email, "me-key"), fingerprint: mockFingerprint("me-key") };
    },
    copy_public_identity: () => {
      if (this.session === "none" || !this.identity) fail("locked", "the vault is locked: unlock it first");
      this.clipboard = mockPublicIdentity(this.identity!.name, this.identity!.email, "me-key");
    },
    scan_folder: async (a) => {
      this.vault();
      const path = homePath(a.path.trim()).replace(/\/+$/, "");
      if (!path) fail("invalid_input", "enter the path of the folder to scan");
      if (!path.startsWith("/")) fail("invalid_input", `${path} is not a full path: give the whole path of the folder to scan, starting with / or ~/`);
      if (this.scanJob.running) fail("conflict", "a scan is already running: wait for it to end or cancel it");
      this.confine("scan_folder", path);
      const files = this.scanFiles.get(path);
      if (!files) fail("not_found", `${path} not found`);
      const list = files!.filter((f) => !(a.respect_gitignore && f.ignored));
      this.scanJob = { running: true, phase: "searching", files_done: 0, files_total: list.length, bytes: 0, cancel: false };
      this.scanFound = [];
      // Deleted credentials count too (the provider may still accept them),
      // unless only current values are asked for.
      const live = a.current_only ? this.live() : [...this.live(), ...this.items.filter((i) => i.deleted)];
      const found = new Map<string, ScanCredentialDto>();
      let values = 0;
      let short = 0;
      for (const it of live) for (const v of a.current_only ? it.versions.slice(-1) : it.versions) v.value.length < 8 ? short++ : values++;
      let scanned = 0;
      let bytes = 0;
      for (const f of list) {
        await new Promise((r) => setTimeout(r, this.scanStepMs));
        if (this.scanJob.cancel) break;
        scanned++;
        bytes += f.content.length;
        this.scanJob = { ...this.scanJob, files_done: scanned, bytes };
        for (const it of live) {
          const n = it.versions.length;
          for (let i = n - 1; i >= (a.current_only ? n - 1 : 0); i--) {
            const value = it.versions[i].value;
            if (value.length < 8) continue;
            const at = f.content.indexOf(value);
            if (at < 0) continue;
            const line = f.content.slice(0, at).split("\n").length;
            const c = found.get(it.id) ?? {
              id: it.id,
              env_path: it.env,
              name: it.name,
              exposed: it.versions[n - 1].exposed_at !== null,
              places: 0,
              versions: [],
            };
            found.set(it.id, c);
            c.places++;
            let ver = c.versions.find((x) => x.version === i + 1);
            const state = it.deleted ? "deleted" : i === n - 1 ? "current" : "old";
            if (!ver) c.versions.push((ver = { version: i + 1, current: state === "current", state, places: [] }));
            ver.places.push({ path: f.path, line, encoding: "raw" });
            break;
          }
        }
      }
      const cancelled = this.scanJob.cancel;
      this.scanJob = { ...this.scanJob, running: false, phase: "done" };
      const credentials = [...found.values()].sort((x, y) => (`${x.env_path}/${x.name}` < `${y.env_path}/${y.name}` ? -1 : 1));
      for (const c of credentials) c.versions.sort((x, y) => y.version - x.version);
      this.scanFound = credentials.map((c) => c.id);
      this.picked.delete(`scan_folder:${path}`);
      return {
        folder: path,
        files: scanned,
        bytes,
        values,
        skipped_short: short,
        unreadable: [],
        unreadable_count: 0,
        not_in_git: a.respect_gitignore && path !== GIT_REPO,
        cancelled,
        credentials,
      };
    },
    scan_progress: () => {
      const { cancel: _, ...p } = this.scanJob;
      return p;
    },
    scan_cancel: () => {
      this.scanJob.cancel = true;
    },
    scan_mark_exposed: (a) => {
      this.vault();
      if (this.scanFound.length === 0) fail("not_found", "the last scan found nothing to mark: scan again");
      const stray = a.ids?.find((id) => !this.scanFound.includes(id));
      if (stray) fail("invalid_input", `credential ${stray} was not found by the last scan`);
      let marked = 0;
      for (const id of a.ids ?? this.scanFound) {
        const it = this.items.find((i) => i.id === id)!;
        if (it.versions[it.versions.length - 1].exposed_at !== null) continue;
        this.newVersion(it, null, { exposed_at: this.now() });
        this.record(`marked ${it.name} in ${it.env} exposed`, "item.set");
        marked++;
      }
      return { marked };
    },
    hygiene_report: () => {
      this.vault();
      const DEV = ["dev", "development", "local", "test", "ci"];
      const out: HygieneFindingDto[] = [];
      const split = (it: Item) => ({ env_path: it.env, name: it.name, personal_override: false });
      const byValue = new Map<string, Item[]>();
      const placeholders: HygieneFindingDto[] = [];
      for (const it of this.live()) {
        const v = it.versions[it.versions.length - 1].value;
        const env = it.env.split("/")[1];
        if (!DEV.includes(env) && /^(|todo|tbd|xxx|changeme|password|secret|example|placeholder)$|changeme|your_|<.*>/i.test(v.trim())) {
          placeholders.push({ kind: "placeholder", credentials: [split(it)], detail: `looks like a placeholder in ${it.env}` });
        }
        if (v.length >= 8) byValue.set(v, [...(byValue.get(v) ?? []), it]);
      }
      for (const group of byValue.values()) {
        const envs = new Set(group.map((i) => i.env));
        if (envs.size < 2) continue;
        const projects = new Set(group.map((i) => i.env.split("/")[0]));
        out.push({
          kind: "reused",
          credentials: group.map(split),
          detail: projects.size > 1 ? `the same value in ${projects.size} projects` : `the same value in ${envs.size} environments`,
        });
      }
      return [...out, ...placeholders];
    },
    check_example: (a) => {
      this.vault();
      const env = this.env(a.env);
      void env;
      const path = homePath(a.path.trim());
      if (!path || !path.startsWith("/")) fail("invalid_input", `${a.path} is not a full path: start it with / or ~/`);
      if (!this.picked.has(`example:${path}`)) this.confine("example", path);
      const file = this.files.get(path);
      if (!file) fail("not_found", `cannot read ${path}: No such file or directory (os error 2)`);
      const wanted: string[] = [];
      for (const line of file!.content.split("\n")) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
        if (m && !line.trim().startsWith("#") && !wanted.includes(m[1])) wanted.push(m[1]);
      }
      const have = this.items.filter((i) => i.env === a.env && !i.deleted).map((i) => i.name);
      return {
        example: path,
        wanted: wanted.length,
        missing: wanted.filter((k) => !have.includes(k)),
        extra: have.filter((k) => !wanted.includes(k)).sort(),
      };
    },
    list_overrides: (a) => {
      this.vault();
      const paths = a.env === null ? [...this.envs.keys()].sort() : [this.envPath(a.env.trim())];
      return paths.flatMap((path) => {
        const mine = this.overrides.get(path) ?? new Map<string, string>();
        const shared = new Set(this.live().filter((i) => i.env === path).map((i) => i.name));
        const applies = this.overridesAllowed(path);
        return [...mine.keys()].sort().map((name) => ({ env: path, name, added: !shared.has(name), applies }));
      });
    },
    set_override: (a) => {
      this.vault();
      const name = a.name.trim();
      checkKey(name);
      const path = this.envPath(a.env.trim());
      if (a.value.includes("\0")) fail("invalid_input", `the value of ${name} contains a NUL byte, which no environment variable can hold`);
      if (!this.overridesAllowed(path)) {
        fail("conflict", `the policy of ${path} forbids personal overrides (an owner or admin can allow them: coffer env policy ${path} --overrides allow)`);
      }
      if (!this.overrides.has(path)) this.overrides.set(path, new Map());
      const mine = this.overrides.get(path)!;
      const created = !mine.has(name);
      mine.set(name, a.value);
      this.record(`${created ? "added" : "changed"} a personal override in ${path}`, "overlay.set");
      return { created, added: !this.live().some((i) => i.env === path && i.name === name) };
    },
    remove_override: (a) => {
      this.vault();
      checkKey(a.name);
      const path = this.envPath(a.env.trim());
      if (!this.overrides.get(path)?.delete(a.name)) fail("not_found", `a personal override of ${a.name} in ${path} not found`);
      this.record(`removed a personal override in ${path}`, "overlay.remove");
      return undefined as void;
    },
    env_policy: (a) => {
      this.vault();
      const path = this.envPath(a.env.trim());
      return this.policyDto(path);
    },
    set_env_policy: (a) => {
      this.vault();
      const path = this.envPath(a.env.trim());
      if (!this.manages) fail("permission", "permission denied: only an owner or admin sets an environment's override policy");
      if (a.overrides === "default") this.policies.delete(path);
      else this.policies.set(path, a.overrides);
      this.record(`set the personal override policy of ${path} to ${a.overrides}`, "env.policy");
      return this.policyDto(path);
    },
    pick_path: (a) => {
      const path = this.pickAnswer;
      if (path) this.picked.add(`${a.purpose}:${path}`);
      return { path };
    },
    open_vault: (a) => {
      const path = homePath(a.path.trim());
      if (!path) fail("invalid_input", "enter the path of the vault file");
      if (!path.startsWith("/")) fail("invalid_input", `${path} is not a full path: give the whole path of the vault file, starting with / or ~/`);
      if (this.session === "vault") fail("conflict", "a vault is already open: lock the app first");
      if (this.session !== "identity") fail("locked", "the vault is locked: unlock it first");
      this.confine("open_vault", path);
      if (this.notVaults.includes(path)) fail("invalid_input", `${path} is not a Coffer vault file (or it is damaged)`);
      const v = this.otherVaults.get(path);
      if (!v) fail("not_found", `no vault at ${path}: create one with \`coffer init --name TEAM\``);
      if (!v!.member) fail("permission", "permission denied: you are not a member of this vault; ask an admin to add your public identity");
      this.vaultName = v!.name;
      this.vaultPath = path;
      this.session = "vault";
      return this.status();
    },

  };
}
