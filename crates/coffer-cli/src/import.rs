//! `coffer import`: a `.env` file (portable, or `--dialect`), a dotenvx
//! file, or another manager's export (`--from
//! bitwarden|keepassxc|keepass|1password`). The reading, mapping and
//! writing are `coffer_vault::import`'s; this file parses the arguments,
//! asks for an export's password, prints the preview table and the
//! progress line.

use std::io::{IsTerminal, Read as _, Write};
use std::path::{Path, PathBuf};

use coffer_vault::import::{self, MapFile, RowStatus, SourceFormat, SourceSecrets};
use coffer_vault::{Error, ImportDialect, ImportOptions, PreviewStatus, Result};
use zeroize::Zeroizing;

use crate::commands::{open, warn_dangerous};
use crate::{output, prompt};

/// Arguments of `coffer import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The file: a .env file, or the export of --from.
    file: PathBuf,
    /// PROJECT/ENV. Required for a .env file; for an export, everything goes
    /// there (unless --map says otherwise), and without it each entry goes
    /// where its folder, collection, group or tag says.
    env: Option<String>,
    /// What the file is: dotenv (the default), dotenvx (an encrypted
    /// .env.* file of dotenvx), bitwarden (the JSON export, unencrypted or
    /// password-protected), keepassxc (its CSV export), keepass (a .kdbx
    /// database), 1password (its CSV export or its .1pux archive). An
    /// export's password is read from COFFER_IMPORT_PASSWORD, else stdin
    /// when it is not a terminal, else asked on the terminal; never from
    /// an argument.
    #[arg(long, value_name = "SOURCE", default_value = "dotenv")]
    from: String,
    /// For --from dotenvx: a .env.keys file holding DOTENV_PRIVATE_KEY_…
    /// (`-` reads it, or the bare key, from stdin). Without it the key is
    /// taken from the environment variable dotenvx reads, then from
    /// .env.keys beside the file. Never give the key itself as an argument.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// For --from keepass: the database's key file (with an empty
    /// password, the key file alone opens it).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// A mapping file for an export: `SOURCE PATH = PROJECT/ENV` or
    /// `SOURCE PATH = skip` per line (`*` one level, `**` any, `(none)`
    /// for entries in no folder). See docs/import.md.
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Show what the import would do, row by row (target and name, never a
    /// value), and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace existing credentials.
    #[arg(long)]
    overwrite: bool,
    /// Import `KEY=` lines as empty values (otherwise each is reported
    /// as a bad line and nothing is imported).
    #[arg(long)]
    allow_empty: bool,
    /// Read the file exactly as this parser does (node: npm dotenv;
    /// python: python-dotenv; ruby: Ruby dotenv; docker: docker run
    /// --env-file; compose: docker compose's .env, with its ${VAR:-default}
    /// interpolation) instead of refusing what the parsers disagree on.
    /// A value that would come from the environment or a command is refused.
    #[arg(long, value_name = "PARSER")]
    dialect: Option<ImportDialect>,
}

/// Runs `coffer import`.
pub fn run(vault: &Option<PathBuf>, args: ImportArgs) -> Result<u8> {
    if args.from.eq_ignore_ascii_case("dotenv") || args.from.eq_ignore_ascii_case("dotenvx") {
        return dotenv(vault, args);
    }
    let format: SourceFormat = args.from.parse()?;
    for (set, flag) in [
        (args.allow_empty, "--allow-empty"),
        (args.dialect.is_some(), "--dialect"),
        (args.keys.is_some(), "--keys"),
    ] {
        if set {
            return Err(Error::InvalidInput(format!(
                "{flag} is for .env files, not --from {format}"
            )));
        }
    }
    if args.key_file.is_some() && format != SourceFormat::Keepass {
        return Err(Error::InvalidInput(
            "--key-file is for --from keepass".into(),
        ));
    }
    let map = match &args.map {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Error::InvalidInput(format!("cannot read the map file {}: {e}", p.display()))
            })?;
            Some(MapFile::parse(&text)?)
        }
        None => None,
    };
    let label = args.file.display().to_string();
    let mut password = || prompt::import_password(&label);
    let mut secrets = SourceSecrets {
        password: &mut password,
        key_file: args.key_file.as_deref(),
    };
    let read = import::read_source_file(format, &args.file, &mut secrets)?;
    let plan = import::mapping::plan(read, args.env.as_deref(), map.as_ref())?;
    let mut v = open(vault)?;
    if args.dry_run {
        let status = v.preview_import(&plan)?;
        let rows: Vec<Vec<String>> = plan
            .items
            .iter()
            .zip(&status)
            .map(|(i, s)| {
                vec![
                    i.target.clone(),
                    i.name.clone(),
                    i.field_list(),
                    match s {
                        RowStatus::New => "new".into(),
                        RowStatus::NewEnv => "new (environment created)".into(),
                        RowStatus::Exists if args.overwrite => "replaces existing".into(),
                        RowStatus::Exists => "EXISTS (needs --overwrite)".into(),
                    },
                    i.from.clone(),
                ]
            })
            .collect();
        output::table(&["target", "name", "fields", "status", "from"], &rows);
        for s in &plan.skipped {
            outln!("skipped: {} ({})", s.from, s.reason);
        }
        let clashes = status.iter().filter(|s| **s == RowStatus::Exists).count();
        eprintln!(
            "Dry run: {} credential{} from {}, {} skipped{}{}; nothing written.",
            plan.items.len(),
            if plan.items.len() == 1 { "" } else { "s" },
            args.file.display(),
            plan.skipped.len(),
            left_out(plan.left_out_fields),
            if clashes > 0 && !args.overwrite {
                format!(
                    "; {clashes} already exist (the import would be refused without --overwrite)"
                )
            } else {
                String::new()
            }
        );
        return Ok(0);
    }
    let names: Vec<String> = plan.items.iter().map(|i| i.name.clone()).collect();
    let skipped = plan.skipped.len();
    let left = plan.left_out_fields;
    let mut bar = Progress::new(plan.items.len());
    let done = v.apply_import(plan, args.overwrite, &mut |n, total| bar.show(n, total));
    bar.finish();
    let done = done?;
    for e in &done.envs_created {
        eprintln!("Created environment {e}.");
    }
    eprintln!(
        "Imported from {}: {} created, {} updated, {} skipped{}.",
        args.file.display(),
        done.created,
        done.updated,
        skipped,
        left_out(left)
    );
    for key in &names {
        warn_dangerous(key);
    }
    Ok(0)
}

fn left_out(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(
            " ({n} custom field{} not imported)",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// A progress line on stderr, only on a terminal and for large sources.
struct Progress {
    on: bool,
    drawn: bool,
}

impl Progress {
    /// Sources smaller than this import too fast to need one.
    const FROM: usize = 200;

    fn new(total: usize) -> Self {
        Progress {
            on: total >= Self::FROM && std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        if !self.on || total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / total;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\rSealing credentials [{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if done == total {
            let _ = write!(err, " — writing…");
        }
        let _ = err.flush();
        self.drawn = true;
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
        }
    }
}

/// `coffer import FILE PROJECT/ENV` for a .env file, or a dotenvx one.
fn dotenv(vault: &Option<PathBuf>, args: ImportArgs) -> Result<u8> {
    if args.map.is_some() {
        return Err(Error::InvalidInput(
            "--map is for another manager's export (--from bitwarden|keepassxc|keepass|1password)"
                .into(),
        ));
    }
    if args.key_file.is_some() {
        return Err(Error::InvalidInput(
            "--key-file is for --from keepass".into(),
        ));
    }
    let dotenvx = args.from.eq_ignore_ascii_case("dotenvx");
    if dotenvx && args.dialect.is_some() {
        return Err(Error::InvalidInput(
            "--dialect is not for --from dotenvx: the file is read as dotenvx reads it".into(),
        ));
    }
    if !dotenvx && args.keys.is_some() {
        return Err(Error::InvalidInput("--keys is for --from dotenvx".into()));
    }
    let env = args
        .env
        .ok_or_else(|| Error::InvalidInput("give PROJECT/ENV to import a .env file into".into()))?;
    let mut v = open(vault)?;
    let opts = ImportOptions {
        overwrite: args.overwrite,
        allow_empty: args.allow_empty,
        dialect: args.dialect,
        dry_run: args.dry_run,
    };
    let imported = if dotenvx {
        let mut keys = DotenvxKeys::new(&args.file, args.keys.as_deref())?;
        v.import_dotenvx(&args.file, &env, opts, &mut |name| keys.find(name))
    } else {
        v.import_env_file(&args.file, &env, opts)
    };
    let done = match imported {
        Err(e @ Error::BadLines { empty_values, .. }) if empty_values > 0 => {
            return Err(Error::InvalidInput(format!(
                "{e}; pass --allow-empty to import empty values"
            )))
        }
        other => other?,
    };
    if args.dry_run {
        let rows: Vec<Vec<String>> = done
            .preview
            .iter()
            .map(|(name, status)| {
                vec![
                    env.clone(),
                    name.clone(),
                    match (status, args.overwrite) {
                        (PreviewStatus::New, _) => "new".into(),
                        (PreviewStatus::Unchanged, true) => "unchanged".into(),
                        (PreviewStatus::Exists, true) => "replaces existing".into(),
                        (_, false) => "EXISTS (needs --overwrite)".into(),
                    },
                ]
            })
            .collect();
        output::table(&["target", "name", "status"], &rows);
        let clashes = done
            .preview
            .iter()
            .filter(|(_, s)| *s != PreviewStatus::New)
            .count();
        eprintln!(
            "Dry run: {} credential{} from {}{}; nothing written.",
            done.preview.len(),
            if done.preview.len() == 1 { "" } else { "s" },
            args.file.display(),
            if clashes > 0 && !args.overwrite {
                format!(
                    "; {clashes} already exist (the import would be refused without --overwrite)"
                )
            } else {
                String::new()
            }
        );
    } else {
        eprintln!(
            "Imported into {env}: {} created, {} updated.",
            done.created, done.updated
        );
    }
    for key in &done.dangerous {
        warn_dangerous(key);
    }
    if let (Some(d), false) = (args.dialect, done.ignored_lines.is_empty()) {
        let lines: Vec<String> = done.ignored_lines.iter().map(usize::to_string).collect();
        eprintln!(
            "warning: the {d} parser skips line{} {} (not KEY=value); nothing imported from {}",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", "),
            if lines.len() == 1 { "it" } else { "them" }
        );
    }
    if !done.redefined.is_empty() {
        eprintln!(
            "warning: defined more than once, the last value imported (as the parser reads it): {}",
            done.redefined.join(", ")
        );
    }
    Ok(0)
}

/// Where `coffer import --from dotenvx` looks for a private key, in order:
/// the `--keys` file (or stdin), the environment variable of that name (as
/// dotenvx reads it), then `.env.keys` beside the file.
struct DotenvxKeys {
    given: Option<Zeroizing<String>>,
    beside: Option<Zeroizing<String>>,
}

impl DotenvxKeys {
    fn new(file: &Path, keys: Option<&Path>) -> Result<Self> {
        let read = |p: &Path| -> Result<Zeroizing<String>> {
            let mut text = Zeroizing::new(String::new());
            let res = if p == Path::new("-") {
                std::io::stdin().read_to_string(&mut text)
            } else {
                std::fs::File::open(p).and_then(|mut f| f.read_to_string(&mut text))
            };
            res.map_err(|e| {
                Error::InvalidInput(format!("cannot read the keys from {}: {e}", p.display()))
            })?;
            Ok(text)
        };
        let given = keys.map(read).transpose()?;
        let beside = file
            .parent()
            .map(|d| d.join(".env.keys"))
            .filter(|p| p.is_file())
            .map(|p| read(&p))
            .transpose()?;
        Ok(DotenvxKeys { given, beside })
    }

    fn find(&mut self, name: &str) -> Option<Zeroizing<String>> {
        if let Some(text) = &self.given {
            // A bare key on stdin, or a .env.keys file.
            if !text.contains('=') && !text.trim().is_empty() {
                return Some(Zeroizing::new(text.trim().to_owned()));
            }
            if let Some(k) = import::dotenvx::keys_file_entry(text, name) {
                return Some(k);
            }
        }
        if let Some(v) = std::env::var_os(name) {
            return Some(Zeroizing::new(v.to_string_lossy().into_owned()));
        }
        self.beside
            .as_ref()
            .and_then(|text| import::dotenvx::keys_file_entry(text, name))
    }
}
