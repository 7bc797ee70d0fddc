//! Finding the vault's own values where they must not be (issue 12):
//! files, the git index, a repository's history.
//!
//! Pattern scanners guess from shapes; Coffer knows the values. A scan
//! decrypts every value the user can read ([`crate::Vault::scan_values`],
//! logged as a `scan` read per environment), adds the common encodings of
//! each ([`Encoding`]), and builds **one** multi-pattern automaton
//! ([`Matcher`], the `aho-corasick` crate) over all of them, searched once
//! per file. Every pattern is at least 8 bytes, so a prefilter first tests
//! each 8-byte window of the text against a bitmap of the patterns' first
//! 8 bytes (one load, multiply and bit test per byte); the automaton runs,
//! anchored, only where the bit is set (about 1% of positions), and reports
//! the longest pattern starting there.
//!
//! Which values count: every version of every live credential the user can
//! read, current or not. The vault records when a value was replaced in
//! the vault, not when the provider stopped accepting it: a rotation in
//! Coffer does not revoke the old key at Stripe or AWS, and providers keep
//! old keys alive on purpose (grace periods, keys never deactivated). So an
//! old version counts until someone deletes the credential; findings say
//! whether the value found is the current one (`--current-only` narrows).
//! Deleted credentials count too (deleting one in the vault revokes
//! nothing at the provider), and so do versions waiting beside the current
//! one in an unresolved sync conflict (their writers may each have set
//! them at the provider): findings say `deleted` and `waiting`.
//!
//! Values shorter than [`MIN_VALUE_BYTES`] are skipped and counted: a short
//! value (`admin`, a port, a 4-digit PIN) occurs by chance in any tree, and
//! a finding says where a value occurs, so a scan over a file of every
//! short string would tell whoever reads the output the value itself.
//!
//! Memory: the values and their encodings are built in zeroizing buffers,
//! and the buffers files are read into are wiped on drop. The automaton
//! keeps its own copy of every pattern, encoded into its transition tables,
//! which `aho-corasick` does not wipe when dropped: a [`Matcher`] must live
//! only as long as the scan, and is dropped as soon as it ends (what
//! `Drop` frees is returned to the allocator, not overwritten).
//!
//! ```
//! use coffer_vault::scan::{Encoding, Matcher, Target, ValueSet};
//! use coffer_crypto::SecretString;
//!
//! let mut set = ValueSet::default();
//! let t = set.add_target(Target {
//!     env: "web/prod".into(), key: "API_KEY".into(), version: 1,
//!     state: coffer_vault::scan::ValueState::Current,
//!     item_id: coffer_crypto::Id::make(), exposed: false,
//! });
//! set.add_value(t, &SecretString::new("sk_live_0123456789".into()));
//! let m = Matcher::build(set)?;
//! let mut hits = Vec::new();
//! m.scan_reader(&b"x\nkey=c2tfbGl2ZV8wMTIzNDU2Nzg5\n"[..], 1 << 20, |h| hits.push(h))?;
//! assert_eq!(hits[0].line, 2);
//! assert_eq!(m.sources(hits[0].pattern)[0].1, Encoding::Base64);
//! # Ok::<(), coffer_vault::Error>(())
//! ```

mod search;
mod sources;

use std::collections::HashMap;
use std::io::Read;

use aho_corasick::automaton::Automaton as _;
use aho_corasick::{Anchored, Input, MatchKind};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use coffer_crypto::{Id, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::items::{all_versions, open_version};
use crate::ops::ReadAction;
use crate::vault::EnvInfo;
use crate::vault::Vault;

pub use self::search::{search_blobs, search_files, Finding, Progress, Searched};
pub use self::sources::{
    blob_commits, git_toplevel, history_blobs, read_blobs, staged_blobs, walk, Blob, WalkOptions,
    WalkOutcome,
};

/// Values shorter than this many bytes are not searched (see the module
/// documentation: false positives, and an oracle for the value).
pub const MIN_VALUE_BYTES: usize = 8;

/// The default size of the chunks a file is read in.
pub const CHUNK_BYTES: usize = 1 << 20;

/// How a value was written where it was found.
/// Serialised by [`Encoding::as_str`]. The order is the preference when
/// two spellings are found at one place (padded base64 before unpadded,
/// which is its prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// The bytes as stored.
    Raw,
    /// Base64, standard alphabet, padded.
    Base64,
    /// Base64, standard alphabet, unpadded.
    Base64NoPad,
    /// Base64, URL-safe alphabet, padded.
    Base64Url,
    /// Base64, URL-safe alphabet, unpadded.
    Base64UrlNoPad,
    /// Percent-encoded (every byte outside `A-Za-z0-9-._~`), upper-case hex.
    Percent,
    /// Percent-encoded with lower-case hex.
    PercentLower,
    /// Inside a JSON string (`"`, `\`, control characters escaped).
    Json,
    /// Inside a JSON string with non-ASCII as `\uXXXX` (Python's default).
    JsonAscii,
    /// Inside a larger base64 text (standard alphabet), such as basic
    /// auth's `user:password` or a whole `.env` file in a Kubernetes
    /// Secret: the value's bytes from the first 3-byte group boundary on,
    /// at each of the three alignments it can have there.
    Base64Within,
    /// [`Encoding::Base64Within`] in the URL-safe alphabet.
    Base64UrlWithin,
}

impl Encoding {
    /// The name shown in findings.
    pub fn as_str(&self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Base64 => "base64",
            Encoding::Base64NoPad => "base64_nopad",
            Encoding::Base64Url => "base64url",
            Encoding::Base64UrlNoPad => "base64url_nopad",
            Encoding::Percent => "percent",
            Encoding::PercentLower => "percent_lower",
            Encoding::Json => "json",
            Encoding::JsonAscii => "json_ascii",
            Encoding::Base64Within => "base64_within",
            Encoding::Base64UrlWithin => "base64url_within",
        }
    }
}

impl Serialize for Encoding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One version of one credential that is searched for (no value).
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub key: String,
    /// Version number.
    pub version: u64,
    /// What this version is to the credential (current, older, waiting in
    /// a conflict, of a deleted credential).
    pub state: ValueState,
    /// The item's id.
    #[serde(serialize_with = "crate::vault::ser_id")]
    pub item_id: Id,
    /// Whether the credential is already marked exposed.
    pub exposed: bool,
}

impl Target {
    /// Whether it is the current version of a live credential.
    pub fn current(&self) -> bool {
        self.state == ValueState::Current
    }
}

/// What a searched version is to its credential. Serialised in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueState {
    /// The current version of a live credential.
    Current,
    /// An older version of a live credential.
    Old,
    /// A version written concurrently with the current one, waiting in an
    /// unresolved sync conflict (each writer may have set it at the
    /// provider).
    Waiting,
    /// A version of a deleted credential (deleting it in the vault does not
    /// revoke it at the provider).
    Deleted,
}

impl ValueState {
    /// The word used in output: `current`, `old`, `waiting`, `deleted`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValueState::Current => "current",
            ValueState::Old => "old",
            ValueState::Waiting => "waiting",
            ValueState::Deleted => "deleted",
        }
    }
}

/// The values to search for, with their encodings, before the automaton
/// is built. Every pattern is held in a zeroizing buffer.
#[derive(Default)]
pub struct ValueSet {
    targets: Vec<Target>,
    /// Distinct patterns, and who each stands for.
    patterns: Vec<Zeroizing<Vec<u8>>>,
    /// Hash of a pattern → the patterns with that hash (the bytes are
    /// compared; the key holds no pattern).
    index: HashMap<u64, Vec<usize>>,
    sources: Vec<Vec<(usize, Encoding)>>,
    /// Keyed per set (random), so the index's hashes say nothing lasting.
    hasher: std::collections::hash_map::RandomState,
    /// Values skipped for being shorter than [`MIN_VALUE_BYTES`].
    pub skipped_short: usize,
    /// Values added (not counting encodings or skipped ones).
    pub values: usize,
}

impl std::fmt::Debug for ValueSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueSet")
            .field("targets", &self.targets.len())
            .field("patterns", &self.patterns.len())
            .field("skipped_short", &self.skipped_short)
            .finish()
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved set.
fn percent(v: &[u8], lower: bool) -> Zeroizing<Vec<u8>> {
    let hex: &[u8; 16] = if lower {
        b"0123456789abcdef"
    } else {
        b"0123456789ABCDEF"
    };
    let mut out = Zeroizing::new(Vec::with_capacity(v.len() * 3));
    for &b in v {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
        }
    }
    out
}

/// The body of a JSON string holding `v` (without the quotes); `ascii`
/// escapes every non-ASCII character as `\uXXXX` (UTF-16 units).
fn json(v: &str, ascii: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(v.len() + 8));
    let mut u = [0u16; 2];
    for c in v.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                for unit in c.encode_utf16(&mut u) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out
}

/// Base64 into a zeroizing buffer.
fn b64(engine: &impl base64::Engine, v: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut s = Zeroizing::new(String::with_capacity(v.len() * 4 / 3 + 4));
    engine.encode_string(v, &mut s);
    Zeroizing::new(s.as_bytes().to_vec())
}

impl ValueSet {
    /// Adds a credential version to search for; returns its index.
    pub fn add_target(&mut self, t: Target) -> usize {
        self.targets.push(t);
        self.targets.len() - 1
    }

    /// The targets added so far.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Adds `value` of `target` and its encodings (or counts it as skipped
    /// when it is shorter than [`MIN_VALUE_BYTES`]).
    pub fn add_value(&mut self, target: usize, value: &SecretString) {
        // The value is what the scan searches for; it stays in zeroizing
        // buffers and the automaton (see the module documentation).
        let v = value.expose_secret();
        if v.len() < MIN_VALUE_BYTES {
            self.skipped_short += 1;
            return;
        }
        self.values += 1;
        let raw = Zeroizing::new(v.as_bytes().to_vec());
        let forms = [
            (Encoding::Base64, b64(&STANDARD, &raw)),
            (Encoding::Base64NoPad, b64(&STANDARD_NO_PAD, &raw)),
            (Encoding::Base64Url, b64(&URL_SAFE, &raw)),
            (Encoding::Base64UrlNoPad, b64(&URL_SAFE_NO_PAD, &raw)),
            (Encoding::Percent, percent(&raw, false)),
            (Encoding::PercentLower, percent(&raw, true)),
            (Encoding::Json, json(v, false)),
            (Encoding::JsonAscii, json(v, true)),
        ];
        self.add_pattern(target, Encoding::Raw, raw.clone());
        for (enc, p) in forms {
            self.add_pattern(target, enc, p);
        }
        // Inside a larger base64 text the value starts at one of three
        // alignments: its first 3-byte group boundary is at byte 0, 2 or 1
        // of it. From there on, its whole groups encode to the same
        // characters whatever precedes or follows. At least 6 bytes remain
        // (values have 8 or more), so each pattern is at least 8 characters
        // long (the prefilter's window).
        for skip in 0..3 {
            let rest = &raw[skip..];
            let whole = &rest[..rest.len() / 3 * 3];
            self.add_pattern(target, Encoding::Base64Within, b64(&STANDARD_NO_PAD, whole));
            self.add_pattern(
                target,
                Encoding::Base64UrlWithin,
                b64(&URL_SAFE_NO_PAD, whole),
            );
        }
    }

    fn add_pattern(&mut self, target: usize, enc: Encoding, p: Zeroizing<Vec<u8>>) {
        use std::hash::BuildHasher as _;
        let h = self.hasher.hash_one(&p[..]);
        let same = self
            .index
            .get(&h)
            .and_then(|ids| ids.iter().copied().find(|&i| self.patterns[i] == p));
        let id = match same {
            Some(id) => id,
            None => {
                self.patterns.push(p);
                self.sources.push(Vec::new());
                let id = self.patterns.len() - 1;
                self.index.entry(h).or_default().push(id);
                id
            }
        };
        // An encoding that spells the value the same way as an earlier one
        // (base64 without padding when none is needed) is reported once.
        if !self.sources[id].iter().any(|(t, _)| *t == target) {
            self.sources[id].push((target, enc));
        }
    }
}

/// One place a pattern was found in a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Which pattern ([`Matcher::sources`] says whose value it is).
    pub pattern: usize,
    /// Byte offset of its start in the stream.
    pub offset: u64,
    /// 1-based line of its start.
    pub line: u64,
}

/// The automaton over every pattern of a [`ValueSet`]. Holds copies of the
/// patterns it was built from in memory it does not wipe: drop it when the
/// scan ends.
pub struct Matcher {
    ac: aho_corasick::nfa::contiguous::NFA,
    /// Bits set at the hashes of the patterns' first 8 bytes (wiped on
    /// drop: it says something about the values).
    filter: Zeroizing<Vec<u64>>,
    targets: Vec<Target>,
    sources: Vec<Vec<(usize, Encoding)>>,
    max_len: usize,
    /// Values skipped for being short.
    pub skipped_short: usize,
    /// Values searched for.
    pub values: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.sources.len())
            .finish()
    }
}

impl Matcher {
    /// Builds the automaton; the set's own buffers are wiped as it is
    /// consumed.
    pub fn build(set: ValueSet) -> Result<Self> {
        let ValueSet {
            targets,
            patterns,
            index,
            sources,
            skipped_short,
            values,
            hasher: _,
        } = set;
        drop(index);
        let max_len = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        // The automaton checks candidate positions (anchored there), with
        // leftmost-longest semantics: where several patterns start at one
        // place (unpadded base64 is a prefix of the padded form), the
        // longest is reported. The contiguous NFA: a DFA over 10,000 values
        // would take half a gigabyte.
        let ac = aho_corasick::nfa::contiguous::NFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|p| &p[..]))
            .map_err(|e| Error::Database(format!("building the scan automaton: {e}")))?;
        // The prefilter: one bit per hash of a pattern's first 8 bytes
        // (every pattern has at least 8). Run over every position of the
        // text, it leaves the automaton ~1% of positions to try.
        let mut filter = Zeroizing::new(vec![0u64; FILTER_WORDS]);
        for p in &patterns {
            let mut w = [0u8; 8];
            w.copy_from_slice(&p[..8]);
            let h = filter_hash(u64::from_le_bytes(w));
            filter[h >> 6] |= 1 << (h & 63);
        }
        drop(patterns);
        Ok(Self {
            ac,
            filter,
            targets,
            sources,
            max_len,
            skipped_short,
            values,
        })
    }

    /// Whose value pattern `id` is, and in which encoding.
    pub fn sources(&self, pattern: usize) -> &[(usize, Encoding)] {
        self.sources.get(pattern).map_or(&[], |s| &s[..])
    }

    /// A target by index.
    pub fn target(&self, i: usize) -> Option<&Target> {
        self.targets.get(i)
    }

    /// Every target.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Searches one stream (see [`Scanner::scan`]); for many streams, one
    /// [`Matcher::scanner`] reuses its buffer.
    pub fn scan_reader<R: Read>(&self, r: R, chunk: usize, on_hit: impl FnMut(Hit)) -> Result<u64> {
        self.scanner(chunk).scan(r, on_hit)
    }

    /// A scanner reading in chunks of `chunk` bytes, its buffer allocated
    /// once for every stream it reads (and wiped when dropped).
    pub fn scanner(&self, chunk: usize) -> Scanner<'_> {
        let keep_max = self.max_len.saturating_sub(1);
        let chunk = chunk.max(keep_max + 1).max(1);
        Scanner {
            m: self,
            buf: Zeroizing::new(vec![0u8; keep_max + chunk]),
        }
    }
}

/// Searches streams with one [`Matcher`] and one read buffer.
pub struct Scanner<'m> {
    m: &'m Matcher,
    /// Wiped on drop: it held file contents, values included.
    buf: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Scanner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("buf", &self.buf.len())
            .finish()
    }
}

impl Scanner<'_> {
    /// Searches a stream chunk by chunk, keeping the last (longest
    /// pattern − 1) bytes of each chunk before the next, so a value across
    /// a chunk boundary is found (once); memory stays bounded by the
    /// buffer. Returns the number of bytes read.
    pub fn scan<R: Read>(&mut self, mut r: R, mut on_hit: impl FnMut(Hit)) -> Result<u64> {
        let keep_max = self.m.max_len.saturating_sub(1);
        let buf = &mut self.buf;
        // `keep`: bytes carried over from the previous chunk at buf[..keep];
        // `base`: stream offset of buf[0]; `lines`: newlines before buf[0].
        let (mut keep, mut base, mut lines, mut total) = (0usize, 0u64, 0u64, 0u64);
        loop {
            let mut filled = keep;
            // Fill the chunk (a pipe returns short reads).
            while filled < buf.len() {
                match r.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io("reading a file to scan", e)),
                }
            }
            if filled == keep {
                return Ok(total);
            }
            total += (filled - keep) as u64;
            let data = &buf[..filled];
            // Count newlines incrementally in match order.
            let (mut counted_to, mut line_at) = (0usize, lines);
            let filter = &self.m.filter[..];
            for (i, w) in data.windows(8).enumerate() {
                let mut a = [0u8; 8];
                a.copy_from_slice(w);
                let h = filter_hash(u64::from_le_bytes(a));
                if filter[h >> 6] & (1 << (h & 63)) == 0 {
                    continue;
                }
                let input = Input::new(data).range(i..).anchored(Anchored::Yes);
                let found = self
                    .m
                    .ac
                    .try_find(&input)
                    .map_err(|e| Error::Database(format!("scan automaton: {e}")))?;
                let Some(m) = found else { continue };
                // A match ending inside the carried bytes was reported with
                // the previous chunk.
                if m.end() <= keep {
                    continue;
                }
                line_at += newlines(&data[counted_to..m.start()]);
                counted_to = m.start();
                on_hit(Hit {
                    pattern: m.pattern().as_usize(),
                    offset: base + m.start() as u64,
                    line: line_at + 1,
                });
            }
            let next_keep = keep_max.min(filled);
            let dropped = filled - next_keep;
            lines += newlines(&data[..dropped]);
            base += dropped as u64;
            buf.copy_within(dropped..filled, 0);
            keep = next_keep;
            if filled < buf.len() {
                return Ok(total);
            }
        }
    }
}

/// Bits in the prefilter: 2^22 (512 KiB, which stays in a core's cache).
const FILTER_BITS: u32 = 22;
const FILTER_WORDS: usize = 1 << (FILTER_BITS - 6);

/// Fibonacci hashing of an 8-byte window to a filter bit.
#[inline(always)]
fn filter_hash(w: u64) -> usize {
    (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

fn newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

impl Vault {
    /// Every value this identity can read, for a scan: each version of each
    /// credential in `scope` (as [`Vault::list_items`]; `None`: every
    /// environment): current, older, waiting in a sync conflict, and of
    /// deleted credentials (those of environments this identity holds the
    /// key of); the current ones only with `current_only`. Logs one `scan`
    /// read per environment naming the credentials read.
    pub fn scan_values(&mut self, scope: Option<&str>, current_only: bool) -> Result<ValueSet> {
        let envs = self.scope_envs(scope)?;
        let vault_id = self.vault_id;
        let mut set = ValueSet::default();
        for env in &envs {
            let items = self.load_items(env)?;
            let mut read: Vec<Id> = items.iter().map(|d| d.id).collect();
            for d in &items {
                let exposed = d.meta.exposed_at.is_some();
                let target = |version, state| Target {
                    env: env.path(),
                    key: d.fields.name.clone(),
                    version,
                    state,
                    item_id: d.id,
                    exposed,
                };
                let cur = set.add_target(target(d.version, ValueState::Current));
                if d.unopened.is_none() {
                    set.add_value(cur, &d.fields.value);
                }
                if current_only {
                    continue;
                }
                // Newest first; a value that a newer version has again (a
                // restore) is reported as the newer one.
                let mut seen: Vec<SecretString> = vec![d.fields.value.clone()];
                // Versions waiting beside the current one, and the values
                // of items created under the same name concurrently (its
                // twins), until someone keeps one.
                let waiting = self.conflict_versions(env, d)?;
                let waiting = waiting
                    .into_iter()
                    .filter_map(|w| w.fields.map(|f| (w.entry.version, f.value)))
                    .chain(d.twins.iter().map(|t| (t.version, t.fields.value.clone())));
                for (version, value) in waiting {
                    if !seen.contains(&value) {
                        let t = set.add_target(target(version, ValueState::Waiting));
                        set.add_value(t, &value);
                        seen.push(value);
                    }
                }
                let mut versions = all_versions(self, &d.id)?;
                versions.reverse();
                for (version, blob, meta, author) in versions {
                    if version >= d.version {
                        continue;
                    }
                    let f =
                        open_version(&d.ik, vault_id, env, d.id, version, &blob, &meta, &author)?;
                    if seen.contains(&f.value) {
                        continue;
                    }
                    let t = set.add_target(target(version, ValueState::Old));
                    set.add_value(t, &f.value);
                    seen.push(f.value);
                }
            }
            if !current_only && env.readable {
                read.extend(self.add_deleted_values(env, &mut set)?);
            }
            if !read.is_empty() {
                self.log_read(ReadAction::Scan, env, read)?;
            }
        }
        Ok(set)
    }

    /// Adds every version of each deleted credential of `env` (newest
    /// first, a value once) to `set`; returns the credentials read. A
    /// version that does not open under the keys this device holds for it
    /// is left out, like a credential whose key does not open.
    fn add_deleted_values(&mut self, env: &EnvInfo, set: &mut ValueSet) -> Result<Vec<Id>> {
        let ids: Vec<Vec<u8>> = {
            let mut st = self.conn.prepare_cached(
                "SELECT id FROM items WHERE env_id = ?1 AND deleted_at IS NOT NULL ORDER BY id",
            )?;
            let rows = st.query_map([&env.id.0[..]], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let vault_id = self.vault_id;
        let mut read = Vec::new();
        for id in ids {
            let id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?;
            let Some(ik) = self.item_key_if_it_opens(&id)?.1 else {
                continue;
            };
            let mut versions = all_versions(self, &id)?;
            versions.reverse();
            let mut seen: Vec<SecretString> = Vec::new();
            let mut name = None;
            for (version, blob, meta, author) in versions {
                let Ok(f) = open_version(&ik, vault_id, env, id, version, &blob, &meta, &author)
                else {
                    continue;
                };
                if seen.contains(&f.value) {
                    continue;
                }
                // Named as it was last called.
                let key = name.get_or_insert_with(|| f.name.clone()).clone();
                let t = set.add_target(Target {
                    env: env.path(),
                    key,
                    version,
                    state: ValueState::Deleted,
                    item_id: id,
                    exposed: meta.exposed_at.is_some(),
                });
                set.add_value(t, &f.value);
                seen.push(f.value);
            }
            if !seen.is_empty() {
                read.push(id);
            }
        }
        Ok(read)
    }

    /// Marks credentials exposed (the rotation dashboard and `rotation
    /// --exposed` then list them): for each `(PROJECT/ENV, item)` not
    /// already exposed, a new version with the same contents and
    /// `exposed_at` now, signed and applied like any write, all in one
    /// batch. Needs write access to each environment. Returns how many
    /// were marked.
    pub fn mark_exposed(&mut self, items: &[(String, Id)]) -> Result<usize> {
        let now = crate::time::now();
        let vault_id = self.vault_id;
        let mut by_env: Vec<(&str, Vec<Id>)> = Vec::new();
        for (env, id) in items {
            match by_env.iter_mut().find(|(e, _)| e == env) {
                Some((_, ids)) if !ids.contains(id) => ids.push(*id),
                Some(_) => {}
                None => by_env.push((env, vec![*id])),
            }
        }
        let mut ops = Vec::new();
        for (env_path, ids) in by_env {
            let env = self.env(env_path)?;
            for d in self.load_items(&env)? {
                if !ids.contains(&d.id) || d.meta.exposed_at.is_some() {
                    continue;
                }
                // Marking re-seals the current value, which must open.
                self.check_opens(&env, &d)?;
                let mut meta = d.meta;
                meta.exposed_at = Some(now);
                ops.push(crate::items::version_op(
                    vault_id,
                    &env,
                    &d,
                    &d.fields,
                    meta,
                    &self.me.id(),
                )?);
            }
        }
        let n = ops.len();
        if n > 0 {
            self.apply_batch(ops)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn matcher(values: &[&str]) -> Matcher {
        let mut set = ValueSet::default();
        for (i, v) in values.iter().enumerate() {
            let t = set.add_target(Target {
                env: "p/e".into(),
                key: format!("K{i}"),
                version: 1,
                state: ValueState::Current,
                item_id: Id::make(),
                exposed: false,
            });
            set.add_value(t, &SecretString::new((*v).to_string()));
        }
        Matcher::build(set).expect("build")
    }

    fn hits(m: &Matcher, data: &[u8], chunk: usize) -> Vec<(usize, Encoding, u64, u64)> {
        let mut out = Vec::new();
        m.scan_reader(data, chunk, |h| {
            for (t, e) in m.sources(h.pattern) {
                out.push((*t, *e, h.offset, h.line));
            }
        })
        .expect("scan");
        out.sort();
        out
    }

    #[test]
    fn encodings() {
        // 16 bytes: base64 needs padding, so the unpadded forms differ.
        let v = "pa ss/wo\"rd+é?x";
        let m = matcher(&[v]);
        let b = STANDARD.encode(v);
        let u = URL_SAFE_NO_PAD.encode(v);
        let p = "pa%20ss%2Fwo%22rd%2B%C3%A9%3Fx";
        let j = serde_json::to_string(v).expect("json");
        let text = format!("a\n{b}\n{u}\n{p}\n{j}\n{}\n", p.to_lowercase());
        let found: Vec<Encoding> = hits(&m, text.as_bytes(), 1 << 20)
            .into_iter()
            .map(|h| h.1)
            .collect();
        for e in [
            Encoding::Base64,
            Encoding::Base64UrlNoPad,
            Encoding::Percent,
            Encoding::Json,
            Encoding::PercentLower,
        ] {
            assert!(found.contains(&e), "{e:?} not in {found:?}");
        }
        let py = "pa ss/wo\\\"rd+\\u00e9?x";
        assert_eq!(
            hits(&m, py.as_bytes(), 64)
                .into_iter()
                .map(|h| h.1)
                .collect::<Vec<_>>(),
            vec![Encoding::JsonAscii]
        );
    }

    #[test]
    fn a_value_inside_a_larger_base64_text_is_found_at_every_alignment() {
        // `?>` and `~` make the standard and URL-safe alphabets differ.
        let v = "s3cr?>t-~value-0123";
        let m = matcher(&[v]);
        for prefix in ["", "u", "us", "user:", "DB_PASSWORD="] {
            for suffix in ["", "\n", "\nOTHER=1\n"] {
                let blob = format!("{prefix}{v}{suffix}");
                // Where the two alphabets spell the value's part alike,
                // the standard one is reported.
                for engine in [&STANDARD, &URL_SAFE] {
                    let text = format!("auth: {}\n", engine.encode(&blob));
                    let found = hits(&m, text.as_bytes(), 7);
                    // Aligned (a prefix of 0 or 3k bytes), the value's own
                    // base64 may be the longest match there.
                    let within = found
                        .iter()
                        .any(|h| matches!(h.1, Encoding::Base64Within | Encoding::Base64UrlWithin));
                    assert!(
                        within || (prefix.len() % 3 == 0 && !found.is_empty()),
                        "{prefix:?}+value+{suffix:?}: {found:?}"
                    );
                }
            }
        }
        // A basic-auth header: `Basic base64(user:password)`.
        let header = format!(
            "Authorization: Basic {}",
            STANDARD.encode(format!("admin:{v}"))
        );
        assert_eq!(hits(&m, header.as_bytes(), 1 << 20).len(), 1);
        // Another value's base64 text does not match.
        let other = STANDARD.encode("user:s3cr?>t-~valuX-0123 and more");
        assert!(hits(&m, other.as_bytes(), 1 << 20).is_empty());
    }

    #[test]
    fn short_values_are_skipped_and_counted() {
        let m = matcher(&["1234567", "12345678"]);
        assert_eq!((m.skipped_short, m.values), (1, 1));
    }

    #[test]
    fn across_chunk_boundaries_and_lines() {
        let v = "0123456789abcdefXYZ";
        let m = matcher(&[v, "789abcdefXYZ--"]);
        let mut data = Vec::new();
        for i in 0..50 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let at = data.len();
        data.extend_from_slice(v.as_bytes());
        data.extend_from_slice(b"--\nend\n");
        let whole = hits(&m, &data, 1 << 20);
        assert!(whole
            .iter()
            .any(|h| h.0 == 0 && h.1 == Encoding::Raw && h.2 == at as u64 && h.3 == 51));
        assert!(whole.iter().any(|h| h.0 == 1 && h.3 == 51));
        // Every chunk size, so the value straddles every possible boundary:
        // the same findings, each exactly once.
        for chunk in 1..64 {
            assert_eq!(hits(&m, &data, chunk), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn fail_nothing_in_clean_data() {
        let m = matcher(&["sk_live_abcdefgh"]);
        assert!(hits(&m, b"sk_live_abcdefg sk_live_ABCDEFGH", 8).is_empty());
    }
}
