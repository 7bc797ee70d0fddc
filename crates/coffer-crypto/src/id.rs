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
    /// Parses exactly 32 hex digits (either case), nothing else: no sign,
    /// no space, no prefix. (`u8::from_str_radix` alone would take `+f` as
    /// a digit pair, so two spellings would name one id.)
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let bad = || Error::Malformed("id must be 32 hex digits");
        let digits = s.as_bytes();
        if digits.len() != 32 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            *o = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
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
        assert_eq!(
            Id::from_hex(&id.to_hex().to_uppercase()).expect("upper case"),
            id
        );
    }

    /// `u8::from_str_radix("+f", 16)` is 15: a `+` before a digit parsed as
    /// a sign, so `+f…` and `0f…` named the same id.
    #[test]
    fn fail_from_hex_takes_a_sign_or_anything_but_32_hex_digits() {
        let zero_f = format!("0f{}", "0".repeat(30));
        assert_eq!(Id::from_hex(&zero_f).expect("hex").0[0], 0x0f);
        for bad in [
            format!("+f{}", "0".repeat(30)),
            format!("-f{}", "0".repeat(30)),
            format!("{}+1", "0".repeat(30)),
            format!(" f{}", "0".repeat(30)),
            format!("0x{}", "0".repeat(30)),
            "0".repeat(31),
            "0".repeat(33),
            format!("é{}", "0".repeat(30)),
            String::new(),
        ] {
            assert!(Id::from_hex(&bad).is_err(), "{bad:?}");
        }
    }
}
