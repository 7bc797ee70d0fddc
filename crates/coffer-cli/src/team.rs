//! Team commands: members, grants, shares, offboarding.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;
use coffer_vault::{parse_grant, Error, ExposureReport, Result, Role, Vault};

use crate::output;

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// Add a teammate from the public identity string they printed with
    /// `coffer identity show`. You confirm their fingerprint out of band.
    #[command(
        after_help = "Example: coffer member add coffer1-… --name bob --role member --grant web/dev:write --grant web/prod:read"
    )]
    Add {
        /// Their public identity string (`coffer1-…`).
        public_identity: String,
        /// Their name in this vault.
        #[arg(long)]
        name: String,
        /// owner, admin, member or reader.
        #[arg(long, default_value = "member")]
        role: String,
        /// PROJECT/ENV[:read|write] (repeatable).
        #[arg(long = "grant", value_name = "PROJECT/ENV[:ACCESS]")]
        grants: Vec<String>,
        /// The fingerprint they read to you (for scripts; otherwise you are asked).
        #[arg(long, value_name = "FP")]
        fingerprint: Option<String>,
    },
    /// List members, roles, fingerprints and grants.
    Ls {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Change a member's role.
    Role {
        /// Member name.
        name: String,
        /// owner, admin, member or reader.
        role: String,
    },
    /// Revoke a member in one step: re-key everything they could read and
    /// report every credential to rotate at the provider.
    Offboard {
        /// Member name.
        name: String,
        /// Write the report to FILE as well.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// table, md, csv or json.
        #[arg(long, default_value = "table")]
        format: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Only show what would happen; change nothing.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
    /// The exposure report of an offboarded member (what is still to rotate).
    Report {
        /// Member name.
        name: String,
        /// table, md, csv or json.
        #[arg(long, default_value = "table")]
        format: String,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
}

pub(crate) fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && matches!(line.trim(), "y" | "Y" | "yes")
}

fn check_format(format: &str) -> Result<()> {
    match format {
        "table" | "md" | "markdown" | "csv" | "json" => Ok(()),
        f => Err(Error::InvalidInput(format!(
            "unknown report format '{f}': use table, md, csv or json"
        ))),
    }
}

fn render(r: &ExposureReport, format: &str) -> Result<String> {
    check_format(format)?;
    Ok(match format {
        "md" | "markdown" => r.to_markdown(),
        "csv" => coffer_vault::exposure_report_csv(r),
        "json" => serde_json::to_string_pretty(r)
            .map(|s| s + "\n")
            .map_err(|e| Error::InvalidInput(format!("encoding JSON: {e}")))?,
        "table" => {
            let mut s = format!(
                "Exposure report for {} ({}): {}, {} still to rotate\n",
                r.member,
                r.fingerprint,
                coffer_vault::words::count(r.items.len(), "credential"),
                r.open()
            );
            for i in &r.items {
                s.push_str(&format!(
                    "  [{}] {:<28} {:<32} rotated {}  {}\n",
                    if i.rotated { "x" } else { " " },
                    i.env,
                    i.key,
                    i.last_rotated
                        .map(coffer_vault::time::format_date)
                        .unwrap_or_else(|| "-".into()),
                    i.url.as_deref().unwrap_or("")
                ));
            }
            s
        }
        f => {
            return Err(Error::InvalidInput(format!(
                "unknown report format '{f}': use table, md, csv or json"
            )))
        }
    })
}

fn emit(r: &ExposureReport, format: &str, file: Option<&PathBuf>) -> Result<()> {
    let text = render(r, format)?;
    match file {
        Some(p) => {
            coffer_vault::paths::write_atomic(p, text.as_bytes())?;
            eprintln!("Report written to {}.", p.display());
        }
        None => out!("{text}"),
    }
    Ok(())
}

pub fn run(v: &mut Vault, cmd: MemberCmd) -> Result<u8> {
    match cmd {
        MemberCmd::Add {
            public_identity,
            name,
            role,
            grants,
            fingerprint,
        } => {
            let role = Role::parse(&role)?;
            let grants = grants
                .iter()
                .map(|g| parse_grant(g))
                .collect::<Result<Vec<_>>>()?;
            let parsed = coffer_crypto::PublicIdentity::parse(&public_identity)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            let fp = parsed.keys.fingerprint();
            let confirmed = match fingerprint {
                Some(f) => f,
                None => {
                    eprintln!("Fingerprint of {name}'s identity:\n\n    {fp}\n");
                    eprintln!("Ask {name} to read theirs (`coffer identity show`) over a channel you trust.");
                    if !confirm("Do they match?") {
                        return Err(Error::Refused(
                            "fingerprint not confirmed: nothing was added (scripts: pass --fingerprint)".into(),
                        ));
                    }
                    fp.clone()
                }
            };
            let m = v.add_member(&public_identity, &name, role, &grants, &confirmed)?;
            eprintln!(
                "Added {} as {} with {}; fingerprint {} pinned.",
                m.name,
                m.role.as_str(),
                coffer_vault::words::count(m.grants.len(), "grant"),
                m.fingerprint
            );
            Ok(0)
        }
        MemberCmd::Ls { json } => {
            let ms = v.list_members()?;
            if json {
                output::json(&ms)?;
            } else {
                let rows: Vec<Vec<String>> = ms
                    .iter()
                    .map(|m| {
                        vec![
                            m.name.clone(),
                            m.role.as_str().into(),
                            m.status.clone(),
                            m.fingerprint.clone(),
                            if m.grants.is_empty() {
                                "-".into()
                            } else {
                                m.grants.join(" ")
                            },
                            format!(
                                "{} {}",
                                m.added_by.as_deref().unwrap_or("-"),
                                coffer_vault::time::format_date(m.added_at)
                            ),
                        ]
                    })
                    .collect();
                output::table(
                    &[
                        "name",
                        "role",
                        "status",
                        "fingerprint",
                        "grants",
                        "added by",
                    ],
                    &rows,
                );
            }
            Ok(0)
        }
        MemberCmd::Role { name, role } => {
            v.set_role(&name, Role::parse(&role)?)?;
            eprintln!("{name} is now {role}.");
            Ok(0)
        }
        MemberCmd::Offboard {
            name,
            report,
            format,
            yes,
            dry_run,
        } => {
            check_format(&format)?;
            if dry_run {
                let p = v.offboard_preview(&name)?;
                if format == "json" {
                    output::json(&p)?;
                } else {
                    outln!("Offboarding {} ({}) would:", p.member, p.fingerprint);
                    for r in &p.rekey {
                        outln!(
                            "  re-key {} ({} items); keep access: {}",
                            r.env,
                            r.items,
                            if r.keep_access.is_empty() {
                                "nobody".into()
                            } else {
                                r.keep_access.join(", ")
                            }
                        );
                    }
                    outln!(
                        "  mark {} exposed:",
                        coffer_vault::words::count(p.exposed.len(), "credential")
                    );
                    for e in &p.exposed {
                        outln!("    {e}");
                    }
                }
                return Ok(0);
            }
            let m = v.member(&name)?;
            if !yes
                && !confirm(&format!(
                    "Offboard {} ({})? Their access is revoked and everything they could read is re-keyed.",
                    m.name, m.fingerprint
                ))
            {
                return Err(Error::Refused(
                    "not confirmed: nothing changed (scripts: pass --yes)".into(),
                ));
            }
            let tty = std::io::stderr().is_terminal();
            let mut progress = |done: usize, total: usize| {
                if tty {
                    let width = 30;
                    let filled = (done * width)
                        .checked_div(total)
                        .unwrap_or(width)
                        .min(width);
                    eprint!(
                        "\rRe-keying [{}{}] {done}/{total}",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                    if done == total {
                        eprintln!();
                    }
                }
            };
            let r = v.offboard(&name, &mut progress)?;
            eprintln!(
                "Offboarded {}: {} exposed; rotate them at the provider (`coffer rotation --exposed`).",
                r.member,
                coffer_vault::words::count(r.items.len(), "credential")
            );
            emit(&r, &format, None)?;
            if let Some(p) = report {
                let fmt = if format == "table" { "md" } else { &format };
                emit(&r, fmt, Some(&p))?;
            }
            Ok(0)
        }
        MemberCmd::Report {
            name,
            format,
            report,
        } => {
            let r = v.exposure_report(&name)?;
            emit(&r, &format, report.as_ref())?;
            Ok(0)
        }
    }
}
