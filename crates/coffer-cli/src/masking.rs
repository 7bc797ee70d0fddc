//! Masking injected values in a command's output (`coffer run`, issue 11).
//!
//! [`Masker`] holds the searchers over every value `run` injects:
//! values of 16 bytes or more (most credentials) are found by a sampled
//! 4-gram filter that looks at one window every dozen bytes or more
//! (`sampled`), shorter ones by the `aho-corasick` crate's SIMD searcher
//! (or its automaton beyond 127 of them), and one automaton over all of
//! them decides what to keep back. [`MaskStream`] runs them over one
//! output stream as it arrives and replaces each value with [`MASK`].
//!
//! Streaming: a value may arrive split across two reads (a program that
//! writes it in two `write` calls, a pipe that returns short reads). The
//! stream keeps back only the bytes that may still become a value: the
//! longest tail of what it has read that is a *proper prefix* of a value
//! (at most longest value − 1 bytes). Everything before it is written at
//! once, so output is not delayed: a line that holds no value, or ends in a
//! byte no value starts with, goes out in the read that brought it. When
//! several values could match at one place, the longest wins (leftmost
//! longest, as a search of the whole stream at once would decide); a
//! complete value that a longer one starts with is kept back until the next
//! bytes say which it is (or the stream ends).
//!
//! Values shorter than [`MIN_MASKED_BYTES`] are not masked: a short value
//! (`5432`, `true`, `admin`, `dev`) occurs by chance in ordinary output,
//! so masking it would garble that output, and every mask would tell the
//! reader the value it hides (seeing each `true` replaced says the value is
//! `true`).
//!
//! Memory: the values are read from the caller's zeroizing types and the
//! automaton is built from them; the stream's buffer (which holds the
//! command's output, values included, and the carry) is a
//! [`Zeroizing`] buffer, wiped when dropped and when the stream ends. The
//! sampled filter's tables (4-byte pieces of the long values) are wiped
//! when dropped. The automata keep their own copy of every value, encoded
//! into transition tables that `aho-corasick` does not wipe when dropped
//! (as the leak scan notes, `coffer_vault::scan`), and so does the SIMD
//! searcher: all live as long as the command runs.
//! Nothing here logs a value.
//!
//! ```ignore
//! let m = Arc::new(Masker::new([b"sk_live_123".as_slice()], false)?.expect("a value"));
//! let mut s = MaskStream::new(m);
//! let mut out = Vec::new();
//! s.push(b"key=sk_li", &mut out)?;
//! s.push(b"ve_123\n", &mut out)?;
//! assert_eq!(out, b"key=<concealed by coffer>\n");
//! ```

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, Input, MatchKind};
use coffer_vault::{Error, Result};
use zeroize::{Zeroize, Zeroizing};

/// What a masked value is replaced with.
pub const MASK: &[u8] = b"<concealed by coffer>";

/// Values shorter than this many bytes are not masked (see the module
/// documentation).
pub const MIN_MASKED_BYTES: usize = 6;

/// How much a stream reads at once (and the size coffer asks for the
/// pipes it reads).
pub const CHUNK: usize = 1024 * 1024;

/// Patterns up to this many bytes in all get a DFA (fast, a few hundred
/// bytes of tables per pattern byte at worst); beyond it the contiguous NFA,
/// whose size stays proportional to the patterns (many long values such as
/// PEM keys would make a DFA of hundreds of megabytes).
const DFA_MAX_PATTERN_BYTES: usize = 64 * 1024;

mod sampled;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod splice;

use sampled::{Sampled, MIN_LONG_BYTES};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use splice::Splicer;

/// The searchers over every value to mask. Shared by the streams of one
/// run.
pub struct Masker {
    /// Every value, for the anchored walks that decide what to keep back.
    ac: Box<dyn Automaton + Send + Sync>,
    /// Values of [`MIN_LONG_BYTES`] or more: the sampled 4-gram searcher,
    /// which looks at one window every dozen bytes or more.
    long: Option<Sampled>,
    /// The shorter values: the SIMD searcher (Teddy) for up to 127 of
    /// them, several times faster than walking an automaton on every byte…
    packed: Option<aho_corasick::packed::Searcher>,
    /// …and an automaton beyond that.
    short_ac: Option<Box<dyn Automaton + Send + Sync>>,
    max_len: usize,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("patterns", &self.ac.patterns_len())
            .finish()
    }
}

impl Masker {
    /// The automaton over `values` (each at least [`MIN_MASKED_BYTES`]
    /// long; shorter ones are skipped, duplicates merged). With `crlf`, a
    /// value holding a line feed is also matched with each `\n` written
    /// `\r\n`, as a terminal's line discipline (`ONLCR`) outputs it. `None`
    /// when there is nothing to mask.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a [u8]>, crlf: bool) -> Result<Option<Self>> {
        let mut patterns: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut add = |p: Zeroizing<Vec<u8>>| {
            if !patterns.iter().any(|q| q[..] == p[..]) {
                patterns.push(p);
            }
        };
        for v in values {
            if v.len() < MIN_MASKED_BYTES {
                continue;
            }
            add(Zeroizing::new(v.to_vec()));
            if crlf && v.contains(&b'\n') {
                let mut p = Zeroizing::new(Vec::with_capacity(v.len() * 2));
                for &b in v {
                    if b == b'\n' {
                        p.push(b'\r');
                    }
                    p.push(b);
                }
                add(p);
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let max_len = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        let err = |e: aho_corasick::BuildError| {
            Error::InvalidInput(format!("cannot build the output mask: {e}"))
        };
        // Anchored walks tell whether a tail of the output may still become
        // a value: over every value.
        let ac: Box<dyn Automaton + Send + Sync> = Box::new(
            aho_corasick::nfa::contiguous::NFA::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|p| &p[..]))
                .map_err(err)?,
        );
        let (long, short): (Vec<_>, Vec<_>) = patterns
            .into_iter()
            .partition(|p| p.len() >= MIN_LONG_BYTES);
        let packed = if short.is_empty() {
            None
        } else {
            aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
                // Its default refuses more than 64 values, for fear of many
                // false candidates; measured on log output with 100 values
                // it is still several times faster than the automaton
                // (docs/benchmarks.md, "Masked output").
                .heuristic_pattern_limits(false)
                .builder()
                .extend(short.iter().map(|p| &p[..]))
                .build()
        };
        let short_ac: Option<Box<dyn Automaton + Send + Sync>> =
            if packed.is_some() || short.is_empty() {
                None
            } else if short.iter().map(|p| p.len()).sum::<usize>() <= DFA_MAX_PATTERN_BYTES {
                Some(Box::new(
                    aho_corasick::dfa::DFA::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(short.iter().map(|p| &p[..]))
                        .map_err(err)?,
                ))
            } else {
                Some(Box::new(
                    aho_corasick::nfa::contiguous::NFA::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(short.iter().map(|p| &p[..]))
                        .map_err(err)?,
                ))
            };
        Ok(Some(Self {
            ac,
            long: Sampled::new(long),
            packed,
            short_ac,
            max_len,
        }))
    }

    /// The length of the longest value (the carry stays below it).
    #[cfg(test)]
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The leftmost-longest short value in `data[from..]`.
    fn find_short(&self, data: &[u8], from: usize) -> Option<(usize, usize)> {
        let found = match (&self.packed, &self.short_ac) {
            (Some(p), _) => p.find_in(data, aho_corasick::Span::from(from..data.len())),
            // Failing is impossible for an unanchored leftmost search on an
            // automaton built for it; treat it as no match rather than panic.
            (None, Some(ac)) => ac.try_find(&Input::new(data).range(from..)).ok().flatten(),
            (None, None) => None,
        };
        found.map(|m| (m.start(), m.end()))
    }

    /// Whether `tail` is a proper prefix of some value: a value may start
    /// there and end in bytes not read yet.
    fn is_proper_prefix(&self, tail: &[u8]) -> bool {
        let Ok(mut sid) = self.ac.start_state(Anchored::Yes) else {
            return false;
        };
        for &b in tail {
            sid = self.ac.next_state(Anchored::Yes, sid, b);
            if self.ac.is_dead(sid) {
                return false;
            }
        }
        // Some value goes on from here.
        (0..=255u8).any(|b| !self.ac.is_dead(self.ac.next_state(Anchored::Yes, sid, b)))
    }

    /// Where the kept-back tail of `data` starts: the first position at or
    /// after `from` whose rest is a proper prefix of a value, or
    /// `data.len()`.
    fn hold_point(&self, data: &[u8], from: usize) -> usize {
        let start = from.max(data.len().saturating_sub(self.max_len.saturating_sub(1)));
        (start..data.len())
            .find(|&p| self.is_proper_prefix(&data[p..]))
            .unwrap_or(data.len())
    }
}

/// Masks one output stream. Its buffer holds the carry (kept-back bytes
/// that may be the start of a value) followed by the latest read.
pub struct MaskStream {
    m: Arc<Masker>,
    /// Wiped on drop: the command's output, values included.
    buf: WipedBuf,
    /// Bytes of `buf` carried over from the previous read.
    carry: usize,
    /// The parts of the latest data written as they are, when it held
    /// values (masks go between them).
    kept: Vec<std::ops::Range<usize>>,
    /// Where the long values occur in the latest data.
    long: Vec<(usize, usize)>,
}

impl std::fmt::Debug for MaskStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskStream")
            .field("carry", &self.carry)
            .finish()
    }
}

impl MaskStream {
    /// A stream with an empty carry.
    pub fn new(m: Arc<Masker>) -> Self {
        Self::with_chunk(m, CHUNK)
    }

    /// A stream reading `chunk` bytes at most at once (tests use small
    /// ones: input longer than a chunk is masked in several rounds).
    fn with_chunk(m: Arc<Masker>, chunk: usize) -> Self {
        let keep = m.max_len.saturating_sub(1);
        Self {
            m,
            buf: WipedBuf::new(keep + chunk),
            carry: 0,
            kept: Vec::new(),
            long: Vec::new(),
        }
    }

    /// Reads once from `r` (after the carry) and writes what can be written
    /// to `w`. Returns the number of bytes read (0 at end of input; the
    /// caller then calls [`MaskStream::finish`]).
    pub fn read_from(&mut self, r: &mut impl Read, w: &mut impl Write) -> io::Result<usize> {
        let n = loop {
            let end = self.buf.len();
            match r.read(self.buf.writable(self.carry..end)) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res?,
            }
        };
        if n > 0 {
            self.process(self.carry + n, w, false)?;
        }
        Ok(n)
    }

    /// Masks `input` as if it had been read, writing to `w`.
    #[cfg(test)]
    pub fn push(&mut self, mut input: &[u8], w: &mut impl Write) -> io::Result<()> {
        while !input.is_empty() {
            let room = self.buf.len() - self.carry;
            let take = room.min(input.len());
            self.buf
                .writable(self.carry..self.carry + take)
                .copy_from_slice(&input[..take]);
            input = &input[take..];
            self.process(self.carry + take, w, false)?;
        }
        Ok(())
    }

    /// The input ended: the carry is masked with nothing kept back (it
    /// may end in a whole value that a longer one starts with) and
    /// written; the buffer is wiped.
    pub fn finish(&mut self, w: &mut impl Write) -> io::Result<()> {
        let res = if self.carry > 0 {
            self.process(self.carry, w, true)
        } else {
            Ok(())
        };
        self.wipe();
        res
    }

    /// Wipes the buffers (the carry included); the stream stays usable.
    pub fn wipe(&mut self) {
        self.buf.wipe();
        self.carry = 0;
    }

    /// Masks `buf[..len]`, writes all but the new carry, and moves the
    /// carry to the front. At the `end` of the input nothing is carried.
    fn process(&mut self, len: usize, w: &mut impl Write, end: bool) -> io::Result<()> {
        let hold = self.plan(len, end);
        let data = &self.buf[..len];
        if let [only] = &self.kept[..] {
            if !only.is_empty() {
                w.write_all(&data[only.clone()])?;
            }
        } else {
            // Written from the buffer with a mask between the kept parts
            // (one `writev`), never assembled in a second copy.
            let mut parts = Vec::with_capacity(self.kept.len() * 2);
            for (i, r) in self.kept.iter().enumerate() {
                if i > 0 {
                    parts.push(IoSlice::new(MASK));
                }
                parts.push(IoSlice::new(&data[r.clone()]));
            }
            write_all_parts(w, &mut parts)?;
        }
        w.flush()?;
        self.keep_from(hold, len);
        Ok(())
    }

    /// Decides what of `buf[..len]` goes out: fills `kept` with the parts
    /// written as they are (a mask goes between each two), and returns
    /// where the new carry starts. At the `end` of the input nothing is
    /// carried.
    fn plan(&mut self, len: usize, end: bool) -> usize {
        let data = &self.buf[..len];
        let m = &*self.m;
        self.long.clear();
        if let Some(s) = &m.long {
            s.find_all(data, &mut self.long);
        }
        let mut search = Search {
            m,
            data,
            long: &self.long,
            next_long: 0,
            short: None,
        };
        let hold_from = |from| if end { len } else { m.hold_point(data, from) };
        let mut hold = hold_from(0);
        let mut pos = 0;
        self.kept.clear();
        while pos < hold {
            let Some((start, end)) = search.next_from(pos) else {
                break;
            };
            if start >= hold {
                break;
            }
            self.kept.push(pos..start);
            pos = end;
            if pos > hold {
                hold = hold_from(pos);
            }
        }
        self.kept.push(pos..hold);
        hold
    }

    /// Moves `buf[hold..len]` to the front as the new carry.
    fn keep_from(&mut self, hold: usize, len: usize) {
        self.buf.writable(0..len).copy_within(hold..len, 0);
        self.carry = len - hold;
        // The bytes after the carry are stale output; the next read
        // overwrites them and the drop wipes them.
    }
}

/// A stream's buffer, wiped on drop as far as it was ever written to.
///
/// It is 1 MiB (a pipe's worth) so a fast writer is read in few calls, but
/// a short run writes a few bytes: wiping the whole of it (as `Zeroizing`
/// does) touched 256 pages that were never used, per stream, in every
/// masked `coffer run`. Bytes past the high-water mark were never written
/// (they are still the zeroed allocation), so they hold nothing to wipe.
/// Every write goes through [`WipedBuf::writable`], which moves the mark.
struct WipedBuf {
    data: Vec<u8>,
    /// Every byte at or past this index is still zero.
    dirty: usize,
}

impl WipedBuf {
    fn new(len: usize) -> Self {
        WipedBuf {
            data: vec![0u8; len],
            dirty: 0,
        }
    }

    /// `range` of the buffer, to be written to.
    fn writable(&mut self, range: std::ops::Range<usize>) -> &mut [u8] {
        self.dirty = self.dirty.max(range.end);
        &mut self.data[range]
    }

    /// Zeroes every byte that was written.
    fn wipe(&mut self) {
        self.data[..self.dirty].zeroize();
        self.dirty = 0;
    }
}

impl std::ops::Deref for WipedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for WipedBuf {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Writes every part, in order, as few `writev` calls as the writer takes.
fn write_all_parts(w: &mut impl Write, mut parts: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !parts.is_empty() {
        match w.write_vectored(parts) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut parts, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The leftmost-longest value from a position on, over both searchers,
/// in one read's data: the long values' occurrences found once, the
/// short values' next one remembered until it is passed.
struct Search<'a> {
    m: &'a Masker,
    data: &'a [u8],
    long: &'a [(usize, usize)],
    next_long: usize,
    /// The short values' next occurrence from where it was last asked
    /// (`Some(None)`: none up to the end).
    short: Option<Option<(usize, usize)>>,
}

impl Search<'_> {
    fn next_from(&mut self, from: usize) -> Option<(usize, usize)> {
        while self.long.get(self.next_long).is_some_and(|l| l.0 < from) {
            self.next_long += 1;
        }
        let long = self.long.get(self.next_long).copied();
        let short = match self.short {
            Some(found) if found.is_none_or(|s| s.0 >= from) => found,
            _ => {
                let found = self.m.find_short(self.data, from);
                self.short = Some(found);
                found
            }
        };
        match (short, long) {
            // At one start, the longer wins (a long value is longer than
            // every short one).
            (Some(s), Some(l)) => Some(if s.0 < l.0 { s } else { l }),
            (s, l) => s.or(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn masker(values: &[&str]) -> Arc<Masker> {
        Arc::new(
            Masker::new(values.iter().map(|v| v.as_bytes()), false)
                .expect("build")
                .expect("values"),
        )
    }

    pub(super) fn mask_whole(m: &Arc<Masker>, input: &[u8]) -> Vec<u8> {
        let mut s = MaskStream::new(m.clone());
        let mut out = Vec::new();
        s.push(input, &mut out).expect("push");
        s.finish(&mut out).expect("finish");
        out
    }

    /// Output after each push, so a test can see what was held back.
    fn mask_pieces(m: &Arc<Masker>, pieces: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut s = MaskStream::new(m.clone());
        let mut all = Vec::new();
        let mut each = Vec::new();
        for p in pieces {
            let mut out = Vec::new();
            s.push(p, &mut out).expect("push");
            all.extend_from_slice(&out);
            each.push(out);
        }
        s.finish(&mut all).expect("finish");
        (each, all)
    }

    #[test]
    fn masks_every_value_and_leaves_the_rest() {
        let m = masker(&["sk_live_0123", "hunter2hunter2"]);
        assert_eq!(
            mask_whole(&m, b"a sk_live_0123 b hunter2hunter2\nsk_live_0123"),
            b"a <concealed by coffer> b <concealed by coffer>\n<concealed by coffer>"
        );
        assert_eq!(mask_whole(&m, b"nothing here"), b"nothing here");
    }

    #[test]
    fn short_values_are_not_masked() {
        assert!(Masker::new([b"12345".as_slice()], false)
            .expect("build")
            .is_none());
        let m = masker(&["abcde", "abcdef"]);
        assert_eq!(
            mask_whole(&m, b"abcde abcdef"),
            b"abcde <concealed by coffer>"
        );
    }

    #[test]
    fn a_value_split_across_reads_is_masked_and_nothing_else_waits() {
        let m = masker(&["secret-value-1"]);
        let (each, all) = mask_pieces(&m, &[b"line one\nkey=secret-", b"value-1 done\n"]);
        assert_eq!(all, b"line one\nkey=<concealed by coffer> done\n");
        // Only the part that may start the value was held back.
        assert_eq!(each[0], b"line one\nkey=");
        // A read ending in a byte no value starts with is written at once.
        let (each, _) = mask_pieces(&m, &[b"plain line\n"]);
        assert_eq!(each[0], b"plain line\n");
    }

    #[test]
    fn fail_a_prefix_that_does_not_become_a_value_is_written_unchanged() {
        let m = masker(&["secret-value-1"]);
        let (each, all) = mask_pieces(&m, &[b"x secret-val", b"ley\n"]);
        assert_eq!(each[0], b"x ");
        assert_eq!(all, b"x secret-valley\n");
        // At the end of the stream the carry is written as it is.
        let (_, all) = mask_pieces(&m, &[b"x secret-val"]);
        assert_eq!(all, b"x secret-val");
    }

    #[test]
    fn a_value_another_starts_with_waits_for_the_next_bytes() {
        let m = masker(&["abcdefgh", "abcdefghijkl"]);
        let (each, all) = mask_pieces(&m, &[b"<abcdefgh", b"ijkl>"]);
        assert_eq!(each[0], b"<");
        assert_eq!(all, b"<<concealed by coffer>>");
        let (_, all) = mask_pieces(&m, &[b"<abcdefgh", b"ij>"]);
        assert_eq!(all, b"<<concealed by coffer>ij>");
        // A value complete at the end of a read that no longer value starts
        // with is written at once.
        let m = masker(&["abcdefgh"]);
        let (each, _) = mask_pieces(&m, &[b"<abcdefgh"]);
        assert_eq!(each[0], b"<<concealed by coffer>");
    }

    #[test]
    fn crlf_variant_masks_a_multi_line_value_as_a_terminal_writes_it() {
        let v = b"-----BEGIN KEY-----\nAAAA\n-----END KEY-----".as_slice();
        let m = Arc::new(Masker::new([v], true).expect("b").expect("v"));
        assert_eq!(
            mask_whole(
                &m,
                b"x\r\n-----BEGIN KEY-----\r\nAAAA\r\n-----END KEY-----\r\n"
            ),
            b"x\r\n<concealed by coffer>\r\n"
        );
        assert_eq!(
            mask_whole(&m, b"-----BEGIN KEY-----\nAAAA\n-----END KEY-----"),
            MASK
        );
    }

    /// Every way of cutting the input gives the output of masking it whole,
    /// and the carry never exceeds the longest value − 1.
    #[test]
    fn any_split_gives_the_same_output_as_the_whole_stream() {
        agrees_with_the_whole_stream_search(
            &[
                "abcabcab",
                "bcabcabx",
                "cabxcabx",
                "xxxxxxxx",
                "abcabcabcabc",
            ],
            80,
        );
    }

    /// The same with long values (the sampled searcher), alone and mixed
    /// with short ones, whose occurrences overlap.
    #[test]
    fn long_values_any_split_gives_the_same_output_as_the_whole_stream() {
        let long = [
            "abcabcabcabcabcab",
            "bcabcabxbcabcabxcab",
            "xxxxxxxxxxxxxxxxxxxxxxxx",
            "abcabcabcabcabcabcabcabcabcab",
            "cabxcabxcabxcabx",
        ];
        agrees_with_the_whole_stream_search(&long, 160);
        let mut mixed = long.to_vec();
        mixed.extend(["abcabcab", "xxxxxxxx", "bcabcabx", "cabxca"]);
        agrees_with_the_whole_stream_search(&mixed, 160);
    }

    /// Pseudo-random inputs made of whole values, their beginnings and
    /// ends, and random letters (dense in partial and overlapping
    /// matches), each with a random cut into up to five pieces.
    pub(super) fn sample_inputs(
        values: &[&str],
        rounds: usize,
        max_len: u64,
    ) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..rounds)
            .map(|_| {
                let mut input: Vec<u8> = Vec::new();
                while (input.len() as u64) < next() % max_len {
                    let v = values[(next() % values.len() as u64) as usize].as_bytes();
                    let cut = (next() as usize) % v.len();
                    match next() % 4 {
                        0 => input.extend_from_slice(v),
                        1 => input.extend_from_slice(&v[..cut]),
                        2 => input.extend_from_slice(&v[cut..]),
                        _ => input.extend((0..next() % 4).map(|_| b"abcx"[(next() % 4) as usize])),
                    }
                }
                let mut cuts: Vec<usize> = (0..4)
                    .map(|_| (next() as usize) % (input.len() + 1))
                    .collect();
                cuts.sort_unstable();
                let mut pieces = Vec::new();
                let mut at = 0;
                for c in cuts {
                    pieces.push(input[at..c].to_vec());
                    at = c;
                }
                pieces.push(input[at..].to_vec());
                (input, pieces)
            })
            .collect()
    }

    /// Masked whole, and cut into pieces, the output is the crate's own
    /// leftmost-longest replacement over the whole input.
    fn agrees_with_the_whole_stream_search(values: &[&str], max_len: u64) {
        let m = masker(values);
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values)
            .expect("ac");
        let masks = vec![MASK; values.len()];
        for (input, pieces) in sample_inputs(values, 3000, max_len) {
            let expect = ac.replace_all_bytes(&input, &masks);
            let mut s = MaskStream::with_chunk(m.clone(), 4096);
            let mut whole = Vec::new();
            s.push(&input, &mut whole).expect("push");
            s.finish(&mut whole).expect("finish");
            assert_eq!(whole, expect, "{:?}", String::from_utf8_lossy(&input));
            // A small buffer: a piece longer than it is masked in rounds.
            let mut s = MaskStream::with_chunk(m.clone(), 24);
            let mut out = Vec::new();
            for p in &pieces {
                s.push(p, &mut out).expect("push");
                assert!(s.carry < m.max_len(), "carry {}", s.carry);
            }
            s.finish(&mut out).expect("finish");
            assert_eq!(out, expect, "{:?}", String::from_utf8_lossy(&input));
        }
    }

    /// Beyond 127 values the automaton searches (no SIMD searcher): same
    /// answers, whatever the split.
    #[test]
    fn many_values_search_with_the_automaton_and_give_the_same_answers() {
        let values: Vec<String> = (0..200).map(|i| format!("value-{i:04}-x")).collect();
        let m = masker(&values.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(m.packed.is_none());
        let input = b"a value-0007-x b value-0199-xvalue-0100-";
        let want = b"a <concealed by coffer> b <concealed by coffer>value-0100-";
        assert_eq!(mask_whole(&m, input), want);
        for cut in 0..input.len() {
            let (_, all) = mask_pieces(&m, &[&input[..cut], &input[cut..]]);
            assert_eq!(all, want, "cut at {cut}");
        }
        // Long values too (the contiguous NFA rather than a DFA).
        let long: Vec<String> = values.iter().map(|v| v.repeat(30)).collect();
        let m = masker(&long.iter().map(String::as_str).collect::<Vec<_>>());
        let input = format!("<{}>{}", long[3], &long[4][..300]);
        let want = format!("<{MASK_STR}>{}", &long[4][..300]);
        for cut in [0, 1, 100, 301, 400, input.len()] {
            let (_, all) = mask_pieces(&m, &[&input.as_bytes()[..cut], &input.as_bytes()[cut..]]);
            assert_eq!(String::from_utf8_lossy(&all), want, "cut at {cut}");
        }
    }

    const MASK_STR: &str = "<concealed by coffer>";

    /// A stream ending in a whole value that a longer value starts with:
    /// it was kept back for the next bytes, and is masked at the end (it
    /// was written as it was).
    #[test]
    fn fail_a_value_kept_back_at_the_end_of_the_stream_is_masked() {
        let m = masker(&["abcdefgh", "abcdefghijkl"]);
        let (each, all) = mask_pieces(&m, &[b"x abcdefgh"]);
        assert_eq!(each[0], b"x ");
        assert_eq!(all, b"x <concealed by coffer>");
        let m = masker(&["abcdefghijklmnopq", "abcdefghijklmnopqrstu"]);
        assert_eq!(mask_whole(&m, b"abcdefghijklmnopq"), MASK);
    }

    /// A writer that takes at most 3 bytes a call (a full pipe, a slow
    /// terminal): every part still arrives, in order.
    #[test]
    fn short_writes_lose_and_reorder_nothing() {
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let n = b.len().min(3);
                self.0.extend_from_slice(&b[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let m = masker(&["secret-value-1", "another-secret-value-22"]);
        let input = b"a secret-value-1 b another-secret-value-22 c secret-value-1";
        let mut s = MaskStream::new(m.clone());
        let mut w = Trickle(Vec::new());
        s.push(input, &mut w).expect("push");
        s.finish(&mut w).expect("finish");
        assert_eq!(w.0, mask_whole(&m, input));
        assert_eq!(
            String::from_utf8_lossy(&w.0),
            format!("a {MASK_STR} b {MASK_STR} c {MASK_STR}")
        );
    }

    #[test]
    fn finish_wipes_the_carry() {
        let m = masker(&["secret-value-1"]);
        let mut s = MaskStream::new(m);
        let mut out = Vec::new();
        s.push(b"secret-val", &mut out).expect("push");
        assert_eq!(s.carry, 10);
        s.finish(&mut out).expect("finish");
        assert_eq!(s.carry, 0);
        assert!(s.buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn the_buffer_is_wiped_as_far_as_it_was_written() {
        let m = masker(&["secret-value-1"]);
        let mut s = MaskStream::with_chunk(m, 64);
        let mut out = Vec::new();
        s.push(&[b'x'; 100], &mut out).expect("push");
        s.push(b"secret-val", &mut out).expect("push");
        assert!(s.buf.dirty > 0 && s.buf.dirty <= s.buf.len());
        assert!(s.buf[s.buf.dirty..].iter().all(|&b| b == 0));
        s.buf.wipe();
        assert!(s.buf.iter().all(|&b| b == 0), "every written byte wiped");
        // Writing past the mark through the one door moves it.
        s.buf.writable(70..72).copy_from_slice(b"ab");
        assert_eq!(s.buf.dirty, 72);
        s.buf.wipe();
        assert!(s.buf.iter().all(|&b| b == 0));
    }

    /// Attack review 15: the stream read through `read_from` (the path
    /// that writes into the buffer from the command's pipe) in reads of
    /// 1 to 40 bytes, values that are prefixes of others, long and short,
    /// split at every chunk end: the output is the whole-stream search's,
    /// and no byte past the high-water mark was ever written (it is the
    /// part the drop does not wipe), so the wipe leaves nothing behind.
    #[test]
    fn attack_read_from_in_odd_reads_masks_everything_and_stays_under_the_mark() {
        struct Trickle<'a> {
            data: &'a [u8],
            sizes: std::iter::Cycle<std::slice::Iter<'a, usize>>,
        }
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = (*self.sizes.next().unwrap_or(&1))
                    .min(out.len())
                    .min(self.data.len());
                out[..n].copy_from_slice(&self.data[..n]);
                self.data = &self.data[n..];
                Ok(n)
            }
        }
        let values = [
            "secret-v",
            "secret-value",
            "secret-value-1234567890",
            "secret-value-1234567890-longer",
            "zzzzzzzzzzzzzzzzzz",
        ];
        let m = masker(&values);
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values)
            .expect("ac");
        let masks = vec![MASK; values.len()];
        let sizes = [1usize, 7, 40, 3, 23, 2, 31];
        for (round, (input, _)) in sample_inputs(&values, 400, 300).into_iter().enumerate() {
            let expect = ac.replace_all_bytes(&input, &masks);
            let chunk = 8 + round % 40;
            let mut s = MaskStream::with_chunk(m.clone(), chunk);
            let mut r = Trickle {
                data: &input,
                sizes: sizes[round % sizes.len()..].iter().cycle(),
            };
            let mut out = Vec::new();
            while s.read_from(&mut r, &mut out).expect("read") > 0 {
                assert!(
                    s.buf[s.buf.dirty..].iter().all(|&b| b == 0),
                    "a byte past the mark was written"
                );
            }
            assert!(s.buf[s.buf.dirty..].iter().all(|&b| b == 0));
            s.finish(&mut out).expect("finish");
            assert_eq!(out, expect, "{:?}", String::from_utf8_lossy(&input));
            assert!(s.buf.iter().all(|&b| b == 0), "finish's wipe left a byte");
        }
    }
}
