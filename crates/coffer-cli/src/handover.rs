//! Handing a supervised `coffer run` to a clean process (Linux).
//!
//! When coffer must stay the command's parent (masked output, `--file`),
//! the process that unlocked the vault would otherwise live as long as the
//! command: its environment block would still hold `COFFER_PASSPHRASE`
//! (readable by the user's other processes in `/proc/PID/environ`, and not
//! something safe code can wipe), and its heap whatever the unlock and the
//! decryption left behind. Without masking, `exec` replaced all of that.
//!
//! So coffer writes what the supervisor needs (the variables, the `--file`
//! values, the values to mask) into an anonymous memory file (`memfd`, not
//! on any file system) and `exec`s itself as `coffer __coffer-supervise FD
//! CMD…` without the passphrase variables: same process id (signals sent to
//! coffer still reach the run), a fresh address space and environment. The
//! supervisor reads the material into zeroizing types, closes the memory
//! file, and runs [`crate::supervise::run`].
//!
//! The format is private to one binary (the supervisor is the same file,
//! `exec`'d at once) and starts with a version tag; a binary replaced in
//! between fails cleanly.

use std::ffi::OsString;

use coffer_crypto::SecretString;
use coffer_vault::{Error, Result};
use zeroize::Zeroizing;

/// The first argument that makes `coffer` the supervisor.
pub const SUPERVISE_ARG: &str = "__coffer-supervise";

/// Starts the material, with its version.
const TAG: &[u8] = b"coffer-run-handover-1\n";

/// What a supervised run needs.
pub struct Material {
    /// The command's variables.
    pub vars: Vec<(String, SecretString)>,
    /// `--file` values by variable.
    pub files: Vec<(String, SecretString)>,
    /// The values to mask.
    pub mask: Vec<SecretString>,
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    buf.extend_from_slice(bytes);
}

fn put_pairs(buf: &mut Vec<u8>, pairs: &[(String, SecretString)]) {
    buf.extend_from_slice(&(pairs.len() as u64).to_le_bytes());
    for (k, v) in pairs {
        put(buf, k.as_bytes());
        // Handing the value to the supervisor that injects it.
        put(buf, v.expose_secret().as_bytes());
    }
}

/// The material as bytes (zeroized on drop).
fn encode(m: &Material) -> Zeroizing<Vec<u8>> {
    let mut buf = Zeroizing::new(Vec::new());
    buf.extend_from_slice(TAG);
    put_pairs(&mut buf, &m.vars);
    put_pairs(&mut buf, &m.files);
    buf.extend_from_slice(&(m.mask.len() as u64).to_le_bytes());
    for v in &m.mask {
        // Handing the value to the supervisor that masks it.
        put(&mut buf, v.expose_secret().as_bytes());
    }
    buf
}

/// Reads the material back; `None` if it is not what [`encode`] wrote.
fn decode(mut b: &[u8]) -> Option<Material> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (h, t) = b.split_at(n);
        *b = t;
        Some(h)
    }
    fn count(b: &mut &[u8]) -> Option<usize> {
        let mut w = [0u8; 8];
        w.copy_from_slice(take(b, 8)?);
        usize::try_from(u64::from_le_bytes(w)).ok()
    }
    fn text(b: &mut &[u8]) -> Option<String> {
        let n = count(b)?;
        std::str::from_utf8(take(b, n)?).ok().map(str::to_string)
    }
    fn pairs(b: &mut &[u8]) -> Option<Vec<(String, SecretString)>> {
        let n = count(b)?;
        let mut out = Vec::new();
        for _ in 0..n {
            let k = text(b)?;
            out.push((k, SecretString::new(text(b)?)));
        }
        Some(out)
    }
    if take(&mut b, TAG.len())? != TAG {
        return None;
    }
    let vars = pairs(&mut b)?;
    let files = pairs(&mut b)?;
    let n = count(&mut b)?;
    let mut mask = Vec::new();
    for _ in 0..n {
        mask.push(SecretString::new(text(&mut b)?));
    }
    b.is_empty().then_some(Material { vars, files, mask })
}

fn io_err(context: &str, source: impl Into<std::io::Error>) -> Error {
    Error::Io {
        context: context.to_string(),
        source: source.into(),
    }
}

/// Writes the material to a memory file and `exec`s the supervisor; returns
/// only on failure.
#[cfg(target_os = "linux")]
pub fn exec_supervisor(command: &[OsString], m: Material) -> Result<u8> {
    use std::io::{Seek, SeekFrom, Write};
    use std::os::fd::IntoRawFd;
    use std::os::unix::process::CommandExt;

    let exe = std::env::current_exe()
        .map_err(|e| io_err("finding the coffer program to supervise the command", e))?;
    // Without close-on-exec: the supervisor inherits it.
    let fd = rustix::fs::memfd_create("coffer-run", rustix::fs::MemfdFlags::empty())
        .map_err(|e| io_err("creating a memory file for the run", e))?;
    let mut f = std::fs::File::from(fd);
    let bytes = encode(&m);
    drop(m);
    f.write_all(&bytes)
        .and_then(|()| f.seek(SeekFrom::Start(0)).map(drop))
        .map_err(|e| io_err("writing the run's memory file", e))?;
    drop(bytes);
    let raw = f.into_raw_fd();
    let err = std::process::Command::new(exe)
        .arg(SUPERVISE_ARG)
        .arg(raw.to_string())
        .args(command)
        .env_remove("COFFER_PASSPHRASE")
        .env_remove("COFFER_NEW_PASSPHRASE")
        .exec();
    let _ = nix::unistd::close(raw);
    Err(io_err("starting coffer's supervisor", err))
}

/// If this process was started as the supervisor, runs the command and
/// returns coffer's outcome; `None` for a normal start.
#[cfg(target_os = "linux")]
pub fn supervisor() -> Option<Result<u8>> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(SUPERVISE_ARG.as_ref()) {
        return None;
    }
    let bad = || {
        Error::InvalidInput(format!(
            "{SUPERVISE_ARG} is coffer run's own; use coffer run"
        ))
    };
    let Some(fd) = args
        .next()
        .and_then(|a| a.to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|&fd| fd > 2)
    else {
        return Some(Err(bad()));
    };
    let command: Vec<OsString> = args.collect();
    let mut bytes = Zeroizing::new(Vec::new());
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        match nix::unistd::read(fd, &mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                let _ = nix::unistd::close(fd);
                return Some(Err(io_err("reading the run's memory file", e)));
            }
        }
    }
    // Closed before the command starts: it does not inherit it.
    let _ = nix::unistd::close(fd);
    let Some(m) = decode(&bytes) else {
        return Some(Err(bad()));
    };
    drop(bytes);
    Some(crate::supervise::run(command, m.vars, m.files, &m.mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_material_reads_back_and_fail_anything_else_is_refused() {
        let s = |v: &str| SecretString::new(v.into());
        let m = Material {
            vars: vec![("A".into(), s("x=1\n\"é\"")), ("B".into(), s(""))],
            files: vec![("F".into(), s("-----BEGIN-----\n"))],
            mask: vec![s("secret-one"), s("secret-two")],
        };
        let bytes = encode(&m);
        let back = decode(&bytes).expect("decode");
        assert_eq!(back.vars, m.vars);
        assert_eq!(back.files, m.files);
        assert_eq!(back.mask, m.mask);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(decode(&longer).is_none());
        assert!(decode(b"coffer-run-handover-0\n").is_none());
        assert!(decode(b"").is_none());
    }
}
