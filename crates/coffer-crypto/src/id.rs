//! Random 16-byte identifiers (vaults, members, environments, items, ops).

use core::fmt;

use crate::secret::random_bytes;
use crate::Error;

/// A random 16-byte identifier. Not secret; shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(pub [u8; 16]);

impl Id {
    /// A fresh random id.
    pub fn make() -> Self {
        Self(random_bytes())
    }
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
    /// From a 16-byte slice (e.g. a database column).
    pub fn from_slice(b: &[u8]) -> Result<Self, Error> {
        b.try_into()
            .map(Self)
            .map_err(|_| Error::Malformed("id must be 16 bytes"))
    }
    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        if s.len() != 32 {
            return Err(Error::Malformed("id must be 32 hex digits"));
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                .map_err(|_| Error::Malformed("id must be 32 hex digits"))?;
        }
        Ok(Self(out))
    }
    /// 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
    /// The first 8 hex digits, for display.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_string()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hex_round_trip() {
        let id = Id::make();
        assert_eq!(Id::from_hex(&id.to_hex()).expect("hex"), id);
        assert!(Id::from_hex("zz").is_err());
        assert!(Id::from_hex(&"g".repeat(32)).is_err());
    }
}
