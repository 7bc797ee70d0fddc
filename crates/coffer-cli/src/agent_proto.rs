//! The agent's wire format and socket path, shared by the agent (in the
//! full `coffer`) and the thin client (`coffer-thin`, `std` only: this file
//! must not use anything else).
//!
//! One request and one answer per connection, each a frame: an 8-byte
//! magic, a kind byte, then fields, each a little-endian `u32` length and
//! its bytes. The agent decides everything: the client sends its
//! arguments, working folder and the environment variables that change
//! what Coffer does ([`ENV_KEYS`]); the agent answers with the output and
//! exit code the full binary would have produced, or with "fall back",
//! and the client then `exec`s the full binary with the same arguments.

use std::io::{Read, Write};
use std::path::PathBuf;

/// First bytes of every frame (protocol version 2: requests carry the
/// session's markers).
pub const MAGIC: &[u8; 8] = b"COFFER\x00\x02";
/// The largest frame either side accepts (an export of a large
/// environment fits many times over).
pub const MAX_FRAME: usize = 64 << 20;

/// The variables that change what a Coffer command does or where it
/// looks. The agent answers only a client whose values are its own.
pub const ENV_KEYS: &[&str] = &[
    "COFFER_HOME",
    "XDG_DATA_HOME",
    "HOME",
    "COFFER_VAULT",
    "COFFER_NOW",
    "COFFER_SESSION_MINUTES",
    "COFFER_PRINT_VECTORS",
    "NO_COLOR",
    "RUST_LOG",
];

/// The name prefix of the agent's marker key in the login session's
/// keyring (`coffer_vault::MARKER_PREFIX`).
pub const MARKER_PREFIX: &str = "coffer-agent:";

/// The tokens of the agent markers this process can see in `/proc/keys`:
/// the kernel lists a possessor-only key only to the processes holding the
/// login session's keyring, who can open the session cache. A request
/// carries them; the agent answers only one that carries its own.
#[allow(dead_code)] // the thin client's
pub fn session_markers() -> Vec<Vec<u8>> {
    let Ok(keys) = std::fs::read_to_string("/proc/keys") else {
        return Vec::new();
    };
    keys.lines()
        .filter_map(|l| l.split_whitespace().nth(8))
        .filter_map(|d| d.strip_prefix(MARKER_PREFIX))
        .map(|t| t.trim_end_matches(':').as_bytes().to_vec())
        .take(64)
        .collect()
}

/// Request kinds.
pub const KIND_COMMAND: u8 = 1;
/// Is an agent answering?
pub const KIND_PING: u8 = 2;
/// End the agent.
pub const KIND_STOP: u8 = 3;

/// Answer kinds.
pub const ANSWER_FALLBACK: u8 = 0;
/// Output and an exit code.
pub const ANSWER_DONE: u8 = 1;
/// Output, then `exec` the command with these variables (`run`).
pub const ANSWER_EXEC: u8 = 2;

/// The socket of the agent serving this environment's Coffer home:
/// `$XDG_RUNTIME_DIR/coffer-agent/<hash>.sock`, the hash over the
/// variables that decide the home. `None` without `XDG_RUNTIME_DIR`.
pub fn socket_path(var: impl Fn(&str) -> Option<Vec<u8>>) -> Option<PathBuf> {
    let run = var("XDG_RUNTIME_DIR").filter(|v| !v.is_empty())?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for key in ["COFFER_HOME", "XDG_DATA_HOME", "HOME"] {
        let value = var(key);
        let mut feed = key.as_bytes().to_vec();
        feed.push(if value.is_some() { 1 } else { 0 });
        feed.extend(value.unwrap_or_default());
        feed.push(0);
        for b in feed {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut p = PathBuf::from(bytes_os(run));
    p.push("coffer-agent");
    p.push(format!("{h:016x}.sock"));
    Some(p)
}

#[cfg(unix)]
fn bytes_os(b: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(b)
}

#[cfg(not(unix))]
fn bytes_os(b: Vec<u8>) -> std::ffi::OsString {
    String::from_utf8_lossy(&b).into_owned().into()
}

/// A frame being built.
pub struct Frame(pub Vec<u8>);

impl Frame {
    /// A frame of `kind`.
    pub fn new(kind: u8) -> Self {
        let mut b = MAGIC.to_vec();
        b.extend([0, 0, 0, 0, kind]);
        Frame(b)
    }

    /// A frame of `kind` with room for `n` bytes, so that the values it
    /// carries are not copied into freed memory as it grows.
    pub fn with_capacity(kind: u8, n: usize) -> Self {
        let mut f = Frame(Vec::with_capacity(n + MAGIC.len() + 5));
        f.0.extend_from_slice(MAGIC);
        f.0.extend([0, 0, 0, 0, kind]);
        f
    }

    /// Appends one field.
    pub fn field(&mut self, bytes: &[u8]) {
        self.0.extend((bytes.len() as u32).to_le_bytes());
        self.0.extend_from_slice(bytes);
    }

    /// Appends a count.
    pub fn count(&mut self, n: usize) {
        self.0.extend((n as u32).to_le_bytes());
    }

    /// Writes the frame (its length filled in).
    pub fn send(mut self, w: &mut impl Write) -> std::io::Result<()> {
        let len = (self.0.len() - MAGIC.len() - 4) as u32;
        self.0[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&len.to_le_bytes());
        let r = w.write_all(&self.0).and_then(|()| w.flush());
        self.0.fill(0);
        r
    }
}

fn bad() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed agent frame")
}

/// Reads one frame: its kind and a reader over its fields.
pub fn receive(r: &mut impl Read) -> std::io::Result<(u8, Fields)> {
    let mut head = [0u8; 13];
    r.read_exact(&mut head)?;
    if &head[..8] != MAGIC {
        return Err(bad());
    }
    let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(bad());
    }
    let mut body = vec![0u8; len - 1];
    r.read_exact(&mut body)?;
    Ok((head[12], Fields { b: body, at: 0 }))
}

/// The fields of a received frame, read in order.
pub struct Fields {
    b: Vec<u8>,
    at: usize,
}

impl Fields {
    fn u32(&mut self) -> std::io::Result<usize> {
        let end = self.at.checked_add(4).filter(|e| *e <= self.b.len());
        let end = end.ok_or_else(bad)?;
        let mut n = [0u8; 4];
        n.copy_from_slice(&self.b[self.at..end]);
        self.at = end;
        Ok(u32::from_le_bytes(n) as usize)
    }

    /// The next count.
    pub fn count(&mut self) -> std::io::Result<usize> {
        self.u32()
    }

    /// The next field.
    pub fn field(&mut self) -> std::io::Result<Vec<u8>> {
        let n = self.u32()?;
        let end = self.at.checked_add(n).filter(|e| *e <= self.b.len());
        let end = end.ok_or_else(bad)?;
        let v = self.b[self.at..end].to_vec();
        self.at = end;
        Ok(v)
    }

    /// Whether every byte was read.
    pub fn done(&self) -> bool {
        self.at == self.b.len()
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        // An answer carries values: do not leave them in freed memory.
        self.b.fill(0);
        std::hint::black_box(&self.b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_field_by_field() {
        let mut f = Frame::new(KIND_COMMAND);
        f.count(2);
        f.field(b"get");
        f.field(b"");
        let mut wire = Vec::new();
        f.send(&mut wire).expect("send");
        let (kind, mut fields) = receive(&mut wire.as_slice()).expect("receive");
        assert_eq!(kind, KIND_COMMAND);
        assert_eq!(fields.count().expect("count"), 2);
        assert_eq!(fields.field().expect("field"), b"get");
        assert_eq!(fields.field().expect("field"), b"");
        assert!(fields.done());
        assert!(fields.field().is_err(), "reading past the end fails");
    }

    #[test]
    fn malformed_frames_are_refused() {
        assert!(receive(&mut &b"NOTCOFFER\x00\x00\x00\x00"[..]).is_err());
        let mut wire = MAGIC.to_vec();
        wire.extend(u32::MAX.to_le_bytes());
        wire.push(KIND_PING);
        assert!(receive(&mut wire.as_slice()).is_err(), "oversized");
        let mut f = Frame::new(KIND_COMMAND);
        f.field(b"abc");
        let mut wire = Vec::new();
        f.send(&mut wire).expect("send");
        wire.truncate(wire.len() - 1);
        assert!(receive(&mut wire.as_slice()).is_err(), "truncated");
    }

    #[test]
    fn the_socket_depends_on_the_home_variables() {
        let env = |home: &'static str| {
            move |k: &str| match k {
                "XDG_RUNTIME_DIR" => Some(b"/run/user/1".to_vec()),
                "COFFER_HOME" => Some(home.as_bytes().to_vec()),
                _ => None,
            }
        };
        let a = socket_path(env("/a")).expect("path");
        assert!(a.starts_with("/run/user/1/coffer-agent"));
        assert_ne!(a, socket_path(env("/b")).expect("path"));
        assert_eq!(a, socket_path(env("/a")).expect("path"));
        assert!(
            socket_path(|_| None).is_none(),
            "no XDG_RUNTIME_DIR, no agent"
        );
    }
}
