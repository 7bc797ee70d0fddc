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
//!
//! Anyone who can write the folder can also put links and special files
//! in it, so the folder is walked defensively (attack review 13): `feeds`
//! and each `feeds/<device>` must be real folders, never symbolic links
//! (through one, a publish would write, and the clean-up of planted files
//! delete, outside the sync folder); a file is opened without following a
//! final link and without blocking (a FIFO in place of an entry or the
//! descriptor), then checked to be a regular file of bounded size on the
//! open handle; names found in the folder are shown with their control
//! characters escaped (they reach the terminal in warnings).

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

/// The most the descriptor may weigh (a few hundred bytes in practice).
const MAX_DESCRIPTOR_BYTES: u64 = 64 << 10;

/// A name found in the folder as it may be shown: control characters and
/// the bidirectional overrides escaped, so that a file name can neither
/// drive the terminal that prints a warning (escape sequences, a line
/// break and a fake line after it) nor reorder what it shows.
pub(crate) fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `p`, a folder of the sync folder's layout, exists. A symbolic
/// link or anything but a folder there is refused: through a link, this
/// device would read, write and delete outside the sync folder.
fn real_dir(p: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_dir() => Ok(true),
        Ok(m) => Err(Error::integrity(format!(
            "{} in the sync folder is {}: Coffer reads and writes the sync folder only through its own folders, \
             never through a link that could lead outside it. Nothing was written; remove it (someone who can \
             write the sync folder put it there) and sync again",
            p.display(),
            if m.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "not a folder"
            }
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
    }
}

/// Opens `p` for reading without following a final symbolic link and
/// without blocking (a FIFO would otherwise block the open for ever).
fn open_nofollow(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    {
        // No O_NOFOLLOW here: refuse a link seen before the open (a
        // Windows FIFO is no file-system object, so the open cannot block).
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(std::io::Error::from_raw_os_error(1921));
        }
    }
    o.open(p)
}

/// The bytes of the regular file `p` of at most `max` bytes; `None` when
/// there is none. A link, a folder, a FIFO, a device or a larger file is
/// refused unread: the checks run on the open handle, so a file swapped
/// after a look at it is caught as well.
fn read_regular(p: &Path, max: u64, what: &str) -> Result<Option<Vec<u8>>> {
    let not_regular = || Error::integrity(format!("{} is not a regular file", p.display()));
    let f = match open_nofollow(p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // ELOOP (a link, with O_NOFOLLOW), ENXIO (a socket), 1921 (a
        // Windows link): not a file at all.
        Err(e) if matches!(e.raw_os_error(), Some(code) if is_link_or_special(code)) => {
            return Err(not_regular())
        }
        Err(e) => return Err(Error::io(format!("reading {}", p.display()), e)),
    };
    let m = f
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
    if !m.file_type().is_file() {
        return Err(not_regular());
    }
    if m.len() > max {
        return Err(Error::integrity(format!(
            "{} is larger than any {what}",
            p.display()
        )));
    }
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
    if buf.len() as u64 > max {
        return Err(Error::integrity(format!(
            "{} is larger than any {what}",
            p.display()
        )));
    }
    Ok(Some(buf))
}

fn is_link_or_special(code: i32) -> bool {
    #[cfg(unix)]
    {
        code == libc::ELOOP || code == libc::ENXIO || code == libc::EMLINK
    }
    #[cfg(not(unix))]
    {
        code == 1921
    }
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

    /// `feeds/`, checked to be a real folder (or absent).
    fn checked_feeds(&self) -> Result<PathBuf> {
        let feeds = self.feeds();
        real_dir(&feeds)?;
        Ok(feeds)
    }

    /// `feeds/<device>`, it and `feeds/` checked to be real folders (or
    /// absent).
    fn checked_feed_dir(&self, device: &Id) -> Result<PathBuf> {
        self.checked_feeds()?;
        let dir = self.feed_dir(device);
        real_dir(&dir)?;
        Ok(dir)
    }

    /// Reads the descriptor.
    pub fn descriptor(&self) -> Result<Descriptor> {
        let p = self.root.join(DESCRIPTOR);
        let raw = read_regular(&p, MAX_DESCRIPTOR_BYTES, "sync descriptor")?.ok_or_else(|| {
            Error::NotFound(format!(
                "a Coffer sync folder at {} (no {DESCRIPTOR}; was `coffer sync init` run?)",
                self.root.display()
            ))
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
        mkdirs(&self.checked_feeds()?)?;
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
        let feeds = self.checked_feeds()?;
        let rd = match std::fs::read_dir(&feeds) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((devices, warnings)),
            Err(e) => return Err(Error::io(format!("reading {}", feeds.display()), e)),
        };
        for ent in rd {
            let ent = ent.map_err(|e| Error::io("reading the sync folder", e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            match Id::from_hex(&name) {
                Ok(id) if id.to_hex() == name && ent.file_type().is_ok_and(|t| t.is_dir()) => {
                    devices.push(id)
                }
                _ => warnings.push(format!(
                    "ignored a stray entry in the sync folder: feeds/{}",
                    printable(&name)
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
        let dir = self.checked_feed_dir(device)?;
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
                    "ignored a stray file in device {}'s feed: {} (a sync tool's conflict copy or a temporary file; it is never applied)",
                    device.short(),
                    printable(&name)
                ));
            }
        }
        Ok(out)
    }

    /// The bytes of entry `seq` of `device`'s feed, if present. Anything
    /// but a regular file of at most [`MAX_ENTRY_BYTES`] there (a folder, a
    /// symlink, a FIFO that would block the open) is an error, never read.
    pub fn read(&self, device: &Id, seq: u64) -> Result<Option<Vec<u8>>> {
        let p = self.checked_feed_dir(device)?.join(seq_name(seq));
        read_regular(&p, MAX_ENTRY_BYTES, "feed entry")
    }

    /// Whether entry `seq` of `device`'s feed is there, and its size (0
    /// for what is not a regular file, or cannot be looked at: reading it
    /// reports why). Nothing is opened.
    pub fn next_size(&self, device: &Id, seq: u64) -> Option<u64> {
        let Ok(dir) = self.checked_feed_dir(device) else {
            return Some(0);
        };
        let p = dir.join(seq_name(seq));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_file() => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => Some(0),
        }
    }

    /// Removes every file of this device's own feed from `seq` on (files
    /// planted after its head). Returns how many.
    pub(crate) fn remove_from(&self, device: &Id, seq: u64) -> Result<usize> {
        let dir = self.checked_feed_dir(device)?;
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
        let dir = self.checked_feed_dir(device)?;
        mkdirs(&dir)?;
        let p = dir.join(seq_name(seq));
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(&p)
                .map_err(|e| Error::io(format!("removing {}", p.display()), e))?;
        }
        crate::paths::write_atomic_shared(&p, bytes)
    }

    /// Publishes entry `seq` of `device`'s feed. An identical file already
    /// there is fine (a publish interrupted before); another one is a fork.
    pub fn publish(&self, device: &Id, seq: u64, bytes: &[u8]) -> Result<()> {
        let dir = self.checked_feed_dir(device)?;
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
