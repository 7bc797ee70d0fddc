//! The searcher for long values: a sampled 4-gram filter.
//!
//! A value of `L` bytes, wherever it occurs, covers a whole 4-byte window
//! starting at a multiple of any stride `s ≤ L − 3`. So the output is
//! looked at only every `s` bytes (`s` = the shortest long value − 3:
//! every 13th byte or less often), and each window is checked against a
//! table of every 4-byte window of every long value, at every offset. A
//! bitmap over a hash of the windows turns almost every look away in one
//! load from a 32 KiB table that stays in the L1 or L2 cache (with 8 KiB,
//! 100 values set one bit in 23 and the look-ups those hits started were
//! most of the search's time); a window found in
//! it is looked up in the sorted table, and each (value, offset) it names
//! is compared whole against the output. For log output and 32-byte
//! values that is one look per 29 bytes instead of the SIMD searcher's
//! work on every byte (docs/benchmarks.md, "Masked output").
//!
//! It finds every occurrence that lies wholly inside the data it is given;
//! the stream's carry takes care of occurrences cut by a read.
//!
//! Memory: the table holds 4-byte pieces of the values and the bitmap
//! bits derived from them; both are wiped when the searcher is dropped.

use zeroize::Zeroizing;

/// The window the table and the look-ups use.
const GRAM: usize = 4;

/// Bits of the hash the bitmap is indexed by (2^18 bits: 32 KiB).
const FILTER_BITS: u32 = 18;

/// Values of at least this many bytes are found by this searcher (stride
/// 13 or more); shorter ones by the SIMD searcher or the automaton.
pub(super) const MIN_LONG_BYTES: usize = 16;

/// The sampled 4-gram searcher over the long values.
pub(super) struct Sampled {
    stride: usize,
    bits: Zeroizing<Vec<u64>>,
    /// `[window, value, offset]`, sorted.
    grams: Zeroizing<Vec<[u32; 3]>>,
    values: Vec<Zeroizing<Vec<u8>>>,
}

fn window(data: &[u8], at: usize) -> Option<u32> {
    let w = data.get(at..at + GRAM)?;
    Some(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

fn slot(gram: u32) -> usize {
    (gram.wrapping_mul(0x9E37_79B1) >> (32 - FILTER_BITS)) as usize
}

impl Sampled {
    /// The searcher over `values`, each at least [`MIN_LONG_BYTES`] long;
    /// `None` when there are none.
    pub(super) fn new(values: Vec<Zeroizing<Vec<u8>>>) -> Option<Self> {
        let shortest = values.iter().map(|v| v.len()).min()?;
        debug_assert!(shortest >= MIN_LONG_BYTES);
        let mut bits = Zeroizing::new(vec![0u64; (1usize << FILTER_BITS) / 64]);
        let mut grams = Zeroizing::new(Vec::new());
        for (i, v) in values.iter().enumerate() {
            for off in 0..=v.len() - GRAM {
                let Some(g) = window(v, off) else { continue };
                let s = slot(g);
                bits[s / 64] |= 1 << (s % 64);
                // Values are far below 4 GiB (they are environment values).
                grams.push([g, i as u32, off as u32]);
            }
        }
        grams.sort_unstable();
        Some(Self {
            stride: shortest - GRAM + 1,
            bits,
            grams,
            values,
        })
    }

    /// Appends every occurrence of a long value that lies wholly in
    /// `data`, as `(start, end)`, sorted by start and, at one start,
    /// longest first; without repeats.
    pub(super) fn find_all(&self, data: &[u8], out: &mut Vec<(usize, usize)>) {
        let mut at = 0;
        while let Some(g) = window(data, at) {
            let s = slot(g);
            if self.bits[s / 64] >> (s % 64) & 1 == 1 {
                let first = self.grams.partition_point(|e| e[0] < g);
                for e in self.grams[first..].iter().take_while(|e| e[0] == g) {
                    let value = &self.values[e[1] as usize];
                    let Some(start) = at.checked_sub(e[2] as usize) else {
                        continue;
                    };
                    let end = start + value.len();
                    if data.get(start..end) == Some(&value[..]) {
                        out.push((start, end));
                    }
                }
            }
            at += self.stride;
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampled(values: &[&str]) -> Sampled {
        Sampled::new(
            values
                .iter()
                .map(|v| Zeroizing::new(v.as_bytes().to_vec()))
                .collect(),
        )
        .expect("values")
    }

    /// Every occurrence, at every place relative to the stride, as a
    /// search at every byte finds them.
    #[test]
    fn finds_every_occurrence_wherever_it_falls_against_the_stride() {
        let values = [
            "0123456789abcdef",
            "0123456789abcdefXYZ",
            "ffffffffffffffffffff",
        ];
        let s = sampled(&values);
        assert_eq!(s.stride, 13);
        for pad in 0..40 {
            for (i, v) in values.iter().enumerate() {
                let data = format!("{}{v}--{}", "-".repeat(pad), "-".repeat(i));
                let mut got = Vec::new();
                s.find_all(data.as_bytes(), &mut got);
                let mut want: Vec<(usize, usize)> = Vec::new();
                for w in values {
                    let mut from = 0;
                    while let Some(k) = data[from..].find(w) {
                        want.push((from + k, from + k + w.len()));
                        from += k + 1;
                    }
                }
                want.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
                assert_eq!(got, want, "pad {pad}, value {i}");
            }
        }
    }

    #[test]
    fn a_value_cut_by_the_end_of_the_data_is_not_found() {
        let s = sampled(&["0123456789abcdef"]);
        let mut got = Vec::new();
        s.find_all(b"xx0123456789abcde", &mut got);
        assert!(got.is_empty());
        s.find_all(b"123456789abcdef", &mut got);
        assert!(got.is_empty());
    }
}
