//! A KeePass database (`.kdbx`, KDBX 3.1 and 4.x, as KeePass 2 and
//! KeePassXC write it), read directly with the `keepass` crate
//! (sseemayer/keepass-rs; judged in `docs/import.md`, "KeePass .kdbx").
//!
//! The database is opened with its password and, if given, its key file
//! (KeePass's composite key: SHA-256 of each part). A wrong password or key
//! file is one error ("does not open"), nothing read. Before any key
//! derivation, the costs the file's header names are read here and capped
//! ([`check_costs`]): a crafted file must not make the import spend
//! minutes or gigabytes (the crate itself does not cap them).
//!
//! Mapping, as for KeePassXC's CSV export ([`super::keepassxc`]): the group
//! path below the root group is the source path (`Payments/Production`),
//! so the same `--map` file serves both. Fields: `Title`, `UserName`,
//! `Password` (the value), `URL`, `Notes`, and the TOTP seed from `otp`
//! (KeePassXC 2.6+, an `otpauth://` URI) or the older `TOTP Seed`. Entries
//! without a password and everything in the recycle bin are skipped and
//! listed; other attributes and attachments are counted; history is not
//! read.
//!
//! Zeroization: the file is held zeroizing by the caller; the crate keeps
//! protected values (the password, and whatever the database marks
//! protected) in `secrecy` boxes, wiped on drop, and values are copied
//! from there into [`SecretString`]s. The crate's own buffers for the
//! decrypted XML are not cleared: a known residue, as for serde_json in
//! the JSON exports.

use coffer_crypto::SecretString;
use keepass::db::{Entry, Group};
use keepass::{Database, DatabaseKey};
use zeroize::Zeroizing;

use super::{describe, non_empty, ForeignEntry, ForeignRead, SkippedEntry, SourceSecrets};
use crate::error::{Error, Result};

/// Most AES-KDF rounds accepted (KeePassXC's one-second benchmark sets a
/// few tens of millions on a current machine; its slowest, 5 s, ~150M).
pub const MAX_AES_ROUNDS: u64 = 500_000_000;
/// Most Argon2 memory accepted (KeePassXC's default is 64 MiB, KeePass's 1 MiB).
pub const MAX_ARGON2_MEMORY: u64 = 1024 * 1024 * 1024;
/// Most Argon2 passes accepted.
pub const MAX_ARGON2_ITERATIONS: u64 = 100;
/// Most Argon2 lanes accepted.
pub const MAX_ARGON2_PARALLELISM: u64 = 64;

/// The fields read; any other attribute is counted as left out.
const KNOWN: [&str; 8] = [
    "Title",
    "UserName",
    "Password",
    "URL",
    "Notes",
    "otp",
    "TOTP Seed",
    "TOTP Settings",
];

/// Reads a KeePass database's bytes.
pub(crate) fn read(raw: &[u8], secrets: &mut SourceSecrets<'_>) -> Result<ForeignRead> {
    check_costs(raw)?;
    let mut key = DatabaseKey::new();
    if let Some(path) = secrets.key_file {
        let mut f = std::fs::File::open(path).map_err(|e| {
            Error::InvalidInput(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        key = key.with_keyfile(&mut f).map_err(|e| {
            Error::InvalidInput(format!("cannot read the key file {}: {e}", path.display()))
        })?;
    }
    let password = (secrets.password)()?;
    // With a key file, an empty password means "no password" (a database
    // protected by its key file alone); without one it is the password "".
    if secrets.key_file.is_none() || !password.is_empty() {
        key = key.with_password(password.expose_secret());
    }
    drop(password);
    let db = Database::parse(raw, key).map_err(open_error)?;
    let recycle_bin = db
        .meta
        .recyclebin_enabled
        .unwrap_or(true)
        .then_some(db.meta.recyclebin_uuid)
        .flatten()
        .map(|u| *u.as_bytes());
    let mut out = ForeignRead::default();
    // The root group's name is dropped, as in KeePassXC's CSV export.
    walk(&db.root, &mut Vec::new(), recycle_bin, &mut out);
    Ok(out)
}

fn walk(
    group: &Group,
    path: &mut Vec<String>,
    recycle_bin: Option<[u8; 16]>,
    out: &mut ForeignRead,
) {
    let in_bin = Some(*group.uuid.as_bytes()) == recycle_bin;
    for entry in &group.entries {
        push_entry(entry, path, in_bin, out);
    }
    for child in &group.groups {
        path.push(child.name.trim().to_string());
        if in_bin {
            // Everything below the recycle bin is in it too.
            walk(child, path, Some(*child.uuid.as_bytes()), out);
        } else {
            walk(child, path, recycle_bin, out);
        }
        path.pop();
    }
}

fn push_entry(entry: &Entry, path: &[String], in_bin: bool, out: &mut ForeignRead) {
    let path: Vec<String> = path.iter().filter(|p| !p.is_empty()).cloned().collect();
    let title = non_empty(entry.get_title()).unwrap_or_else(|| "(untitled)".into());
    let from = describe(&path, &title);
    if in_bin {
        out.skipped.push(SkippedEntry {
            from,
            reason: "in KeePass's recycle bin",
        });
        return;
    }
    let password = entry.get_password().unwrap_or("");
    if password.is_empty() {
        out.skipped.push(SkippedEntry {
            from,
            reason: "an entry without a password",
        });
        return;
    }
    let totp = entry
        .get("otp")
        .or_else(|| entry.get("TOTP Seed"))
        .filter(|t| !t.trim().is_empty())
        .map(|t| SecretString::from(Zeroizing::new(t.trim().to_string())));
    let left_out = entry
        .fields
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .count()
        + entry.attachments.len();
    out.entries.push(ForeignEntry {
        path,
        title,
        value: SecretString::from(Zeroizing::new(password.to_string())),
        username: non_empty(entry.get_username()),
        url: non_empty(entry.get_url()),
        notes: non_empty(entry.get("Notes")),
        totp,
        left_out,
    });
}

/// The crate's errors, as one line each, never with its inner text (a
/// parser error could quote the decrypted XML).
fn open_error(e: keepass::db::DatabaseOpenError) -> Error {
    use keepass::db::DatabaseOpenError as E;
    use keepass::error::DatabaseKeyError as K;
    Error::InvalidInput(match e {
        E::Key(K::IncorrectKey) => "the password (and key file) do not open this KeePass database; nothing imported".into(),
        E::Key(K::InvalidKeyFile | K::Xml(_)) => "the key file is not a KeePass key file; nothing imported".into(),
        E::Key(_) => "the KeePass database's key could not be built (no password and no key file?); nothing imported".into(),
        E::UnsupportedVersion | E::VersionParse(_) => "not a KeePass database Coffer reads (KDBX 3.1 or 4); nothing imported".into(),
        E::Io(_) | E::UnexpectedEof => "the KeePass database is truncated; nothing imported".into(),
        E::Cryptography(_) | E::Format(_) => "the KeePass database is damaged (it opened with this key, but its contents do not read); nothing imported".into(),
    })
}

/// Reads the KDF parameters from the outer header and refuses costs over
/// the caps, before the crate derives anything. KDBX 3.x: AES-KDF's
/// `TransformRounds` (field 6); KDBX 4.x: the `KdfParameters` variant
/// dictionary (field 11: `R` rounds for AES-KDF; `M` memory in bytes,
/// `I` passes, `P` lanes for Argon2d/id). Format: KeePass's
/// "KDBX 4" specification (keepass.info/help/kb/kdbx_4.html).
pub(crate) fn check_costs(raw: &[u8]) -> Result<()> {
    const SIG1: [u8; 4] = [0x03, 0xd9, 0xa2, 0x9a];
    const SIG2_KDBX: [u8; 4] = [0x67, 0xfb, 0x4b, 0xb5];
    let not_kdbx = || {
        Error::InvalidInput(
            "not a KeePass database (.kdbx): the file does not start with KeePass 2's signature; \
             nothing imported"
                .into(),
        )
    };
    if raw.len() < 12 || raw[..4] != SIG1 {
        return Err(not_kdbx());
    }
    if raw[4..8] != SIG2_KDBX {
        return Err(Error::InvalidInput(
            "this is a KeePass 1 database (.kdb): open it in KeePassXC or KeePass 2 and save it \
             as .kdbx; nothing imported"
                .into(),
        ));
    }
    let major = u16::from_le_bytes([raw[10], raw[11]]);
    let mut pos = 12;
    let too_costly = |what: String| {
        Error::InvalidInput(format!(
            "the KeePass database asks for {what}, more than Coffer spends on opening a file; \
             lower it in KeePassXC (Database → Database Security) and try again; nothing imported"
        ))
    };
    let truncated = || {
        Error::InvalidInput("the KeePass database's header is truncated; nothing imported".into())
    };
    loop {
        let id = *raw.get(pos).ok_or_else(truncated)?;
        let (len, start) = if major >= 4 {
            let b = raw.get(pos + 1..pos + 5).ok_or_else(truncated)?;
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
                pos + 5,
            )
        } else {
            let b = raw.get(pos + 1..pos + 3).ok_or_else(truncated)?;
            (u16::from_le_bytes([b[0], b[1]]) as usize, pos + 3)
        };
        let data = raw.get(start..start + len).ok_or_else(truncated)?;
        pos = start + len;
        match (id, major >= 4) {
            (0, _) => return Ok(()),
            (6, false) if len == 8 => {
                let rounds = u64_le(data);
                if rounds > MAX_AES_ROUNDS {
                    return Err(too_costly(format!(
                        "{rounds} AES-KDF rounds (at most {MAX_AES_ROUNDS})"
                    )));
                }
            }
            (11, true) => {
                for (name, value) in variant_dictionary(data).ok_or_else(truncated)? {
                    let (cap, what) = match name {
                        b"R" => (MAX_AES_ROUNDS, "AES-KDF rounds"),
                        b"M" => (MAX_ARGON2_MEMORY, "bytes of Argon2 memory"),
                        b"I" => (MAX_ARGON2_ITERATIONS, "Argon2 passes"),
                        b"P" => (MAX_ARGON2_PARALLELISM, "Argon2 lanes"),
                        _ => continue,
                    };
                    if value > cap {
                        return Err(too_costly(format!("{value} {what} (at most {cap})")));
                    }
                }
            }
            _ => {}
        }
    }
}

fn u64_le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    u64::from_le_bytes(a)
}

/// The integer entries of a KDBX 4 variant dictionary (name, value); other
/// types are skipped. `None` if it is malformed.
fn variant_dictionary(d: &[u8]) -> Option<Vec<(&[u8], u64)>> {
    let mut out = Vec::new();
    let mut pos = 2; // version (u16)
    loop {
        let kind = *d.get(pos)?;
        if kind == 0 {
            return Some(out);
        }
        let nlen = u32::from_le_bytes(d.get(pos + 1..pos + 5)?.try_into().ok()?) as usize;
        let name = d.get(pos + 5..pos + 5 + nlen)?;
        let vpos = pos + 5 + nlen;
        let vlen = u32::from_le_bytes(d.get(vpos..vpos + 4)?.try_into().ok()?) as usize;
        let value = d.get(vpos + 4..vpos + 4 + vlen)?;
        // 0x04 UInt32, 0x05 UInt64.
        if matches!(kind, 0x04 | 0x05) {
            out.push((name, u64_le(value)));
        }
        pos = vpos + 4 + vlen;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    /// A KDBX 4 header with only a KdfParameters field holding `(name, u64)`s.
    fn kdbx4_header(params: &[(&str, u64)]) -> Vec<u8> {
        let mut vd = vec![0x00, 0x01];
        for (n, v) in params {
            vd.push(0x05);
            vd.extend_from_slice(&(n.len() as u32).to_le_bytes());
            vd.extend_from_slice(n.as_bytes());
            vd.extend_from_slice(&8u32.to_le_bytes());
            vd.extend_from_slice(&v.to_le_bytes());
        }
        vd.push(0);
        let mut h = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 0, 0, 4, 0];
        h.push(11);
        h.extend_from_slice(&(vd.len() as u32).to_le_bytes());
        h.extend_from_slice(&vd);
        h.push(0);
        h.extend_from_slice(&0u32.to_le_bytes());
        h
    }

    #[test]
    fn costs_within_the_caps_pass() {
        check_costs(&kdbx4_header(&[("M", 64 << 20), ("I", 10)])).unwrap();
        check_costs(&kdbx4_header(&[("R", 60_000_000)])).unwrap();
    }

    #[test]
    fn fail_costs_over_the_caps() {
        for p in [
            ("M", MAX_ARGON2_MEMORY + 1),
            ("I", 1000),
            ("P", 1000),
            ("R", u64::MAX),
        ] {
            let msg = check_costs(&kdbx4_header(&[p])).unwrap_err().to_string();
            assert!(msg.contains("more than Coffer spends"), "{msg}");
        }
        let msg = check_costs(b"not a database at all")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not a KeePass database"), "{msg}");
        let mut kdb = kdbx4_header(&[]);
        kdb[4..8].copy_from_slice(&[0x65, 0xfb, 0x4b, 0xb5]);
        assert!(check_costs(&kdb)
            .unwrap_err()
            .to_string()
            .contains("KeePass 1"));
        let h = kdbx4_header(&[("M", 1)]);
        assert!(check_costs(&h[..h.len() - 8])
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }
}
