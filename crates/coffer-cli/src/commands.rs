//! One function per command: parse the arguments further, call one
//! `coffer-vault` operation, present the result.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use coffer_crypto::{KdfParams, SecretString};
use coffer_vault::dangerous::AllowVars;
use coffer_vault::paths::{coffer_home, default_vault_path};
use coffer_vault::rotation::Status;
use coffer_vault::time::{format_date, parse_date, parse_days};
use coffer_vault::{
    check_new_passphrase, generate, Charset, Dialect, Error, Format, IdentityStore, ItemUpdate,
    NewExpiry, Result, UnlockedIdentity, Vault,
};

use crate::cli::{AuditCmd, Cli, Cmd, EnvCmd, GenArgs, IdentityCmd, OverrideCmd, ProjectCmd};
use crate::{exit, output, prompt};

pub(crate) fn unlock() -> Result<UnlockedIdentity> {
    let store = IdentityStore::load(&coffer_home())?;
    // A live session first (microseconds; `coffer lock` ends it), then
    // the keychain slot (it never touches the back-off; on any problem one
    // warning line), then the passphrase. Either of those starts a session.
    if let Some(me) = store.unlock_from_session() {
        return Ok(me);
    }
    let me = match crate::keychain::try_unlock(&store) {
        Some(me) => me,
        None => {
            let name = store.info()?.name;
            let wait = store.backoff_remaining();
            if wait > 0 {
                return Err(Error::LockedOut { wait_secs: wait });
            }
            let pw = prompt::passphrase(&format!("Passphrase for {name}: "))?;
            store.unlock_with_password(&pw)?
        }
    };
    if store.start_session(&me) {
        #[cfg(unix)]
        crate::agent::session_started();
    }
    Ok(me)
}

pub(crate) fn open(vault: &Option<PathBuf>) -> Result<Vault> {
    let path = vault.clone().unwrap_or_else(default_vault_path);
    if !path.exists() {
        return Err(Error::NoVault(path));
    }
    Vault::open(&path, unlock()?)
}

fn days_opt(s: &Option<String>) -> Result<Option<u32>> {
    s.as_deref().map(parse_days).transpose()
}

fn date(t: Option<i64>) -> String {
    t.map(format_date).unwrap_or_else(|| "-".into())
}

/// Refuses an empty value unless `--allow-empty` was given: an unset shell
/// variable piped in (`printf %s "$KEY" | coffer set …`) reads as empty, and
/// storing it silently hides the mistake until the value is used.
fn refuse_empty(key: &str, value: &SecretString, allow_empty: bool) -> Result<()> {
    if value.expose_secret().is_empty() && !allow_empty {
        return Err(Error::InvalidInput(format!(
            "the value of {key} is empty (an unset variable?); nothing was stored; \
             pass --allow-empty to store an empty value"
        )));
    }
    Ok(())
}

/// A value generated for `env`: `--length`, refused below the
/// environment's shortest generated value; else 32 or that, if longer.
fn gen_value(v: &coffer_vault::Vault, env: &str, g: &GenArgs) -> Result<SecretString> {
    let length = match g.length {
        Some(n) => {
            v.check_generated_length(env, n)?;
            n
        }
        None => v.generated_length(env, 32)?,
    };
    generate(length, Charset::parse(&g.charset)?)
}

/// Runs a command; returns the exit code on success.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Identity(IdentityCmd::New {
            name,
            email,
            kdf_memory,
            kdf_iterations,
            json,
        }) => identity_new(name, email, kdf_memory, kdf_iterations, json),
        Cmd::Identity(IdentityCmd::Show { json }) => {
            let info = IdentityStore::load(&coffer_home())?.info()?;
            if json {
                output::json(&info)?;
            } else {
                outln!("Name:        {}", info.name);
                if let Some(e) = &info.email {
                    outln!("Email:       {e}");
                }
                outln!("Fingerprint: {}", info.fingerprint);
                outln!(
                    "KDF:         Argon2id m={} MiB t={} p={}",
                    info.kdf_m_kib / 1024,
                    info.kdf_t,
                    info.kdf_p
                );
                outln!(
                    "\nPublic identity (give this to your vault's admin):\n{}",
                    info.public_identity
                );
            }
            Ok(0)
        }
        Cmd::Keychain(sub) => crate::keychain::run(sub),
        #[cfg(unix)]
        Cmd::Agent(sub) => crate::agent::run(sub),
        Cmd::Lock => {
            let store = IdentityStore::load(&coffer_home())?;
            // The agent first: it would otherwise answer until its next
            // look at the session (half a second).
            #[cfg(unix)]
            let agent = crate::agent::stop()?;
            #[cfg(not(unix))]
            let agent = false;
            if store.end_session()? || agent {
                eprintln!("Locked: the next command asks for the passphrase (or the keychain).");
            } else {
                eprintln!("No session was open.");
            }
            Ok(0)
        }
        Cmd::Passwd => {
            let me = unlock()?;
            let store = IdentityStore::load(&coffer_home())?;
            let info = store.info()?;
            let new = prompt::new_passphrase("COFFER_NEW_PASSPHRASE", "New passphrase")?;
            let mut personal = vec![info.name.as_str()];
            personal.extend(info.email.as_deref());
            check_new_passphrase(&new, &personal)?;
            let params = KdfParams {
                m_kib: info.kdf_m_kib,
                t: info.kdf_t,
                p: info.kdf_p,
            };
            me.change_password(&new, params, params.weaker_than(&KdfParams::USER_MINIMUM))?;
            eprintln!("Passphrase changed.");
            Ok(0)
        }
        Cmd::Init { name } => {
            let path = cli.vault.clone().unwrap_or_else(default_vault_path);
            let me = unlock()?;
            let v = Vault::create(&path, &name, me)?;
            eprintln!(
                "Created vault '{}' at {}; you are its owner.",
                v.name(),
                path.display()
            );
            Ok(0)
        }
        Cmd::Env(EnvCmd::Add { env, rotate_every }) => {
            let days = days_opt(&rotate_every)?;
            let mut v = open(&cli.vault)?;
            let e = v.add_env(&env, days)?;
            eprintln!("Added environment {}.", e.path());
            Ok(0)
        }
        Cmd::Env(EnvCmd::Ls {
            project,
            removed,
            json,
        }) => {
            let v = open(&cli.vault)?;
            let envs = if removed {
                v.list_removed_envs()?
                    .into_iter()
                    .filter(|e| project.as_deref().is_none_or(|p| p == e.project))
                    .collect()
            } else {
                v.list_envs(project.as_deref())?
            };
            if json {
                output::json(&envs)?;
            } else {
                let rows: Vec<Vec<String>> = envs
                    .iter()
                    .map(|e| {
                        vec![
                            e.path(),
                            e.items.to_string(),
                            e.rotate_every_days
                                .map(|d| format!("{d}d"))
                                .unwrap_or("-".into()),
                            if e.readable {
                                e.access.clone().unwrap_or_else(|| "read".into())
                            } else {
                                "locked".into()
                            },
                            e.epoch.to_string(),
                        ]
                    })
                    .collect();
                output::table(
                    &["environment", "items", "rotate every", "access", "epoch"],
                    &rows,
                );
            }
            Ok(0)
        }
        Cmd::Env(EnvCmd::Rename { from, to }) => {
            let mut v = open(&cli.vault)?;
            let e = v.rename_env(&from, &to)?;
            eprintln!(
                "Renamed {from} to {}: its credentials, history and access came along.",
                e.path()
            );
            Ok(0)
        }
        Cmd::Project(ProjectCmd::Rename { from, to }) => {
            let mut v = open(&cli.vault)?;
            let moved = v.rename_project(&from, &to)?;
            eprintln!(
                "Renamed project {from} to {to} ({}).",
                moved
                    .iter()
                    .map(|e| e.path())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(0)
        }
        Cmd::Env(EnvCmd::Remove { env, yes, dry_run }) => {
            remove(&mut open(&cli.vault)?, &env, yes, dry_run)
        }
        Cmd::Project(ProjectCmd::Remove {
            project,
            yes,
            dry_run,
        }) => remove(&mut open(&cli.vault)?, &project, yes, dry_run),
        Cmd::Env(EnvCmd::Restore { env }) => {
            let mut v = open(&cli.vault)?;
            let e = v.restore_env(&env)?;
            eprintln!(
                "Restored {} ({} credential{}).",
                e.path(),
                e.items,
                if e.items == 1 { "" } else { "s" }
            );
            Ok(0)
        }
        Cmd::Env(EnvCmd::Rekey { env }) => {
            let mut v = open(&cli.vault)?;
            let epoch = v.rekey_env(&env)?;
            eprintln!("Re-keyed {env}: now at epoch {epoch}.");
            Ok(0)
        }
        Cmd::Set {
            env,
            key,
            stdin,
            notes,
            url,
            username,
            rotate_every,
            expires,
            keep_newline,
            allow_empty,
            gen,
            no_value,
        } => {
            if stdin.as_deref().is_some_and(|s| s != "-") {
                return Err(Error::InvalidInput(
                    "values are never taken from the command line: pipe it on stdin (or pass -), or type it at the prompt".into(),
                ));
            }
            let days = days_opt(&rotate_every)?;
            let expires_at = expires.as_deref().map(parse_date).transpose()?;
            let mut v = open(&cli.vault)?;
            let value = if no_value {
                None
            } else if gen.generate {
                Some(gen_value(&v, &env, &gen)?)
            } else {
                let value = prompt::value(&key, stdin.is_some(), keep_newline)?;
                refuse_empty(&key, &value, allow_empty)?;
                Some(value)
            };
            let out = v.set_item(
                &env,
                &key,
                ItemUpdate {
                    value,
                    notes,
                    url,
                    username,
                    rotate_every_days: days,
                    expires_at,
                    generated: gen.generate,
                },
            )?;
            eprintln!(
                "{} {key} in {env} (version {}).",
                if out.created { "Created" } else { "Updated" },
                out.version
            );
            warn_dangerous(&key);
            Ok(0)
        }
        Cmd::Get {
            env,
            key,
            no_newline,
            json,
        } => {
            let mut v = open(&cli.vault)?;
            let (info, value) = v.get_item(&env, &key)?;
            write_get(
                &mut std::io::stdout().lock(),
                &info,
                &value,
                json,
                no_newline,
            )?;
            Ok(0)
        }
        Cmd::Ls {
            scope,
            json,
            shared,
        } => {
            let mut v = open(&cli.vault)?;
            let mut items = v.list_items(
                scope.as_deref(),
                coffer_vault::rotation::DEFAULT_DUE_SOON_DAYS,
            )?;
            if shared {
                items.retain(|i| !i.shared_with.is_empty());
            }
            if json {
                output::json(&items)?;
            } else if items.is_empty() {
                eprintln!("No credentials.");
            } else {
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|i| {
                        vec![
                            format!("{}/{}", i.project, i.env),
                            i.name.clone(),
                            "••••••••".into(),
                            if i.conflict {
                                format!("{} CONFLICT", output::status(i.status))
                            } else {
                                output::status(i.status)
                            },
                            date(i.rotated_at),
                            if shared {
                                i.shared_with.join(", ")
                            } else {
                                output::excerpt(i.notes.as_deref(), 40)
                            },
                        ]
                    })
                    .collect();
                let last = if shared { "shared with" } else { "notes" };
                output::table(
                    &["environment", "key", "value", "status", "rotated", last],
                    &rows,
                );
            }
            Ok(0)
        }
        Cmd::Rm { env, key } => {
            let mut v = open(&cli.vault)?;
            v.remove_item(&env, &key)?;
            eprintln!("Deleted {key} from {env}.");
            Ok(0)
        }
        Cmd::History {
            env,
            key,
            reveal,
            json,
        } => {
            let mut v = open(&cli.vault)?;
            let h = v.history(&env, &key, reveal)?;
            if json {
                #[derive(serde::Serialize)]
                struct Row<'a> {
                    #[serde(flatten)]
                    e: &'a coffer_vault::HistoryEntry,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    value: Option<&'a str>,
                }
                let rows: Vec<Row<'_>> = h
                    .iter()
                    .map(|e| Row {
                        e,
                        value: e.value.as_ref().map(|v| v.expose_secret()),
                    })
                    .collect();
                output::json(&rows)?;
            } else {
                let rows: Vec<Vec<String>> = h
                    .iter()
                    .map(|e| {
                        let mut r = vec![
                            if e.conflict {
                                format!("{} (concurrent, unresolved)", e.version)
                            } else {
                                e.version.to_string()
                            },
                            e.author.clone(),
                            coffer_vault::time::format_datetime(e.created_at),
                        ];
                        if reveal {
                            // Explicitly asked for with --reveal.
                            r.push(
                                e.value
                                    .as_ref()
                                    .map(|v| v.expose_secret().to_string())
                                    .unwrap_or_default(),
                            );
                        }
                        r
                    })
                    .collect();
                let mut header = vec!["version", "author", "written"];
                if reveal {
                    header.push("value");
                }
                output::table(&header, &rows);
                if h.iter().any(|e| e.conflict) {
                    eprintln!(
                        "{key} has concurrent versions: `coffer resolve {env} {key} --keep current` or `--keep N` (N counts the concurrent versions from 1, oldest first)."
                    );
                }
            }
            Ok(0)
        }
        Cmd::Resolve { env, key, keep } => {
            let mut v = open(&cli.vault)?;
            let pick = match keep.as_str() {
                "current" => None,
                n => Some(n.parse::<usize>().map_err(|_| {
                    Error::InvalidInput(format!(
                        "--keep takes `current` or the number of a concurrent version, not {n:?}"
                    ))
                })?),
            };
            let out = v.resolve_conflict(&env, &key, pick)?;
            match pick {
                None => eprintln!("Kept the current version of {key} in {env}; the conflict is resolved."),
                Some(n) => eprintln!(
                    "Concurrent version {n} of {key} in {env} is now version {}; the conflict is resolved.",
                    out.version
                ),
            }
            Ok(0)
        }
        Cmd::Rotation {
            scope,
            due_within,
            fail_on,
            all,
            exposed,
            json,
        } => {
            let window = parse_days(&due_within)?;
            let fail = fail_on.as_deref().map(Status::parse).transpose()?;
            if fail == Some(Status::Ok) {
                return Err(Error::InvalidInput(
                    "--fail-on takes exposed, expired, overdue or due_soon".into(),
                ));
            }
            let mut v = open(&cli.vault)?;
            // Most urgent first: the order the app uses too.
            let items = v.rotation_list(scope.as_deref(), window)?;
            let shown: Vec<_> = items
                .iter()
                .filter(|i| {
                    if exposed {
                        i.status == Status::Exposed
                    } else {
                        all || i.status != Status::Ok
                    }
                })
                .collect();
            if json {
                output::json(&shown)?;
            } else if shown.is_empty() {
                eprintln!("Nothing due: {} credentials checked.", items.len());
            } else {
                let rows: Vec<Vec<String>> = shown
                    .iter()
                    .map(|i| {
                        vec![
                            output::status(i.status),
                            format!("{}/{}", i.project, i.env),
                            i.name.clone(),
                            date(i.due_at),
                            date(i.rotated_at),
                            i.rotate_every_days
                                .map(|d| format!("{d}d"))
                                .unwrap_or("-".into()),
                        ]
                    })
                    .collect();
                output::table(
                    &["status", "environment", "key", "due", "rotated", "every"],
                    &rows,
                );
            }
            if let Some(f) = fail {
                let n = items.iter().filter(|i| i.status <= f).count();
                if n > 0 {
                    eprintln!(
                        "coffer: {} at status {} or worse",
                        coffer_vault::words::count(n, "credential"),
                        f.as_str()
                    );
                    return Ok(exit::ROTATION_GATE);
                }
            }
            Ok(0)
        }
        Cmd::Rotate {
            env,
            key,
            gen,
            keep_newline,
            allow_empty,
            expires,
            no_expiry,
        } => {
            let mut v = open(&cli.vault)?;
            let expiry = match (expires.as_deref().map(parse_date).transpose()?, no_expiry) {
                (Some(at), _) => NewExpiry::Set(at),
                (None, true) => NewExpiry::Clear,
                (None, false) => {
                    // The old expiry belongs to the old value: say what
                    // the new one's is, before anything is asked or typed.
                    if v.item_info(&env, &key)?.expires_at.is_some() {
                        return Err(Error::InvalidInput(format!(
                            "{key} has a provider expiry, which belongs to the old value: give the new value's (--expires DATE, or --no-expiry)"
                        )));
                    }
                    NewExpiry::Keep
                }
            };
            let value = if gen.generate {
                gen_value(&v, &env, &gen)?
            } else {
                let value = prompt::value(&key, false, keep_newline)?;
                refuse_empty(&key, &value, allow_empty)?;
                value
            };
            let out = v.rotate_item_with(&env, &key, value, expiry, gen.generate)?;
            eprintln!("Rotated {key} in {env} (version {}).", out.version);
            Ok(0)
        }
        Cmd::Export {
            env,
            format,
            dialect,
            output: out,
            force,
            allow_var,
            no_overrides,
        } => {
            let format: Format = format.parse()?;
            let dialect: Dialect = dialect.parse()?;
            let mut v = open(&cli.vault)?;
            v.set_use_overrides(!no_overrides);
            let allow = AllowVars {
                names: &allow_var,
                hint: ALLOW_VAR_HINT,
            };
            match &out {
                Some(path) => v.export_env(&env, format, dialect, allow, |text| {
                    coffer_vault::write_env_file(path, text, force)
                })?,
                // Seen as it is written: logged first (crash_safety.rs).
                None => v.export_env_shown(&env, format, dialect, allow, write_stdout)?,
            }
            crate::workflow::report_overrides(&mut v, &mut std::io::stderr());
            if let Some(path) = &out {
                eprintln!("Wrote {} (mode 0600).", path.display());
            }
            Ok(0)
        }
        Cmd::Override(cmd) => overrides(&cli.vault, cmd),
        Cmd::Env(EnvCmd::Policy {
            env,
            overrides,
            min_generated,
        }) => {
            let mut v = open(&cli.vault)?;
            if overrides.is_some() || min_generated.is_some() {
                let now = v.env_policy(&env)?;
                let overrides = match overrides {
                    Some(p) => coffer_vault::ops::OverridePolicy::parse(&p)?,
                    None => now.overrides,
                };
                let min = match min_generated.as_deref() {
                    None => now.min_generated,
                    Some("none") => None,
                    Some(n) => Some(n.parse::<u32>().map_err(|_| {
                        Error::InvalidInput(format!(
                            "--min-generated takes a number of characters (8 to 4096) or none, not {n:?}"
                        ))
                    })?),
                };
                v.set_env_policy_parts(&env, overrides, min)?;
            }
            let p = v.env_policy(&env)?;
            println!(
                "overrides: {} ({})",
                p.overrides.as_str(),
                if p.overrides_allowed {
                    "personal overrides apply"
                } else {
                    "personal overrides do not apply"
                }
            );
            match p.min_generated {
                Some(n) => println!("generated values: at least {n} characters"),
                None => println!("generated values: no shortest length"),
            }
            Ok(0)
        }
        Cmd::Run(args) => crate::workflow::run(&cli.vault, args),
        Cmd::Inject(args) => crate::workflow::inject(&cli.vault, args),
        Cmd::Check(args) => crate::workflow::check(&cli.vault, args),
        Cmd::Shell(args) => crate::workflow::shell(&cli.vault, args),
        Cmd::Hook(cmd) => crate::workflow::hook(cmd, cli.vault.as_deref()),
        Cmd::Import(args) => crate::import::run(&cli.vault, args),
        Cmd::Audit { sub, json } => {
            let mut v = open(&cli.vault)?;
            match sub {
                None => {
                    let log = v.audit_log()?;
                    if json {
                        output::json(&log)?;
                    } else {
                        let rows: Vec<Vec<String>> = log
                            .iter()
                            .map(|e| {
                                vec![
                                    e.seq.to_string(),
                                    e.time.clone(),
                                    e.author.clone(),
                                    e.kind.clone(),
                                    if e.outcome == "applied" {
                                        e.summary.clone()
                                    } else {
                                        format!("DENIED: {}", e.summary)
                                    },
                                ]
                            })
                            .collect();
                        output::table(&["#", "time", "author", "kind", "what"], &rows);
                    }
                    Ok(0)
                }
                Some(AuditCmd::Verify) => {
                    let rep = v.verify()?;
                    if json {
                        output::json(&rep)?;
                    } else if rep.ok() {
                        outln!(
                            "OK: {} from {}, signatures valid, state matches the log, {} open.",
                            coffer_vault::words::count_as(rep.entries, "entry", "entries"),
                            coffer_vault::words::count(rep.devices, "device"),
                            coffer_vault::words::count(rep.items_opened, "item")
                        );
                    } else {
                        for p in &rep.problems {
                            outln!("FAIL: {p}");
                        }
                    }
                    if rep.ok() {
                        Ok(0)
                    } else {
                        eprintln!(
                            "coffer: integrity check failed: {}",
                            coffer_vault::words::count(rep.problems.len(), "problem")
                        );
                        Ok(exit::INTEGRITY)
                    }
                }
            }
        }
        Cmd::Restore { env, key, version } => {
            let out = open(&cli.vault)?.restore_version(&env, &key, version)?;
            eprintln!(
                "Restored version {version} of {key} in {env} as version {}.",
                out.version
            );
            Ok(0)
        }
        Cmd::Member(cmd) => crate::team::run(&mut open(&cli.vault)?, cmd),
        Cmd::Sync {
            sub: None,
            rebuild: true,
            json,
        } => {
            let path = cli.vault.clone().unwrap_or_else(default_vault_path);
            if !path.exists() {
                return Err(Error::NoVault(path));
            }
            crate::sync::rebuild(&path, unlock()?, json)
        }
        Cmd::Sync { sub, rebuild, json } => {
            crate::sync::run(&mut open(&cli.vault)?, sub, rebuild, json)
        }
        Cmd::Join {
            remote,
            fingerprint,
            json,
        } => {
            let path = cli.vault.clone().unwrap_or_else(default_vault_path);
            crate::sync::join(path, unlock()?, remote, fingerprint, json)
        }
        Cmd::Grant { name, grant } => {
            let (env, access) = coffer_vault::parse_grant(&grant)?;
            open(&cli.vault)?.grant(&name, &env, access)?;
            eprintln!("Granted {name} {grant}.");
            Ok(0)
        }
        Cmd::Ungrant { name, env } => {
            open(&cli.vault)?.ungrant(&name, &env)?;
            eprintln!("Removed {name}'s access to {env}; it was re-keyed. Values they read are still known to them: rotate what matters.");
            Ok(0)
        }
        Cmd::Share { env, key, with } => {
            open(&cli.vault)?.share(&env, &key, &with)?;
            eprintln!("Shared {key} of {env} with {with}.");
            Ok(0)
        }
        Cmd::Unshare { env, key, with } => {
            open(&cli.vault)?.unshare(&env, &key, &with)?;
            eprintln!("Stopped sharing {key} of {env} with {with}; its key was replaced.");
            Ok(0)
        }
        Cmd::Scan(a) => crate::scan::run(a, || open(&cli.vault)),
        Cmd::Lint(a) => crate::scan::lint(a, || open(&cli.vault)),
        Cmd::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "coffer", &mut buf);
            let _ = std::io::stdout().lock().write_all(&buf);
            Ok(0)
        }
    }
}

fn identity_new(
    name: String,
    email: Option<String>,
    kdf_memory: Option<u32>,
    kdf_iterations: Option<u32>,
    json: bool,
) -> Result<u8> {
    let home = coffer_home();
    if IdentityStore::exists(&home) {
        return Err(Error::IdentityExists(home));
    }
    // The passphrase first: a refused one costs no calibration.
    let pw = prompt::new_passphrase("COFFER_PASSPHRASE", "Passphrase")?;
    let mut personal = vec![name.as_str()];
    personal.extend(email.as_deref());
    check_new_passphrase(&pw, &personal)?;
    let pinned = kdf_memory.is_some() || kdf_iterations.is_some();
    let params = if pinned {
        let p = KdfParams {
            m_kib: kdf_memory.map_or(KdfParams::DEFAULT.m_kib, |m| m.saturating_mul(1024)),
            t: kdf_iterations.unwrap_or(KdfParams::DEFAULT.t),
            p: 1,
        };
        p.check_bounds()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        if p.weaker_than(&KdfParams::USER_MINIMUM) {
            eprintln!(
                "warning: these KDF parameters are below the recommended minimum (64 MiB, t=3)"
            );
        }
        p
    } else {
        eprintln!("Calibrating Argon2id (256 MiB)…");
        coffer_crypto::calibrate(Duration::from_millis(500), Duration::from_secs(1))
            .map_err(|e| Error::InvalidInput(e.to_string()))?
            .0
    };
    let t0 = Instant::now();
    let me = IdentityStore::create(&home, &name, email.as_deref(), &pw, params, pinned)?;
    let took = t0.elapsed();
    let info = IdentityStore::load(&home)?.info()?;
    drop(me);
    if json {
        output::json(&info)?;
    } else {
        eprintln!(
            "Created identity in {} (Argon2id m={} MiB t={} p={}, {} ms per unlock).",
            home.display(),
            params.m_kib / 1024,
            params.t,
            params.p,
            took.as_millis()
        );
        outln!("Fingerprint: {}", info.fingerprint);
        outln!("{}", info.public_identity);
    }
    Ok(0)
}

/// How a CLI user lets a variable that decides what code runs through.
pub(crate) const ALLOW_VAR_HINT: &str = "add --allow-var NAME for each";

/// Warns on stderr that `key` (just stored) decides what code runs, so
/// `run` and the shell / dotenv exports refuse it by default.
pub(crate) fn warn_dangerous(key: &str) {
    if let Some(d) = coffer_vault::dangerous::dangerous_var(key) {
        eprintln!(
            "coffer: warning: {key} changes what code runs ({}); coffer run and shell/dotenv exports refuse it unless given --allow-var {key}",
            d.reason
        );
    }
}

/// The command `run` starts: its arguments, the environment's variables,
/// and none of coffer's passphrase variables (the child gets this
/// environment's variables, not the key to every environment).
pub(crate) fn child_command(
    command: &[std::ffi::OsString],
    vars: &[(String, SecretString)],
) -> Result<std::process::Command> {
    let (prog, args) = command
        .split_first()
        .ok_or_else(|| Error::InvalidInput("no command given after --".into()))?;
    let mut cmd = std::process::Command::new(prog);
    cmd.args(args);
    cmd.env_remove("COFFER_PASSPHRASE")
        .env_remove("COFFER_NEW_PASSPHRASE");
    for (k, v) in vars {
        // Injecting the value into the child's environment is the point of `run`.
        cmd.env(k, v.expose_secret());
    }
    Ok(cmd)
}

/// The exit code when the command cannot be started (127: not found).
pub(crate) fn cannot_run(command: &[std::ffi::OsString], err: &std::io::Error) -> u8 {
    let prog = command
        .first()
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    eprintln!("coffer: cannot run {prog}: {err}");
    if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}

/// `get`'s output (also the agent's answer, byte for byte). Write errors
/// are ignored: a reader that went away is not an error of ours.
pub(crate) fn write_get(
    out: &mut dyn Write,
    info: &coffer_vault::ItemSummary,
    value: &SecretString,
    json: bool,
    no_newline: bool,
) -> Result<()> {
    if json {
        #[derive(serde::Serialize)]
        struct WithValue<'a> {
            #[serde(flatten)]
            info: &'a coffer_vault::ItemSummary,
            value: &'a str,
        }
        // Explicitly asked for: the value is the output.
        let text = zeroize::Zeroizing::new(
            serde_json::to_string_pretty(&WithValue {
                info,
                value: value.expose_secret(),
            })
            .map_err(|e| Error::InvalidInput(format!("encoding JSON: {e}")))?,
        );
        let _ = out.write_all(text.as_bytes());
        let _ = out.write_all(b"\n");
    } else {
        // The value is the intended output of `get`.
        let _ = out.write_all(value.expose_secret().as_bytes());
        if !no_newline {
            let _ = out.write_all(b"\n");
        }
    }
    let _ = out.flush();
    Ok(())
}

/// Writes `text` to stdout (an export, a rendered template).
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())
        .and_then(|()| o.flush())
        .map_err(|e| Error::InvalidInput(format!("writing to stdout: {e}")))
}

#[cfg(unix)]
pub(crate) fn exec(
    command: Vec<std::ffi::OsString>,
    vars: Vec<(String, SecretString)>,
) -> Result<u8> {
    use std::os::unix::process::CommandExt;
    let mut cmd = child_command(&command, &vars)?;
    // exec replaces this process: the child's exit code is ours, and
    // nothing is written to disk.
    let err = cmd.exec();
    Ok(cannot_run(&command, &err))
}

#[cfg(not(unix))]
pub(crate) fn exec(
    command: Vec<std::ffi::OsString>,
    vars: Vec<(String, SecretString)>,
) -> Result<u8> {
    let mut cmd = child_command(&command, &vars)?;
    match cmd.status() {
        Ok(status) => Ok(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(err) => Ok(cannot_run(&command, &err)),
    }
}

/// `env remove` / `project remove`: what goes is shown first, and asked
/// about when it holds credentials.
fn remove(v: &mut Vault, scope: &str, yes: bool, dry_run: bool) -> Result<u8> {
    let p = v.removal_preview(scope)?;
    let mut lines = Vec::new();
    for e in &p.envs {
        let n = e.credentials.len() as u64 + e.unreadable;
        lines.push(format!(
            "  {} ({n} credential{}; access: {})",
            e.env,
            if n == 1 { "" } else { "s" },
            if e.members.is_empty() {
                "-".to_string()
            } else {
                e.members.join(", ")
            }
        ));
        for c in &e.credentials {
            lines.push(format!("    {c}"));
        }
        if e.unreadable > 0 {
            lines.push(format!("    and {} you cannot read", e.unreadable));
        }
    }
    if dry_run {
        outln!("Removing {scope} would hide:");
        for l in &lines {
            outln!("{l}");
        }
        return Ok(0);
    }
    if !p.is_empty() && !yes {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            let n = p.credentials();
            return Err(Error::Refused(format!(
                "{scope} holds {n} credential{}: not removed without a terminal to confirm (see --dry-run; scripts: pass --yes)",
                if n == 1 { "" } else { "s" }
            )));
        }
        eprintln!("Removing {scope} hides:");
        for l in &lines {
            eprintln!("{l}");
        }
        if !crate::team::confirm(&format!(
            "Remove {scope}? Its history stays in the log and `coffer env restore` brings it back."
        )) {
            return Err(Error::Refused(
                "not confirmed: nothing changed (scripts: pass --yes)".into(),
            ));
        }
    }
    let gone = v.remove(scope)?;
    eprintln!(
        "Removed {}; its history stays in the log (`coffer env restore PROJECT/ENV` brings one back).",
        gone.join(", ")
    );
    Ok(0)
}

/// `coffer override …`.
fn overrides(vault: &Option<PathBuf>, cmd: OverrideCmd) -> Result<u8> {
    match cmd {
        OverrideCmd::Set {
            env,
            key,
            stdin,
            keep_newline,
            allow_empty,
        } => {
            if stdin.as_deref().is_some_and(|s| s != "-") {
                return Err(Error::InvalidInput(
                    "values are never taken from the command line: pipe it on stdin (or pass -), or type it at the prompt".into(),
                ));
            }
            let mut v = open(vault)?;
            let value = prompt::value(&key, stdin.is_some(), keep_newline)?;
            refuse_empty(&key, &value, allow_empty)?;
            let created = v.set_override(&env, &key, &value)?;
            eprintln!(
                "{} your personal override of {key} in {env} (readable only by you).",
                if created { "Set" } else { "Changed" }
            );
            Ok(0)
        }
        OverrideCmd::Rm { env, key } => {
            let mut v = open(vault)?;
            v.remove_override(&env, &key)?;
            eprintln!("Removed your personal override of {key} in {env}.");
            Ok(0)
        }
        OverrideCmd::Ls { env, json } => {
            let mut v = open(vault)?;
            let list = v.list_overrides(env.as_deref())?;
            if json {
                output::json(&list)?;
            } else {
                for o in &list {
                    let mut notes = Vec::new();
                    if !o.shadows {
                        notes.push("added");
                    }
                    if !o.applies {
                        notes.push("not applied: the policy forbids overrides");
                    }
                    if notes.is_empty() {
                        println!("{}\t{}", o.env, o.name);
                    } else {
                        println!("{}\t{}\t({})", o.env, o.name, notes.join("; "));
                    }
                }
            }
            Ok(0)
        }
    }
}
