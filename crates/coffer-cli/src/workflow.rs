//! The developer workflow (issue 11): `inject`, `check`, and `run` with
//! env files, required keys and secrets as files. Arguments and
//! presentation only; references, templates and their resolution live in
//! `coffer_vault::{reference, template}`.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use coffer_vault::dangerous::AllowVars;
use coffer_vault::reference::{
    self, example_keys, Located, Reference, RunRequest, VarSource, SCHEME,
};
use coffer_vault::{Error, Result, Vault};
use zeroize::Zeroizing;

use crate::commands::{exec, open, write_stdout, ALLOW_VAR_HINT};
use crate::supervise::Output;
use crate::{exit, output};
use coffer_crypto::SecretString;

const RUN_AFTER_HELP: &str = "\
Sources, in order of precedence (a later one wins for the same name):
  1. PROJECT/ENV: every credential of the environment;
  2. each --env-file FILE, in the order given: KEY=value lines, a value being
     plain or a reference (STRIPE_KEY=coffer://payments/prod/STRIPE_KEY);
     references may name any environment you can read;
  3. each --file VAR=KEY: the value is written to a 0600 file in a private
     0700 folder (under $XDG_RUNTIME_DIR when set), VAR holds its path, and
     the folder is removed when the command exits or is killed, and when
     coffer gets SIGINT, SIGTERM, SIGHUP or SIGQUIT (passed on to the command).
     KEY is a key of PROJECT/ENV or a coffer:// reference.
--require EXAMPLE fails (exit 12) before starting the command when a key the
example file names is provided by none of them.

Masked output (on unless --no-masking): every injected value of 6 bytes or
more (--file values too) is replaced by <concealed by coffer> in what the
command writes to stdout and stderr, also when it arrives in pieces. Shorter
values are left alone: they occur by chance in ordinary output, and masking
them would say what they are. When stdout or stderr is a terminal the command
runs on a pseudo-terminal (colours, isatty, window size, Ctrl-C and stdin
work as usual); to a pipe or file, output streams through as it comes. The
exit code is the command's (128+N if killed by signal N). With nothing to
mask and no --file, coffer execs the command.

Variables that decide what code runs are refused unless allowed by name with
--allow-var (exit 8): LD_*, DYLD_*, PATH, BASH_ENV, ENV, PROMPT_COMMAND, IFS,
NODE_OPTIONS, PYTHON*, PERL5*, RUBYOPT, JAVA_TOOL_OPTIONS, _JAVA_OPTIONS,
GIT_*, SSH_*, PAGER, EDITOR, whichever source names them. Anyone who can write
to the environment (or the env file) could otherwise run code as you.

Examples:
  coffer run payments/prod -- ./server
  coffer run web/dev --allow-var NODE_OPTIONS -- npm start
  coffer run payments/dev --env-file .env.coffer --env-file .env.local -- ./server
  coffer run --require .env.example payments/dev -- ./server
  coffer run k8s/prod --file KUBECONFIG=KUBECONFIG_YAML -- kubectl get pods
  coffer run --no-masking payments/dev -- ./print-config";

/// `coffer run`.
#[derive(Args, Debug)]
#[command(after_help = RUN_AFTER_HELP)]
pub struct RunArgs {
    /// PROJECT/ENV (optional with --env-file or --file coffer://…).
    env: Option<String>,
    /// A .env-style file whose values are plain or coffer:// references;
    /// repeatable, later files win.
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Write the value of KEY (of PROJECT/ENV, or a coffer:// reference) to
    /// a private file and set VAR to its path. Repeatable.
    #[arg(long = "file", value_name = "VAR=KEY")]
    file: Vec<String>,
    /// Fail before starting the command if a key this example file names
    /// is not provided.
    #[arg(long, value_name = "EXAMPLE")]
    require: Option<PathBuf>,
    /// Inject this variable although it decides what code runs (see
    /// below). Repeat for each.
    #[arg(long = "allow-var", value_name = "NAME")]
    allow_var: Vec<String>,
    /// Do not mask the injected values in the command's output (it then
    /// writes to coffer's streams directly).
    #[arg(long = "no-masking")]
    no_masking: bool,
    /// Inject the shared environment as it is, without your personal
    /// overrides.
    #[arg(long = "no-overrides")]
    no_overrides: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// `coffer inject`.
#[derive(Args, Debug)]
#[command(after_help = "\
Placeholders: {{ coffer://PROJECT/ENV/KEY }} or {{ coffer://PROJECT/ENV/KEY | FILTER }},
on one line. Filters: raw (default: the value as is; a value with a line break
only on a line of its own), json (a JSON string literal, quotes included), yaml
(a double-quoted YAML scalar), shell (one POSIX word in single quotes), dotenv
(the portable .env spelling). Other {{ … }} are left alone. Any reference that
does not resolve, that you may not read, or whose value cannot be placed fails
the whole render, naming the line; nothing is written. See docs/references.md.

Examples:
  coffer inject -i config.tpl.yaml -o config.yaml
  coffer inject -i .npmrc.tpl > ~/.npmrc")]
pub struct InjectArgs {
    /// The template (`-` reads stdin).
    #[arg(short = 'i', long = "in", value_name = "TEMPLATE")]
    input: PathBuf,
    /// Write to FILE (atomically, mode 0600) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write even inside a git work tree that does not ignore FILE.
    #[arg(long)]
    force: bool,
    /// Resolve references to the shared values, without your personal
    /// overrides.
    #[arg(long = "no-overrides")]
    no_overrides: bool,
}

/// `coffer check`.
#[derive(Args, Debug)]
#[command(after_help = "\
Exit 12 when keys are missing (the CI gate); extra keys are listed, never an error.
Only names are compared: no value is read, nothing is logged.

Example: coffer check payments/dev --example .env.example --json")]
pub struct CheckArgs {
    /// PROJECT/ENV.
    env: String,
    /// The example file (.env.example: KEY= lines; values are ignored).
    #[arg(long, value_name = "FILE")]
    example: PathBuf,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Reads a file the user named, zeroized on drop.
fn read_text(path: &Path) -> Result<Zeroizing<String>> {
    let mut raw = Zeroizing::new(Vec::new());
    let res = if path.as_os_str() == "-" {
        std::io::stdin().lock().read_to_end(&mut raw)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut raw))
    };
    res.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(format!("file {}", path.display())),
        _ => Error::Io {
            context: format!("reading {}", path.display()),
            source: e,
        },
    })?;
    let text = std::str::from_utf8(&raw)
        .map_err(|_| Error::InvalidInput(format!("{} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// The credential names of a readable environment (no value, no read event).
fn env_names(v: &mut Vault, env: &str) -> Result<Vec<String>> {
    let info = v.env(env)?;
    if !info.readable {
        return Err(Error::PermissionDenied(format!(
            "you have no access to {}",
            info.path()
        )));
    }
    Ok(
        v.list_items(Some(env), coffer_vault::rotation::DEFAULT_DUE_SOON_DAYS)?
            .into_iter()
            .map(|i| i.name)
            .collect(),
    )
}

/// `coffer check PROJECT/ENV --example FILE`.
pub fn check(vault: &Option<PathBuf>, a: CheckArgs) -> Result<u8> {
    let text = read_text(&a.example)?;
    let mut v = open(vault)?;
    let c = v.check_example(&a.env, &text)?;
    drop(v);
    let missing: Vec<&str> = c.missing.iter().map(String::as_str).collect();
    let extra: Vec<&str> = c.extra.iter().map(String::as_str).collect();
    let example = a.example.display().to_string();
    if a.json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            env: &'a str,
            example: &'a str,
            ok: bool,
            missing: &'a [&'a str],
            extra: &'a [&'a str],
        }
        output::json(&Report {
            env: &a.env,
            example: &example,
            ok: missing.is_empty(),
            missing: &missing,
            extra: &extra,
        })?;
    } else {
        for k in &missing {
            outln!("missing  {k}");
        }
        for k in &extra {
            outln!("extra    {k}");
        }
        if missing.is_empty() {
            eprintln!(
                "{} has every key {example} names ({}); {} extra.",
                a.env,
                c.wanted,
                extra.len()
            );
        }
    }
    if missing.is_empty() {
        Ok(0)
    } else {
        eprintln!("coffer: {}", missing_message(&a.env, &example, &missing));
        Ok(exit::MISSING_KEYS)
    }
}

fn missing_message(what: &str, example: &str, missing: &[&str]) -> String {
    format!(
        "{what} lacks {} that {example} names: {}",
        coffer_vault::words::count(missing.len(), "key"),
        missing.join(", ")
    )
}

/// `coffer inject -i TEMPLATE [-o FILE]`.
pub fn inject(vault: &Option<PathBuf>, a: InjectArgs) -> Result<u8> {
    let text = read_text(&a.input)?;
    let name = if a.input.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        a.input.display().to_string()
    };
    // A bad template fails before anything is unlocked.
    coffer_vault::template::Template::parse(&text, &name)?;
    let mut v = open(vault)?;
    v.set_use_overrides(!a.no_overrides);
    let n = v.inject(&text, &name, |out| match &a.output {
        Some(path) => coffer_vault::write_env_file(path, out, a.force),
        None => write_stdout(out),
    })?;
    report_overrides(&mut v, &mut std::io::stderr());
    if let Some(path) = &a.output {
        eprintln!(
            "Wrote {} (mode 0600, {}).",
            path.display(),
            coffer_vault::words::count(n, "reference")
        );
    }
    Ok(0)
}

/// Reads `--env-file` files into layers.
fn env_file_layers(files: &[PathBuf]) -> Result<Vec<(String, VarSource)>> {
    let mut layers = Vec::new();
    for f in files {
        layers.extend(reference::env_file_layers(
            &read_text(f)?,
            &f.display().to_string(),
        )?);
    }
    Ok(layers)
}

/// Parses `--file VAR=KEY` arguments.
fn file_specs(specs: &[String], env: Option<&str>) -> Result<Vec<(String, Located)>> {
    specs
        .iter()
        .map(|s| {
            let (var, target) = s.split_once('=').ok_or_else(|| {
                Error::InvalidInput(format!("--file {s}: write VAR=KEY or VAR=coffer://…"))
            })?;
            reference::check_var_name(var)?;
            let reference = if target.starts_with(SCHEME) {
                Reference::parse(target)?
            } else {
                let env = env.ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "--file {var}={target}: name PROJECT/ENV, or give a coffer:// reference"
                    ))
                })?;
                Reference::to_value(env, target)?
            };
            Ok((
                var.to_string(),
                Located {
                    reference,
                    place: format!("--file {var}"),
                },
            ))
        })
        .collect()
}

/// `coffer run`.
pub fn run(vault: &Option<PathBuf>, a: RunArgs) -> Result<u8> {
    // Everything that needs no vault is checked before the unlock.
    let layers = env_file_layers(&a.env_file)?;
    let files = file_specs(&a.file, a.env.as_deref())?;
    let required = a
        .require
        .as_ref()
        .map(|p| read_text(p).map(|t| (p.display().to_string(), example_keys(&t))))
        .transpose()?;
    if a.env.is_none() && layers.is_empty() && files.is_empty() {
        return Err(Error::InvalidInput(
            "nothing to inject: name PROJECT/ENV, --env-file FILE or --file VAR=coffer://…".into(),
        ));
    }
    let mut v = open(vault)?;
    v.set_use_overrides(!a.no_overrides);
    if let Some((example, wanted)) = &required {
        let mut have: HashSet<String> = layers.iter().map(|(k, _)| k.clone()).collect();
        have.extend(files.iter().map(|(k, _)| k.clone()));
        if let Some(env) = &a.env {
            have.extend(env_names(&mut v, env)?);
            if !a.no_overrides {
                have.extend(v.override_names(env)?);
            }
        }
        let missing: Vec<&str> = wanted
            .iter()
            .map(String::as_str)
            .filter(|k| !have.contains(*k))
            .collect();
        if !missing.is_empty() {
            let what = a.env.as_deref().unwrap_or("the environment to inject");
            eprintln!(
                "coffer: {}; the command was not started",
                missing_message(what, example, &missing)
            );
            return Ok(exit::MISSING_KEYS);
        }
    }
    // Plain values of env files are not masked: they sit in a file, often
    // committed, and masking `production` would garble the output.
    let mut plain = HashSet::new();
    for (k, src) in &layers {
        match src {
            VarSource::Plain(_) => plain.insert(k.clone()),
            VarSource::Reference(_) => plain.remove(k),
        };
    }
    let rv = v.run_vars(RunRequest {
        env: a.env.as_deref(),
        layers,
        files,
        allow: AllowVars {
            names: &a.allow_var,
            hint: ALLOW_VAR_HINT,
        },
    })?;
    report_overrides(&mut v, &mut std::io::stderr());
    drop(v);
    // Folders of earlier runs whose coffer was killed with SIGKILL.
    crate::secret_files::sweep(&crate::secret_files::base_dir());
    let output = if a.no_masking {
        Output::Direct
    } else {
        Output::Masked
    };
    let secret: Vec<&SecretString> = rv
        .vars
        .iter()
        .filter(|(k, _)| !plain.contains(k))
        .chain(rv.files.iter())
        .map(|(_, v)| v)
        .collect();
    let nothing_to_mask = output == Output::Direct
        || !secret
            .iter()
            .any(|v| v.len() >= crate::masking::MIN_MASKED_BYTES);
    if rv.files.is_empty() && nothing_to_mask {
        exec(a.command, rv.vars)
    } else {
        let mask: Vec<SecretString> = match output {
            Output::Direct => Vec::new(),
            Output::Masked => secret.into_iter().cloned().collect(),
        };
        // On Linux, a clean process (no passphrase, nothing else the
        // unlock left) supervises the command: see `handover`.
        #[cfg(target_os = "linux")]
        return crate::handover::exec_supervisor(
            &a.command,
            crate::handover::Material {
                vars: rv.vars,
                files: rv.files,
                mask,
            },
        );
        #[cfg(not(target_os = "linux"))]
        crate::supervise::run(a.command, rv.vars, rv.files, &mask)
    }
}

/// Whether the agent may answer this `run`: `--no-masking` on PROJECT/ENV
/// only. Env files, `--file` and `--require` read the caller's files, and
/// masking needs a supervisor: the full binary runs those.
pub(crate) fn agent_may_run(a: &RunArgs) -> bool {
    a.no_masking
        && a.env.is_some()
        && a.env_file.is_empty()
        && a.file.is_empty()
        && a.require.is_none()
}

/// A command and the variables it is started with.
pub(crate) type Started = (Vec<OsString>, Vec<(String, SecretString)>);

/// What `run` computes for the command of an [`agent_may_run`] request:
/// the command and its variables, the overrides note written to `err`.
pub(crate) fn agent_run(
    v: &mut Vault,
    a: RunArgs,
    err: &mut dyn std::io::Write,
) -> Result<Started> {
    v.set_use_overrides(!a.no_overrides);
    let rv = v.run_vars(RunRequest {
        env: a.env.as_deref(),
        layers: Vec::new(),
        files: Vec::new(),
        allow: AllowVars {
            names: &a.allow_var,
            hint: ALLOW_VAR_HINT,
        },
    })?;
    report_overrides(v, err);
    crate::secret_files::sweep(&crate::secret_files::base_dir());
    Ok((a.command, rv.vars))
}

/// `coffer shell`.
#[derive(Args, Debug)]
#[command(after_help = "\
Starts $SHELL (else /bin/sh) with every credential of PROJECT/ENV set, as
`coffer run` does (the same refusal of variables that decide what code runs,
logged as a run), and COFFER_SHELL=PROJECT/ENV. The prompt is marked
\"(coffer PROJECT/ENV)\": through PS1 for sh-family shells, and for bash
through PROMPT_COMMAND, since ~/.bashrc usually sets PS1. Leave with exit.

Example: coffer shell payments/dev")]
pub struct ShellArgs {
    /// PROJECT/ENV.
    env: String,
    /// Inject this variable although it decides what code runs. Repeat for each.
    #[arg(long = "allow-var", value_name = "NAME")]
    allow_var: Vec<String>,
    /// Without your personal overrides.
    #[arg(long = "no-overrides")]
    no_overrides: bool,
}

/// `coffer shell PROJECT/ENV`.
pub fn shell(vault: &Option<PathBuf>, a: ShellArgs) -> Result<u8> {
    let mut v = open(vault)?;
    v.set_use_overrides(!a.no_overrides);
    let mut vars = v.env_vars(
        &a.env,
        AllowVars {
            names: &a.allow_var,
            hint: ALLOW_VAR_HINT,
        },
    )?;
    report_overrides(&mut v, &mut std::io::stderr());
    drop(v);
    let shell = std::env::var_os("SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| OsString::from("/bin/sh"));
    let mark = format!("(coffer {}) ", a.env);
    let prompt = std::env::var("PS1").unwrap_or_else(|_| "$ ".into());
    // Not secrets: the environment's name and the prompt.
    let plain = |s: String| coffer_crypto::SecretString::new(s);
    vars.push(("COFFER_SHELL".into(), plain(a.env.clone())));
    vars.push(("PS1".into(), plain(format!("{mark}{prompt}"))));
    if Path::new(&shell).file_name().is_some_and(|n| n == "bash") {
        vars.push((
            "PROMPT_COMMAND".into(),
            plain(format!(
                "case \"$PS1\" in \"{mark}\"*) ;; *) PS1=\"{mark}$PS1\";; esac"
            )),
        ));
    }
    exec(vec![shell, OsString::from("-i")], vars)
}

/// `coffer hook`.
#[derive(clap::Subcommand, Debug)]
pub enum HookCmd {
    /// A `use_coffer` function for direnv: put `eval "$(coffer hook direnv)"`
    /// in ~/.config/direnv/direnvrc, then `use coffer PROJECT/ENV` in .envrc.
    #[command(after_help = "\
In ~/.config/direnv/direnvrc (once):
  eval \"$(coffer hook direnv)\"
Example, in a project's .envrc:
  use coffer payments/dev
The function runs `coffer export PROJECT/ENV --format shell` (logged as an
export; variables that decide what code runs are refused unless you add
--allow-var NAME after the environment) and evaluates it in direnv's shell;
nothing is written to disk. With the keychain enabled there is no prompt.")]
    Direnv,
    /// Install a git hook in the repository of the current directory
    /// (where `core.hooksPath` says). An existing hook is kept: it moves
    /// to `pre-commit.local` and runs first.
    #[command(after_help = "Example: coffer hook install pre-commit")]
    Install {
        /// The hook.
        hook: crate::scan::HookKind,
        /// The repository (default: the current directory).
        #[arg(long, value_name = "DIR")]
        repo: Option<std::path::PathBuf>,
    },
}

/// The function `coffer hook direnv` prints.
const DIRENV_HOOK: &str = r#"# coffer direnv integration: `use coffer PROJECT/ENV [--allow-var NAME]...`
use_coffer() {
  if [ "$#" -lt 1 ]; then
    echo "use coffer: name PROJECT/ENV" >&2
    return 1
  fi
  local __coffer_out
  __coffer_out="$(command coffer export --format shell "$@")" || {
    echo "use coffer: coffer export $1 failed" >&2
    return 1
  }
  eval "$__coffer_out"
  unset __coffer_out
}
"#;

/// `coffer hook …`.
pub fn hook(cmd: HookCmd, vault: Option<&std::path::Path>) -> Result<u8> {
    match cmd {
        HookCmd::Direnv => write_stdout(DIRENV_HOOK)?,
        HookCmd::Install { hook, repo } => return crate::scan::hook(hook, repo, vault),
    }
    Ok(0)
}

/// The one stderr line saying which keys the caller's personal overrides
/// replaced or added (names only), if any.
pub(crate) fn report_overrides(v: &mut Vault, err: &mut dyn std::io::Write) {
    let applied = v.take_overrides_applied();
    if let Some(line) = overrides_line(&applied) {
        let _ = writeln!(err, "{line}");
    }
}

fn overrides_line(applied: &[coffer_vault::OverrideApplied]) -> Option<String> {
    if applied.is_empty() {
        return None;
    }
    let names = |added: bool| -> Vec<String> {
        let multi = applied.iter().any(|a| a.env != applied[0].env);
        applied
            .iter()
            .filter(|a| a.added == added)
            .map(|a| {
                if multi {
                    format!("{}/{}", a.env, a.name)
                } else {
                    a.name.clone()
                }
            })
            .collect()
    };
    let (replaced, added) = (names(false), names(true));
    let mut parts = Vec::new();
    if !replaced.is_empty() {
        parts.push(format!("overrode {}", replaced.join(", ")));
    }
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    let envs: Vec<&str> = {
        let mut e: Vec<&str> = applied.iter().map(|a| a.env.as_str()).collect();
        e.dedup();
        e
    };
    let place = if envs.len() == 1 {
        format!(" in {}", envs[0])
    } else {
        String::new()
    };
    Some(format!(
        "coffer: your personal overrides {}{place} (--no-overrides to skip)",
        parts.join(" and ")
    ))
}
