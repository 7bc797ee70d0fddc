//! `coffer sync …` and `coffer join`: thin over `coffer_vault::sync`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coffer_vault::sync::{describe, Remote, SyncReport};
use coffer_vault::{Error, Result, UnlockedIdentity, Vault};

use crate::output;

/// Where the feeds are: exactly one of a folder or a git remote.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct RemoteArgs {
    /// A shared folder (network share, Syncthing, Dropbox).
    #[arg(long, value_name = "PATH")]
    pub folder: Option<PathBuf>,
    /// A git remote: a URL or the path of a bare repository. Your own git
    /// runs it (your SSH keys and credential helpers apply).
    #[arg(long, value_name = "REMOTE")]
    pub git: Option<String>,
}

impl RemoteArgs {
    fn remote(self) -> Remote {
        match (self.folder, self.git) {
            (Some(p), _) => Remote::Folder(p),
            (None, Some(g)) => Remote::Git(g),
            (None, None) => Remote::Folder(PathBuf::from(".")),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Publish this vault's verified log as this device's feed, with the
    /// vault's descriptor, and make this file a private replica.
    Init {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Per feed: entries applied and published, denied, quarantined; this
    /// device's pending entries; the last sync.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn print_report(r: &SyncReport, json: bool) -> Result<()> {
    if json {
        return output::json(r);
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    for q in &r.quarantined {
        eprintln!("TAMPERING: quarantined the feed of {q}; its later entries are not applied");
    }
    for h in &r.held_back {
        eprintln!("held back: {h}");
    }
    for d in &r.denied {
        eprintln!(
            "denied: {} by {} (device {} #{}): {}",
            d.kind, d.author, d.device, d.seq, d.reason
        );
    }
    if r.resealed > 0 {
        eprintln!(
            "re-sealed {} a teammate wrote under a key an offboarding replaced; marked exposed: rotate them (`coffer rotation`)",
            coffer_vault::words::count(r.resealed, "credential value")
        );
    }
    if r.rekeyed > 0 {
        eprintln!(
            "re-keyed {} whose key had gone to a member since removed (two offboardings crossed)",
            coffer_vault::words::count(r.rekeyed, "environment")
        );
    }
    if r.resigned > 0 {
        eprintln!(
            "signed again {} whose sender may no longer vouch for {} (a lowered access crossed an unshare)",
            coffer_vault::words::count(r.resigned, "share"),
            if r.resigned == 1 { "it" } else { "them" }
        );
    }
    eprintln!(
        "Synced: {} entr{} received ({} applied, {} denied), {} published{}.",
        r.received,
        if r.received == 1 { "y" } else { "ies" },
        r.applied,
        r.denied.len(),
        r.published,
        if r.replayed {
            "; log replayed in order"
        } else {
            ""
        }
    );
    Ok(())
}

/// `coffer sync [--rebuild]` and its subcommands.
pub fn run(v: &mut Vault, sub: Option<SyncCmd>, rebuild: bool, json: bool) -> Result<u8> {
    match sub {
        None => {
            let r = v.sync_with(rebuild)?;
            print_report(&r, json)?;
            Ok(if r.quarantined.is_empty() {
                0
            } else {
                crate::exit::INTEGRITY
            })
        }
        Some(SyncCmd::Init { remote }) => {
            let remote = remote.remote();
            let r = v.sync_init(remote.clone())?;
            print_report(&r, json)?;
            eprintln!(
                "This vault now syncs through {}. Teammates added with `coffer member add` run \
                 `coffer join {}` on their device.",
                describe(&remote),
                match &remote {
                    Remote::Folder(p) => format!("--folder {}", p.display()),
                    Remote::Git(u) => format!("--git {u}"),
                }
            );
            Ok(0)
        }
        Some(SyncCmd::Status { json }) => {
            let s = v.sync_status()?;
            if json {
                output::json(&s)?;
                return Ok(0);
            }
            outln!("Remote:    {}", describe(&s.remote));
            outln!("Folder:    {}", s.folder.display());
            outln!(
                "Last sync: {}",
                s.last_sync
                    .map(coffer_vault::time::format_datetime)
                    .unwrap_or_else(|| "never".into())
            );
            outln!(
                "Pending:   {} entr{} of this device not yet published",
                s.pending,
                if s.pending == 1 { "y" } else { "ies" }
            );
            let rows: Vec<Vec<String>> = s
                .feeds
                .iter()
                .map(|f| {
                    vec![
                        format!(
                            "{}{}",
                            &f.device[..8],
                            if f.mine { " (this device)" } else { "" }
                        ),
                        f.authors.join(", "),
                        f.applied.to_string(),
                        f.in_folder.to_string(),
                        f.denied.to_string(),
                        f.last_op_at
                            .map(coffer_vault::time::format_datetime)
                            .unwrap_or_else(|| "-".into()),
                        f.quarantined
                            .clone()
                            .map(|q| format!("QUARANTINED: {q}"))
                            .unwrap_or_else(|| "ok".into()),
                    ]
                })
                .collect();
            output::table(
                &[
                    "device",
                    "signed by",
                    "applied",
                    "in folder",
                    "denied",
                    "last entry",
                    "state",
                ],
                &rows,
            );
            Ok(0)
        }
    }
}

/// `coffer sync --rebuild`: replays the replica's log from scratch, or,
/// when the replica no longer opens (edited outside Coffer, rolled back),
/// rebuilds it from the sync folder and says what became of the old file.
pub fn rebuild(path: &std::path::Path, me: UnlockedIdentity, json: bool) -> Result<u8> {
    let (_v, r, rebuilt) = Vault::rebuild(path, me)?;
    if json {
        output::json(&serde_json::json!({ "sync": r, "rebuilt": rebuilt }))?;
    } else {
        if let Some(b) = &rebuilt {
            eprintln!("The replica did not open ({}).", b.reason);
            if let Some(p) = &b.moved_aside {
                eprintln!(
                    "It was moved aside to {} and rebuilt from the sync folder.",
                    p.display()
                );
            }
            eprintln!(
                "{} of this device's unpublished entr{} recovered from it{}.",
                b.salvaged,
                if b.salvaged == 1 { "y was" } else { "ies were" },
                if b.dropped > 0 {
                    format!("; {} could not be verified and were dropped", b.dropped)
                } else {
                    String::new()
                }
            );
        }
        print_report(&r, false)?;
    }
    Ok(if r.quarantined.is_empty() {
        0
    } else {
        crate::exit::INTEGRITY
    })
}

/// `coffer join`: shows the vault's descriptor, asks the user to compare
/// the owner's fingerprint (or takes `--fingerprint`), builds the replica.
pub fn join(
    path: PathBuf,
    me: UnlockedIdentity,
    remote: RemoteArgs,
    fingerprint: Option<String>,
    json: bool,
) -> Result<u8> {
    let remote = remote.remote();
    let (v, r) = Vault::join(&path, me, remote, &|d| match &fingerprint {
        Some(f) if normalise(f) == normalise(&d.owner_fingerprint) => Ok(()),
        Some(_) => Err(Error::Refused(
            "the fingerprint given does not match the vault's owner: nothing was joined".into(),
        )),
        None => {
            eprintln!(
                "Vault '{}' (id {}), founded by the owner with fingerprint:\n\n    {}\n",
                d.name, d.vault_id, d.owner_fingerprint
            );
            eprintln!(
                "Ask the owner to read theirs (`coffer identity show`) over a channel you trust."
            );
            if crate::team::confirm("Do they match?") {
                Ok(())
            } else {
                Err(Error::Refused(
                    "fingerprint not confirmed: nothing was joined (scripts: pass --fingerprint)"
                        .into(),
                ))
            }
        }
    })?;
    print_report(&r, json)?;
    eprintln!("Joined '{}': your replica is {}.", v.name(), path.display());
    Ok(0)
}

fn normalise(f: &str) -> String {
    f.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}
