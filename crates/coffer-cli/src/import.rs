//! `coffer import`: a `.env` file (portable, or `--dialect`), or another
//! manager's export (`--from bitwarden|keepassxc|1password`). The reading,
//! mapping and writing are `coffer_vault::import`'s; this file parses the
//! arguments, prints the preview table and the progress line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use coffer_vault::import::{self, MapFile, RowStatus, SourceFormat};
use coffer_vault::{Error, ImportDialect, ImportOptions, Result};

use crate::commands::{open, warn_dangerous};
use crate::output;

/// Arguments of `coffer import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The file: a .env file, or the export of --from.
    file: PathBuf,
    /// PROJECT/ENV. Required for a .env file; for an export, everything goes
    /// there (unless --map says otherwise), and without it each entry goes
    /// where its folder, collection, group or tag says.
    env: Option<String>,
    /// What the file is: dotenv (the default), bitwarden (the unencrypted
    /// JSON export), keepassxc (its CSV export), 1password (its CSV export).
    #[arg(long, value_name = "SOURCE", default_value = "dotenv")]
    from: String,
    /// A mapping file for an export: `SOURCE PATH = PROJECT/ENV` or
    /// `SOURCE PATH = skip` per line (`*` one level, `**` any, `(none)`
    /// for entries in no folder). See docs/import.md.
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Show where each entry of an export would go (names only, never
    /// values), and write nothing.
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
    if args.from.eq_ignore_ascii_case("dotenv") {
        return dotenv(vault, args);
    }
    let format: SourceFormat = args.from.parse()?;
    for (set, flag) in [
        (args.allow_empty, "--allow-empty"),
        (args.dialect.is_some(), "--dialect"),
    ] {
        if set {
            return Err(Error::InvalidInput(format!(
                "{flag} is for .env files, not --from {format}"
            )));
        }
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
    let read = import::read_source_file(format, &args.file)?;
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

/// `coffer import FILE PROJECT/ENV` for a .env file.
fn dotenv(vault: &Option<PathBuf>, args: ImportArgs) -> Result<u8> {
    if args.map.is_some() || args.dry_run {
        return Err(Error::InvalidInput(
            "--map and --dry-run are for another manager's export (--from bitwarden|keepassxc|1password)"
                .into(),
        ));
    }
    let env = args
        .env
        .ok_or_else(|| Error::InvalidInput("give PROJECT/ENV to import a .env file into".into()))?;
    let mut v = open(vault)?;
    let opts = ImportOptions {
        overwrite: args.overwrite,
        allow_empty: args.allow_empty,
        dialect: args.dialect,
    };
    let done = match v.import_env_file(&args.file, &env, opts) {
        Err(e @ Error::BadLines { empty_values, .. }) if empty_values > 0 => {
            return Err(Error::InvalidInput(format!(
                "{e}; pass --allow-empty to import empty values"
            )))
        }
        other => other?,
    };
    eprintln!(
        "Imported into {env}: {} created, {} updated.",
        done.created, done.updated
    );
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
