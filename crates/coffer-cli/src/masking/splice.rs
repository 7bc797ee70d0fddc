//! Masking from one pipe into a pipe or a file without copying the clean
//! output through coffer twice (Linux).
//!
//! Read and written, every byte of the command's output crosses into
//! coffer and out again. Here `tee` duplicates what the command wrote
//! into a private look-ahead pipe without taking it (the kernel shares the
//! pages), coffer reads that copy and decides, and then the clean parts
//! are *spliced* from the command's pipe to the output (the pages move,
//! nothing is copied) while masks are written and the values themselves
//! are read away. The bytes that go out are the ones looked at: only
//! coffer reads the command's pipe, and a pipe hands bytes out in order.
//!
//! What it is not: a boundary against the command itself. A command that
//! `vmsplice`s its own memory into the pipe could change those bytes after
//! coffer looked; such a command holds the values in its environment
//! anyway, and masking is there for accidents (a value printed into a
//! log), as everywhere else (docs/security.md).
//!
//! The output must take spliced pages: a pipe, or a regular file not
//! opened for appending. A terminal, a socket or an appending file use
//! [`MaskStream::read_from`] instead ([`Splicer::for_output`] says which).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileTypeExt;

use rustix::pipe::{splice, tee, SpliceFlags};
use zeroize::Zeroizing;

use super::{MaskStream, CHUNK, MASK};

/// The look-ahead pipe and the buffer values are read away into.
pub struct Splicer {
    look_r: File,
    look_w: OwnedFd,
    /// How much the look-ahead pipe holds (the most one `tee` takes).
    room: usize,
    /// Values read away from the command's pipe (wiped on drop).
    discard: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Splicer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Splicer").field("room", &self.room).finish()
    }
}

impl Splicer {
    /// A splicer for writing to `out`, when `out` takes spliced pages (a
    /// pipe, or a regular file not opened for appending); `None` otherwise,
    /// or when no look-ahead pipe can be made.
    pub fn for_output(out: &File) -> Option<Self> {
        let kind = out.metadata().ok()?.file_type();
        let appending = rustix::fs::fcntl_getfl(out)
            .map(|f| f.contains(rustix::fs::OFlags::APPEND))
            .unwrap_or(true);
        if !(kind.is_fifo() || (kind.is_file() && !appending)) {
            return None;
        }
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).ok()?;
        let room = rustix::pipe::fcntl_setpipe_size(&w, CHUNK)
            .or_else(|_| rustix::pipe::fcntl_getpipe_size(&w))
            .ok()?;
        Some(Self {
            look_r: File::from(r),
            look_w: w,
            room,
            discard: Zeroizing::new(vec![0u8; 16 * 1024]),
        })
    }

    /// Moves exactly `len` bytes from `src` to `dst`.
    fn pass(src: &File, dst: &File, mut len: usize) -> io::Result<()> {
        while len > 0 {
            match splice(src, None, dst, None, len, SpliceFlags::empty()) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => len -= n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Takes exactly `len` bytes out of `src` (bytes coffer already holds).
    fn take(&mut self, mut src: &File, mut len: usize) -> io::Result<()> {
        while len > 0 {
            let n = len.min(self.discard.len());
            src.read_exact(&mut self.discard[..n])?;
            len -= n;
        }
        Ok(())
    }
}

impl MaskStream {
    /// Like [`MaskStream::read_from`], from a pipe `src` to `dst` through
    /// `sp`: what the command wrote is looked at in a copy, then the clean
    /// parts are spliced to `dst`. Returns the number of new bytes (0 at
    /// the end of input; the caller then calls [`MaskStream::finish`]).
    pub fn splice_from(
        &mut self,
        src: &File,
        dst: &mut File,
        sp: &mut Splicer,
    ) -> io::Result<usize> {
        let old = self.carry;
        let room = (self.buf.len() - old).min(sp.room);
        let n = loop {
            match tee(src, &sp.look_w, room, SpliceFlags::empty()) {
                Err(rustix::io::Errno::INTR) => {}
                res => break res?,
            }
        };
        if n == 0 {
            return Ok(0);
        }
        sp.look_r.read_exact(self.buf.writable(old..old + n))?;
        let len = old + n;
        let hold = self.plan(len, false);
        // The command's pipe still holds buf[old..len], in order: each
        // part is passed on or taken away as its turn comes; what is
        // before `old` (the carry) was taken before and is written.
        let beyond = |r: std::ops::Range<usize>| r.start.max(old)..r.end.max(old);
        for (i, r) in self.kept.iter().enumerate() {
            if i > 0 {
                let value = self.kept[i - 1].end..r.start;
                dst.write_all(MASK)?;
                sp.take(src, beyond(value).len())?;
            }
            if r.start < old {
                dst.write_all(&self.buf[r.start..r.end.min(old)])?;
            }
            Splicer::pass(src, dst, beyond(r.clone()).len())?;
        }
        // The new carry: coffer has it, the pipe gives it up.
        sp.take(src, beyond(hold..len).len())?;
        dst.flush()?;
        self.keep_from(hold, len);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masking::tests::{mask_whole, masker, sample_inputs};
    use std::sync::Arc;

    fn pipe() -> (File, File) {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).expect("pipe");
        (File::from(r), File::from(w))
    }

    /// Feeds `pieces` through a real pipe (a writer thread, one `write`
    /// each), masks by splicing into `dst`, and returns after the end.
    fn splice_through(
        m: &Arc<super::super::Masker>,
        pieces: Vec<Vec<u8>>,
        mut dst: File,
        chunk: usize,
    ) {
        let (src, mut w) = pipe();
        let writer = std::thread::spawn(move || {
            for p in pieces {
                w.write_all(&p).expect("write");
            }
        });
        let mut sp = Splicer::for_output(&dst).expect("spliceable");
        let mut s = MaskStream::with_chunk(m.clone(), chunk);
        while s.splice_from(&src, &mut dst, &mut sp).expect("splice") > 0 {}
        s.finish(&mut dst).expect("finish");
        writer.join().expect("writer");
    }

    /// Into a pipe and into a file: the output is masking the whole input
    /// at once, whatever the pieces the command wrote and the buffer size.
    #[test]
    fn splicing_gives_the_output_of_masking_the_whole_input() {
        let values = [
            "abcabcabcabcabcab",
            "bcabcabxbcabcabxcab",
            "xxxxxxxxxxxxxxxxxxxxxxxx",
            "abcabcab",
            "cabxca",
        ];
        let m = masker(&values);
        for (i, (input, pieces)) in sample_inputs(&values, 400, 200).into_iter().enumerate() {
            let want = mask_whole(&m, &input);
            let chunk = [24, 100, 4096][i % 3];
            // Into a pipe, read on another thread.
            let (mut r, w) = pipe();
            let reader = std::thread::spawn(move || {
                let mut out = Vec::new();
                r.read_to_end(&mut out).expect("read");
                out
            });
            splice_through(&m, pieces.clone(), w, chunk);
            assert_eq!(reader.join().expect("reader"), want, "pipe, chunk {chunk}");
            // Into a file.
            let mut f = tempfile::tempfile().expect("file");
            splice_through(&m, pieces, f.try_clone().expect("dup"), chunk);
            let mut out = Vec::new();
            use std::io::Seek;
            f.rewind().expect("rewind");
            f.read_to_end(&mut out).expect("read");
            assert_eq!(out, want, "file, chunk {chunk}");
        }
    }

    #[test]
    fn a_terminal_or_an_appending_file_is_not_spliced_into() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("log");
        let appending = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open");
        assert!(Splicer::for_output(&appending).is_none());
        let plain = File::create(&path).expect("create");
        assert!(Splicer::for_output(&plain).is_some());
        let (_, w) = pipe();
        assert!(Splicer::for_output(&w).is_some());
        if let Ok(null) = File::options().write(true).open("/dev/null") {
            assert!(Splicer::for_output(&null).is_none(), "a device");
        }
    }
}
