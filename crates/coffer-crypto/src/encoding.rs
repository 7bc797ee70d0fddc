//! The one deterministic binary encoding for every byte string that is
//! signed, hashed or used as associated data.
//!
//! Rules (a stability commitment — changing them breaks every vault and the
//! frozen vectors in `tests/vectors/`):
//! - a record starts with an ASCII label (`coffer/v1/...`, length-prefixed)
//!   followed by a version byte;
//! - integers are fixed-width little-endian (`u8`, `u32`, `u64`, `i64`);
//! - variable-length fields are a `u32` little-endian length then the bytes;
//! - fixed-size fields (ids, keys) are written raw;
//! - optional values are a `0`/`1` tag byte then the value.
//!
//! Never JSON, never a serde format whose output may change between versions.

use zeroize::Zeroizing;

use crate::Error;

/// Largest variable-length field the decoder accepts (64 MiB).
pub const MAX_FIELD: usize = 64 << 20;

/// Builds a canonical record. The buffer is zeroized on drop, so an encoder
/// may hold secret fields (an item's plaintext).
pub struct Encoder {
    buf: Zeroizing<Vec<u8>>,
}

impl Encoder {
    /// Starts a record with its label and version byte.
    pub fn new(label: &str, version: u8) -> Self {
        let mut e = Self {
            buf: Zeroizing::new(Vec::with_capacity(256)),
        };
        e.bytes(label.as_bytes());
        e.u8(version);
        e
    }

    /// Starts a record with room for `capacity` bytes (avoids reallocating,
    /// and so leaving copies of secret fields behind).
    pub fn with_capacity(label: &str, version: u8, capacity: usize) -> Self {
        let mut e = Self {
            buf: Zeroizing::new(Vec::with_capacity(capacity + label.len() + 8)),
        };
        e.bytes(label.as_bytes());
        e.u8(version);
        e
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    /// A `u32`, little-endian.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A `u64`, little-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// An `i64`, little-endian two's complement.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A boolean as one byte.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }
    /// Fixed-size bytes, raw (the reader knows the size).
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// Length-prefixed bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        // Fields never approach 4 GiB (values are capped far lower); saturate
        // rather than panic, and the decoder's cap rejects it.
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.buf.extend_from_slice(v);
        self
    }
    /// Length-prefixed UTF-8.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
    /// An optional `i64`.
    pub fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => self.u8(1).i64(x),
        }
    }
    /// An optional `u32`.
    pub fn opt_u32(&mut self, v: Option<u32>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => self.u8(1).u32(x),
        }
    }
    /// An optional string.
    pub fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => self.u8(1).str(x),
        }
    }
    /// The encoded bytes (for public records).
    pub fn finish(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.buf)
    }
    /// The encoded bytes in a zeroizing buffer (for records with secrets).
    pub fn finish_secret(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }
    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// Reads a canonical record; every method fails with [`Error::Malformed`]
/// rather than panicking on short or oversized input.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Starts reading; checks the label and version byte.
    pub fn new(buf: &'a [u8], label: &str, version: u8) -> Result<Self, Error> {
        let mut d = Self { buf, pos: 0 };
        if d.bytes()? != label.as_bytes() {
            return Err(Error::Malformed("unexpected record label"));
        }
        if d.u8()? != version {
            return Err(Error::Malformed("unsupported record version"));
        }
        Ok(d)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Error::Malformed("length overflow"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(Error::Malformed("truncated record"))?;
        self.pos = end;
        Ok(s)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    /// A `u32`.
    pub fn u32(&mut self) -> Result<u32, Error> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    /// A `u64`.
    pub fn u64(&mut self) -> Result<u64, Error> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    /// An `i64`.
    pub fn i64(&mut self) -> Result<i64, Error> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(a))
    }
    /// A boolean; anything but 0 or 1 is malformed.
    pub fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::Malformed("bad boolean")),
        }
    }
    /// `N` raw bytes.
    pub fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    /// Length-prefixed bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u32()? as usize;
        if n > MAX_FIELD {
            return Err(Error::Malformed("field too large"));
        }
        self.take(n)
    }
    /// Length-prefixed UTF-8.
    pub fn str(&mut self) -> Result<&'a str, Error> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Error::Malformed("invalid UTF-8"))
    }
    /// An optional `i64`.
    pub fn opt_i64(&mut self) -> Result<Option<i64>, Error> {
        Ok(if self.bool()? {
            Some(self.i64()?)
        } else {
            None
        })
    }
    /// An optional `u32`.
    pub fn opt_u32(&mut self) -> Result<Option<u32>, Error> {
        Ok(if self.bool()? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    /// An optional string.
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, Error> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    /// Ends the record: trailing bytes are malformed.
    pub fn finish(self) -> Result<(), Error> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(Error::Malformed("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut e = Encoder::new("coffer/v1/test", 1);
        e.u8(7)
            .u32(9)
            .u64(11)
            .i64(-3)
            .bool(true)
            .fixed(&[1, 2])
            .str("hé")
            .opt_i64(None)
            .opt_i64(Some(5))
            .opt_str(Some("x"))
            .opt_u32(Some(4));
        let b = e.finish();
        let mut d = Decoder::new(&b, "coffer/v1/test", 1).expect("header");
        assert_eq!(d.u8().expect("u8"), 7);
        assert_eq!(d.u32().expect("u32"), 9);
        assert_eq!(d.u64().expect("u64"), 11);
        assert_eq!(d.i64().expect("i64"), -3);
        assert!(d.bool().expect("bool"));
        assert_eq!(d.fixed::<2>().expect("fixed"), [1, 2]);
        assert_eq!(d.str().expect("str"), "hé");
        assert_eq!(d.opt_i64().expect("o"), None);
        assert_eq!(d.opt_i64().expect("o"), Some(5));
        assert_eq!(d.opt_str().expect("o"), Some("x"));
        assert_eq!(d.opt_u32().expect("o"), Some(4));
        d.finish().expect("end");
    }

    #[test]
    fn fail_truncated_and_trailing() {
        let mut e = Encoder::new("coffer/v1/test", 1);
        e.str("abc");
        let b = e.finish();
        let mut d = Decoder::new(&b[..b.len() - 1], "coffer/v1/test", 1).expect("header");
        assert!(d.str().is_err());
        let mut long = b.clone();
        long.push(0);
        let mut d = Decoder::new(&long, "coffer/v1/test", 1).expect("header");
        d.str().expect("str");
        assert!(d.finish().is_err());
        assert!(Decoder::new(&b, "coffer/v1/other", 1).is_err());
        assert!(Decoder::new(&b, "coffer/v1/test", 2).is_err());
    }

    #[test]
    fn frozen_layout() {
        // A format change must break this test.
        let mut e = Encoder::new("L", 1);
        e.u32(0x0102_0304).opt_i64(Some(-1)).str("ab");
        assert_eq!(
            e.finish(),
            [
                1, 0, 0, 0, b'L', 1, 4, 3, 2, 1, 1, 255, 255, 255, 255, 255, 255, 255, 255, 2, 0,
                0, 0, b'a', b'b'
            ]
        );
    }
}
