//! Argument definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  coffer identity new --name \"Ada Lovelace\" --email ada@example.com
  coffer init --name Acme
  coffer env add payments/prod --rotate-every 90d
  printf %s \"$STRIPE_KEY\" | coffer set payments/prod STRIPE_KEY --url https://dashboard.stripe.com
  coffer ls payments
  coffer run payments/prod -- ./server
  coffer export payments/dev -o .env
  coffer rotation --fail-on overdue

Passphrase: read from COFFER_PASSPHRASE if set, else asked on the terminal.
Exit codes: 0 ok, 1 internal, 2 usage, 3 auth, 4 not found, 5 permission denied,
6 integrity failure, 7 invalid input, 8 conflict/refused, 9 vault busy,
10 rotation gate (--fail-on matched), 11 keychain, 12 keys missing (check, run --require),
13 scan found a vault value, 14 lint gate (--fail-on matched). `coffer run` returns the command's code.";

/// The passphrase policy, for `identity new --help` and `passwd --help`.
const PASSPHRASE_POLICY: &str = "\
A new passphrase needs at least 10 characters and a strength rating of \"Strong\" or \
better (zxcvbn: common passwords, words, names, your own name and email, keyboard \
patterns and published example passphrases count as easy to guess); a weaker one is \
refused (exit 7) with what to change. The desktop app applies the same rule.";

/// Coffer: a credential vault for software teams.
#[derive(Parser, Debug)]
#[command(name = "coffer", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The vault file (default: $COFFER_HOME/vault.coffer).
    #[arg(long, global = true, env = "COFFER_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,
    /// Command.
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create or show this device's identity.
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Change the passphrase (re-wraps the account key; no item changes).
    #[command(after_help = PASSPHRASE_POLICY)]
    Passwd,
    /// Unlock from the OS keychain instead of typing the passphrase.
    #[command(subcommand)]
    Keychain(KeychainCmd),
    /// Keep the vault open for the session: `get`, `export` and `run
    /// --no-masking` through the thin `coffer` answer in about a
    /// millisecond. Ends with the session (`coffer lock`, idle timeout).
    #[cfg(unix)]
    #[command(subcommand)]
    Agent(crate::agent::AgentCmd),
    /// End the session unlock: the next command asks for the passphrase
    /// (or the keychain) again. A session lasts COFFER_SESSION_MINUTES idle
    /// minutes (default 10; 0 turns it off).
    Lock,
    /// Create a vault; you become its owner.
    Init {
        /// Team name.
        #[arg(long)]
        name: String,
    },
    /// Projects and environments.
    #[command(subcommand)]
    Env(EnvCmd),
    /// Rename or remove a project (every environment of it).
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Your personal overrides: your own values for keys of an environment,
    /// readable only by you, applied by run, export and inject.
    #[command(subcommand)]
    Override(OverrideCmd),
    /// Add or update a credential (the value comes from stdin or a hidden prompt).
    #[command(
        after_help = "The value is never taken from the command line. Piped input is used \
        as is, minus one trailing newline (keep it with --keep-newline).\n\n\
        Example: printf %s \"$TOKEN\" | coffer set web/prod API_TOKEN --rotate-every 90d"
    )]
    Set {
        /// PROJECT/ENV.
        env: String,
        /// Key name (an environment variable name).
        key: String,
        /// `-` reads the value from stdin (the default when stdin is not a terminal).
        #[arg(value_name = "-")]
        stdin: Option<String>,
        /// Notes (provider, owner, how to rotate).
        #[arg(long)]
        notes: Option<String>,
        /// Where the credential is managed.
        #[arg(long)]
        url: Option<String>,
        /// Account name at the provider.
        #[arg(long)]
        username: Option<String>,
        /// Rotation period (e.g. 90d, 12w).
        #[arg(long, value_name = "DAYS")]
        rotate_every: Option<String>,
        /// Provider expiry (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Keep a trailing newline of piped input.
        #[arg(long)]
        keep_newline: bool,
        /// Store an empty value (refused otherwise: an unset shell variable
        /// piped in reads as empty).
        #[arg(long, conflicts_with_all = ["generate", "no_value"])]
        allow_empty: bool,
        /// Generate a random value instead of reading one.
        #[command(flatten)]
        gen: GenArgs,
        /// Only change the metadata (notes, url, rotation) of an existing credential.
        #[arg(long, conflicts_with_all = ["stdin", "generate"])]
        no_value: bool,
    },
    /// Print a credential's value (logged as a reveal).
    Get {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// Do not print a newline after the value.
        #[arg(short = 'n', long)]
        no_newline: bool,
        /// Print value and metadata as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List credentials (never values).
    Ls {
        /// PROJECT or PROJECT/ENV (default: everything you can read).
        scope: Option<String>,
        /// Only credentials shared one by one, with whom.
        #[arg(long)]
        shared: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential.
    Rm {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
    },
    /// A credential's versions (who, when); values only with --reveal.
    History {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// Show each version's value (logged).
        #[arg(long)]
        reveal: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Resolve a conflict: two teammates changed a credential concurrently;
    /// both versions are kept until you choose (see `history`).
    #[command(
        after_help = "Examples:\n  coffer history web/prod API_KEY --reveal   # the concurrent versions are listed last\n  coffer resolve web/prod API_KEY --keep current\n  coffer resolve web/prod API_KEY --keep 1"
    )]
    Resolve {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// `current`, or the number of a concurrent version (from 1, oldest first).
        #[arg(long, value_name = "current|N")]
        keep: String,
    },
    /// Restore an old version's value as a new version (see `history`).
    Restore {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// The version to bring back.
        version: u64,
    },
    /// Rotation status, most urgent first.
    #[command(
        after_help = "Example (CI gate): coffer rotation --fail-on overdue  # exits 10 if anything is overdue, expired or exposed"
    )]
    Rotation {
        /// PROJECT or PROJECT/ENV.
        scope: Option<String>,
        /// The "due soon" window.
        #[arg(long, default_value = "14d", value_name = "DAYS")]
        due_within: String,
        /// Exit 10 if any credential is at this status or worse (overdue, due_soon, expired, exposed).
        #[arg(long, value_name = "STATUS")]
        fail_on: Option<String>,
        /// Also list credentials that are ok (by default only those needing action).
        #[arg(long)]
        all: bool,
        /// Only exposed credentials (left by offboarding, until their value changes).
        #[arg(long, conflicts_with = "all")]
        exposed: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Give a credential a new value (typed, piped or generated); the old one stays in history.
    Rotate {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// Generation options.
        #[command(flatten)]
        gen: GenArgs,
        /// Keep a trailing newline of piped input.
        #[arg(long)]
        keep_newline: bool,
        /// Accept an empty new value (refused otherwise).
        #[arg(long, conflicts_with = "generate")]
        allow_empty: bool,
        /// The new value's provider expiry (YYYY-MM-DD). Required when the
        /// credential has an expiry: the old one belongs to the old value.
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// The new value does not expire.
        #[arg(long, conflicts_with = "expires")]
        no_expiry: bool,
    },
    /// Write an environment as dotenv, shell, JSON or .env.example.
    Export {
        /// PROJECT/ENV.
        env: String,
        /// dotenv, shell, json or example.
        #[arg(long, default_value = "dotenv")]
        format: String,
        /// portable, node, python, rust, compose or docker.
        #[arg(long, default_value = "portable")]
        dialect: String,
        /// Write to FILE (atomically, mode 0600) instead of stdout.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write even inside a git work tree that does not ignore FILE.
        #[arg(long)]
        force: bool,
        /// Write this variable into a shell or dotenv export although it
        /// decides what code runs (LD_*, PATH, NODE_OPTIONS, …; see
        /// `coffer run --help`). Repeat for each.
        #[arg(long = "allow-var", value_name = "NAME")]
        allow_var: Vec<String>,
        /// Export the shared environment as it is, without your personal
        /// overrides.
        #[arg(long = "no-overrides")]
        no_overrides: bool,
    },
    /// Run a command with an environment's variables set (and env files,
    /// secrets as files); nothing is written to disk unless --file asks.
    Run(crate::workflow::RunArgs),
    /// Render a template: every {{ coffer://… }} placeholder replaced.
    Inject(crate::workflow::InjectArgs),
    /// Compare an environment's keys with a .env.example (exit 12 if any is missing).
    Check(crate::workflow::CheckArgs),
    /// Start your shell with an environment's variables, its prompt marked.
    Shell(crate::workflow::ShellArgs),
    /// Shell and git integration: `hook direnv` (for .envrc), `hook install pre-commit`.
    #[command(subcommand)]
    Hook(crate::workflow::HookCmd),
    /// Import a .env file, or another manager's export (all or nothing).
    Import(crate::import::ImportArgs),
    /// The audit log (op log), or `audit verify`.
    Audit {
        /// `verify` checks every chain, signature and the state.
        #[command(subcommand)]
        sub: Option<AuditCmd>,
        /// JSON output.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Team members: add, list, roles, offboarding.
    #[command(subcommand)]
    Member(crate::team::MemberCmd),
    /// Give a member access to an environment (PROJECT/ENV[:read|write]).
    Grant {
        /// Member name.
        name: String,
        /// PROJECT/ENV[:read|write] (default read).
        grant: String,
    },
    /// Remove a member's access to an environment (the environment is re-keyed).
    Ungrant {
        /// Member name.
        name: String,
        /// PROJECT/ENV.
        env: String,
    },
    /// Share one credential with a member who has no grant on its environment.
    Share {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// Member name.
        #[arg(long = "with", value_name = "NAME")]
        with: String,
    },
    /// Stop sharing a credential with a member (its key is replaced).
    Unshare {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
        /// Member name.
        #[arg(long = "with", value_name = "NAME")]
        with: String,
    },
    /// Exchange signed ops with teammates' devices: fetch, verify and apply
    /// theirs, publish yours (`sync init` sets it up, `sync status` shows it).
    #[command(
        after_help = "Examples:\n  coffer sync init --git git@example.com:acme/coffer-sync.git\n  coffer sync init --folder ~/Sync/acme-vault\n  coffer sync\n  coffer sync status"
    )]
    Sync {
        /// init or status (none: sync now).
        #[command(subcommand)]
        sub: Option<crate::sync::SyncCmd>,
        /// Replay the whole log and read quarantined feeds again. A replica
        /// that no longer opens (edited outside Coffer, rolled back) is moved
        /// aside and rebuilt from the sync folder, keeping this device's
        /// unpublished changes that verify.
        #[arg(long)]
        rebuild: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Join a team vault through its sync folder or git remote, after an
    /// admin added your public identity with `coffer member add`.
    #[command(after_help = "Example: coffer join --git git@example.com:acme/coffer-sync.git")]
    Join {
        #[command(flatten)]
        remote: crate::sync::RemoteArgs,
        /// The owner's fingerprint, read to you out of band (for scripts;
        /// otherwise you are asked to compare).
        #[arg(long, value_name = "FP")]
        fingerprint: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Search files, the git index or history for the vault's own values.
    Scan(crate::scan::ScanArgs),
    /// Credential hygiene: values reused across environments, placeholders outside dev.
    Lint(crate::scan::LintArgs),
    /// Shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug, Default)]
pub struct GenArgs {
    /// Generate a random value.
    #[arg(long)]
    pub generate: bool,
    /// Length of the generated value [default: 32, or the environment's
    /// shortest generated value when longer].
    #[arg(long, requires = "generate")]
    pub length: Option<usize>,
    /// alnum, hex, base64url, symbols or digits.
    #[arg(long, default_value = "alnum", requires = "generate")]
    pub charset: String,
}

#[derive(Subcommand, Debug)]
pub enum IdentityCmd {
    /// Create this device's identity (asks for a passphrase).
    #[command(after_help = PASSPHRASE_POLICY)]
    New {
        /// Your name.
        #[arg(long)]
        name: String,
        /// Your email.
        #[arg(long)]
        email: Option<String>,
        /// Argon2id memory in MiB (default: 256, calibrated). Below 64 only if you ask.
        #[arg(long, value_name = "MIB")]
        kdf_memory: Option<u32>,
        /// Argon2id passes (default: calibrated to take at least 0.5 s).
        #[arg(long, value_name = "N")]
        kdf_iterations: Option<u32>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show the public identity string and fingerprint to give to your team.
    Show {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
#[command(
    after_help = "The device key lives in the Secret Service (Linux), the Keychain (macOS) or \
    the Credential Manager (Windows), service `coffer` (`coffer-dev` for debug builds), account \
    IDENTITY_ID/SLOT_ID. Every command tries it first; if it is missing or no longer opens your \
    identity, coffer says so on stderr and asks for the passphrase.\n\n\
    Example: coffer keychain enable && coffer run web/prod -- ./server"
)]
pub enum KeychainCmd {
    /// Store a random device key in the OS keychain and add a keychain slot (asks the passphrase once).
    Enable,
    /// Delete the keychain entry and the slot (works if the entry is already gone).
    Disable,
    /// Whether the slot is enabled and its entry opens it; the password back-off.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum EnvCmd {
    /// Show or set PROJECT/ENV's policy: whether personal overrides apply
    /// there (default: forbidden where the name starts with prod), and the
    /// shortest value Coffer generates there (`coffer lint` names shorter
    /// generated values).
    #[command(after_help = "Setting it is for owners and admins. Examples: \
        coffer env policy payments/prod --overrides allow; \
        coffer env policy payments/prod --min-generated 40")]
    Policy {
        /// PROJECT/ENV.
        env: String,
        /// allow, forbid or default.
        #[arg(long, value_name = "POLICY")]
        overrides: Option<String>,
        /// The shortest generated value, 8 to 4096 characters, or `none`.
        #[arg(long, value_name = "N|none")]
        min_generated: Option<String>,
    },
    /// Add PROJECT/ENV (the project is created if new).
    Add {
        /// PROJECT/ENV.
        env: String,
        /// Default rotation period for its credentials (e.g. 90d).
        #[arg(long, value_name = "DAYS")]
        rotate_every: Option<String>,
    },
    /// List environments.
    Ls {
        /// Only this project.
        project: Option<String>,
        /// List the removed environments instead (for `env restore`).
        #[arg(long)]
        removed: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Rename PROJECT/ENV, or move it to another project (created if new).
    /// Owners and admins. Its credentials, history, keys, shares, exposure
    /// and rotation data follow; `coffer://` references and scripts that
    /// name the old PROJECT/ENV must be updated.
    #[command(after_help = "Example: coffer env rename payments/dev payments/staging")]
    Rename {
        /// PROJECT/ENV now.
        from: String,
        /// New PROJECT/ENV.
        to: String,
    },
    /// Remove PROJECT/ENV: hidden from lists, export, run, references and
    /// rotation; its history stays in the log and offboarding still
    /// reports it. Owners and admins. `env restore` brings it back.
    #[command(
        after_help = "Shows what goes and asks first when the environment holds credentials         (scripts: --yes). Example: coffer env remove payments/dev --dry-run"
    )]
    Remove {
        /// PROJECT/ENV.
        env: String,
        /// Do not ask (needed without a terminal when it holds credentials).
        #[arg(long)]
        yes: bool,
        /// Show what would go; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Bring back a removed PROJECT/ENV with everything it held.
    Restore {
        /// PROJECT/ENV as it was called (`coffer env ls --removed`).
        env: String,
    },
    /// Start a new key epoch: new environment key, every item re-encrypted.
    Rekey {
        /// PROJECT/ENV.
        env: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Rename PROJECT: every environment of it moves, in one signed change.
    #[command(after_help = "Example: coffer project rename payments billing")]
    Rename {
        /// Project now.
        from: String,
        /// New name (refused if that project has environments).
        to: String,
    },
    /// Remove every environment of PROJECT, in one signed change (see `env remove`).
    Remove {
        /// Project.
        project: String,
        /// Do not ask (needed without a terminal when it holds credentials).
        #[arg(long)]
        yes: bool,
        /// Show what would go; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Verify every chain, signature and the state against the log.
    Verify,
}

/// `coffer override …`.
#[derive(Subcommand, Debug)]
pub enum OverrideCmd {
    /// Set your own value for KEY in PROJECT/ENV (the value comes from
    /// stdin or a hidden prompt, never the command line). KEY need not
    /// exist in the shared environment: then it is added for you.
    #[command(
        after_help = "Sealed to you alone: owners, admins and teammates cannot read it. \
        Refused where the environment's policy forbids overrides (by default, prod*).\n\n\
        Example: printf %s \"$MY_DB\" | coffer override set payments/dev DATABASE_URL"
    )]
    Set {
        /// PROJECT/ENV.
        env: String,
        /// Key name (an environment variable name).
        key: String,
        /// `-` reads the value from stdin (the default when stdin is not a terminal).
        #[arg(value_name = "-")]
        stdin: Option<String>,
        /// Keep a trailing newline of piped input.
        #[arg(long)]
        keep_newline: bool,
        /// Store an empty value.
        #[arg(long)]
        allow_empty: bool,
    },
    /// Remove your override of KEY in PROJECT/ENV.
    Rm {
        /// PROJECT/ENV.
        env: String,
        /// Key name.
        key: String,
    },
    /// List your overrides (names only), of PROJECT/ENV or of every environment.
    Ls {
        /// PROJECT/ENV.
        env: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}
