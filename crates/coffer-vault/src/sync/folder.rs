//! The sync folder's layout, and reading and writing it.
//!
//! ```text
//! <root>/coffer-vault.json                 the descriptor (vault id, name,
//!                                          genesis hash, owner fingerprint)
//! <root>/feeds/<device id>/<seq>.op        one feed entry per file; <seq> is
//!                                          20 decimal digits, from 1
//! ```
//!
//! Each device writes only its own feed directory, one new file per op,
//! created atomically (a temporary file, then a rename that never replaces
//! an existing file), so no transport sees a write conflict and an entry is
//! immutable once published. Anything else in `feeds/` (a Syncthing or
//! Dropbox conflict copy, a temporary file, a stray name) is ignored with a
//! warning, never read as an entry. Nothing here is trusted: every entry is
//! verified by the engine before it is applied.

use std::io::Read;
use std::path::{Path, PathBuf};

use coffer_crypto::Id;
use serde::{Deserialize, Serialize};

use super::feed::MAX_ENTRY_BYTES;
use crate::error::{Error, Result};
use crate::paths::write_atomic_shared_new;

/// The descriptor's file name.
pub const DESCRIPTOR: &str = "coffer-vault.json";

/// What a sync folder says about its vault. Unsigned: `join` shows it for
/// the user to confirm the owner's fingerprint out of band, then checks the
/// genesis entry in the feeds against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Layout version (1).
    pub format: u32,
    /// The vault id (hex).
    pub vault_id: String,
    /// The team name.
    pub name: String,
    /// Hash of the genesis entry (hex).
    pub genesis_hash: String,
    /// The founding owner's fingerprint.
    pub owner_fingerprint: String,
}

/// A sync folder on this machine (a plain folder, or a git work tree).
#[derive(Clone, Debug)]
pub struct Folder {
    root: PathBuf,
}

fn mkdirs(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

fn seq_name(seq: u64) -> String {
    format!("{seq:020}.op")
}

fn parse_seq(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".op")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|s| *s > 0)
}

impl Folder {
    /// The folder at `root` (it need not exist yet).
    pub fn new(root: &Path) -> Self {
        Folder {
            root: root.to_path_buf(),
        }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn feeds(&self) -> PathBuf {
        self.root.join("feeds")
    }

    fn feed_dir(&self, device: &Id) -> PathBuf {
        self.feeds().join(device.to_hex())
    }

    /// Reads the descriptor.
    pub fn descriptor(&self) -> Result<Descriptor> {
        let p = self.root.join(DESCRIPTOR);
        let raw = std::fs::read(&p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound(format!(
                    "a Coffer sync folder at {} (no {DESCRIPTOR}; was `coffer sync init` run?)",
                    self.root.display()
                ))
            } else {
                Error::io(format!("reading {}", p.display()), e)
            }
        })?;
        let d: Descriptor = serde_json::from_slice(&raw).map_err(|_| {
            Error::integrity(format!("{} is not a Coffer sync descriptor", p.display()))
        })?;
        if d.format != 1 {
            return Err(Error::Refused(format!(
                "the sync folder has layout {}; this coffer understands 1: upgrade coffer",
                d.format
            )));
        }
        Ok(d)
    }

    /// Writes the descriptor, or checks that the one there is the same.
    pub fn ensure_descriptor(&self, d: &Descriptor) -> Result<()> {
        mkdirs(&self.feeds())?;
        match self.descriptor() {
            Ok(existing) if existing == *d => Ok(()),
            Ok(_) => Err(Error::Refused(format!(
                "{} already holds another vault's feeds; choose an empty folder",
                self.root.display()
            ))),
            Err(Error::NotFound(_)) => {
                let json = serde_json::to_vec_pretty(d)
                    .map_err(|e| Error::Database(format!("encoding the descriptor: {e}")))?;
                write_atomic_shared_new(&self.root.join(DESCRIPTOR), &json)
            }
            Err(e) => Err(e),
        }
    }

    /// The devices with a feed here, and a warning for every stray entry
    /// of `feeds/`.
    pub fn devices(&self) -> Result<(Vec<Id>, Vec<String>)> {
        let mut devices = Vec::new();
        let mut warnings = Vec::new();
        let rd = match std::fs::read_dir(self.feeds()) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((devices, warnings)),
            Err(e) => return Err(Error::io(format!("reading {}", self.feeds().display()), e)),
        };
        for ent in rd {
            let ent = ent.map_err(|e| Error::io("reading the sync folder", e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            match Id::from_hex(&name) {
                Ok(id) if id.to_hex() == name && ent.file_type().is_ok_and(|t| t.is_dir()) => {
                    devices.push(id)
                }
                _ => warnings.push(format!(
                    "ignored a stray entry in the sync folder: feeds/{name}"
                )),
            }
        }
        devices.sort_by_key(|d| d.0);
        Ok((devices, warnings))
    }

    /// Names in a feed directory that are not entries (conflict copies,
    /// temporary files), as warnings.
    pub fn stray_files(&self, device: &Id) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let dir = self.feed_dir(device);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
        };
        for ent in rd {
            let ent = ent.map_err(|e| Error::io("reading the sync folder", e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            if parse_seq(&name).is_none() {
                out.push(format!(
                    "ignored a stray file in device {}'s feed: {name} (a sync tool's conflict copy or a temporary file; it is never applied)",
                    device.short()
                ));
            }
        }
        Ok(out)
    }

    /// The bytes of entry `seq` of `device`'s feed, if present. Anything
    /// but a regular file of at most [`MAX_ENTRY_BYTES`] there (a folder, a
    /// symlink, a FIFO that would block the open) is an error, never read.
    pub fn read(&self, device: &Id, seq: u64) -> Result<Option<Vec<u8>>> {
        let p = self.feed_dir(device).join(seq_name(seq));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_file() && m.len() <= MAX_ENTRY_BYTES => {}
            Ok(m) if m.file_type().is_file() => {
                return Err(Error::integrity(format!(
                    "{} is larger than any feed entry",
                    p.display()
                )))
            }
            Ok(_) => {
                return Err(Error::integrity(format!(
                    "{} is not a regular file",
                    p.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading {}", p.display()), e)),
        }
        let f = match std::fs::File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading {}", p.display()), e)),
        };
        let mut buf = Vec::new();
        f.take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
        if buf.len() as u64 > MAX_ENTRY_BYTES {
            return Err(Error::integrity(format!(
                "{} is larger than any feed entry",
                p.display()
            )));
        }
        Ok(Some(buf))
    }

    /// Whether entry `seq` of `device`'s feed is there, and its size (0
    /// for what is not a regular file, or cannot be looked at: reading it
    /// reports why). Nothing is opened.
    pub fn next_size(&self, device: &Id, seq: u64) -> Option<u64> {
        let p = self.feed_dir(device).join(seq_name(seq));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_file() => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => Some(0),
        }
    }

    /// Removes every file of this device's own feed from `seq` on (files
    /// planted after its head). Returns how many.
    pub(crate) fn remove_from(&self, device: &Id, seq: u64) -> Result<usize> {
        let dir = self.feed_dir(device);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
        };
        let mut n = 0;
        for ent in rd {
            let ent = ent.map_err(|e| Error::io("reading the sync folder", e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            if parse_seq(&name).is_some_and(|s| s >= seq) {
                let p = ent.path();
                let r = if ent.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
                r.map_err(|e| Error::io(format!("removing {}", p.display()), e))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Puts back entry `seq` of this device's own feed, found altered
    /// in the folder (only the device that wrote an entry does this).
    pub(crate) fn repair(&self, device: &Id, seq: u64, bytes: &[u8]) -> Result<()> {
        let p = self.feed_dir(device).join(seq_name(seq));
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(&p)
                .map_err(|e| Error::io(format!("removing {}", p.display()), e))?;
        }
        crate::paths::write_atomic_shared(&p, bytes)
    }

    /// Publishes entry `seq` of `device`'s feed. An identical file already
    /// there is fine (a publish interrupted before); another one is a fork.
    pub fn publish(&self, device: &Id, seq: u64, bytes: &[u8]) -> Result<()> {
        let dir = self.feed_dir(device);
        mkdirs(&dir)?;
        let p = dir.join(seq_name(seq));
        match write_atomic_shared_new(&p, bytes) {
            Ok(()) => Ok(()),
            Err(Error::AlreadyExists(_)) => match self.read(device, seq)? {
                Some(b) if b == bytes => Ok(()),
                _ => Err(Error::integrity(format!(
                    "the sync folder already holds another entry #{seq} of this device's feed: \
                     this device's data (COFFER_HOME) was restored or copied to another machine. \
                     Nothing was published; continue as a new device (see `coffer sync status`)"
                ))),
            },
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_exact() {
        assert_eq!(parse_seq(&seq_name(7)), Some(7));
        for bad in [
            "00000000000000000007.op.sync-conflict-20261205-1",
            "00000000000000000007 (conflicted copy).op",
            "7.op",
            "00000000000000000000.op",
            ".coffer-tmp-x",
            "0000000000000000000a.op",
        ] {
            assert_eq!(parse_seq(bad), None, "{bad}");
        }
    }
}
