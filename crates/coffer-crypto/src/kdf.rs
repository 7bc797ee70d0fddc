//! Argon2id (RFC 9106) password hashing for the password slot, with the
//! cost bounds checked *before* any memory is allocated or work is done.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::secret::SecretString;
use crate::Error;

/// Argon2id cost parameters. They are stored in the slot and bound into its
/// associated data, so editing them makes the unlock fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations (passes).
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The starting point for new identities: 256 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        m_kib: 256 * 1024,
        t: 3,
        p: 1,
    };
    /// The least users get unless they explicitly ask for less: 64 MiB, t = 3.
    pub const USER_MINIMUM: Self = Self {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// The absolute floor (OWASP's Argon2id minimum: 19 MiB, t = 2). Nothing
    /// below it is ever derived, whatever a file says.
    pub const FLOOR: Self = Self {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    /// Ceilings read from untrusted files are capped before use, so a
    /// crafted identity file cannot make us allocate 100 GiB or spin forever.
    pub const MAX_M_KIB: u32 = 4 * 1024 * 1024;
    /// Maximum passes.
    pub const MAX_T: u32 = 64;
    /// Maximum lanes.
    pub const MAX_P: u32 = 16;

    /// Checks the floor and the ceiling. Called before every derivation.
    pub fn check_bounds(&self) -> Result<(), Error> {
        if self.m_kib < Self::FLOOR.m_kib || self.t < Self::FLOOR.t || self.p < 1 {
            return Err(Error::KdfParams("below the minimum (m >= 19 MiB, t >= 2)"));
        }
        if self.m_kib > Self::MAX_M_KIB || self.t > Self::MAX_T || self.p > Self::MAX_P {
            return Err(Error::KdfParams(
                "above the maximum (m <= 4 GiB, t <= 64, p <= 16)",
            ));
        }
        Ok(())
    }

    /// Whether these parameters are weaker than `policy` in memory or passes.
    pub fn weaker_than(&self, policy: &Self) -> bool {
        self.m_kib < policy.m_kib || self.t < policy.t
    }
}

/// Derives a 32-byte key-encryption key from a password (Argon2id v1.3).
pub(crate) fn derive_kek(
    password: &SecretString,
    salt: &[u8; 16],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, Error> {
    params.check_bounds()?;
    let p = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| Error::KdfParams("rejected by argon2"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    // NFC first: the same passphrase typed on systems that compose accents
    // differently (macOS vs. Windows input methods) must give the same key.
    let normalized = nfc_zeroizing(password.expose_secret());
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(normalized.as_bytes(), salt, &mut *out)
        .map_err(|_| Error::KdfParams("rejected by argon2"))?;
    Ok(out)
}

/// `s` in Unicode NFC, in one buffer allocated at its final size and wiped
/// on drop. Collecting into a `String` would grow it by reallocation,
/// leaving freed (unwiped) copies of the passphrase's prefix on the heap;
/// so the size is counted first, then the characters are pushed into a
/// buffer that never moves.
fn nfc_zeroizing(s: &str) -> Zeroizing<String> {
    let len: usize = s.nfc().map(char::len_utf8).sum();
    let mut out = Zeroizing::new(String::with_capacity(len));
    for c in s.nfc() {
        out.push(c);
    }
    debug_assert_eq!(out.capacity(), len);
    out
}

/// Picks parameters for a new identity: starts at [`KdfParams::DEFAULT`] and
/// raises the passes until one derivation takes at least `target` (the
/// design asks for 0.5 s), without going past `cap` (1 s). Returns the
/// parameters and the measured time of one derivation.
pub fn calibrate(target: Duration, cap: Duration) -> Result<(KdfParams, Duration), Error> {
    let pw = SecretString::new("calibration".into());
    let salt = [0u8; 16];
    let mut params = KdfParams::DEFAULT;
    let time_once = |p: &KdfParams| -> Result<Duration, Error> {
        let t0 = Instant::now();
        derive_kek(&pw, &salt, p)?;
        Ok(t0.elapsed())
    };
    let mut took = time_once(&params)?;
    if took < target {
        let per_pass = took.as_secs_f64() / f64::from(params.t);
        let want = (target.as_secs_f64() / per_pass).ceil();
        let cap_passes = (cap.as_secs_f64() / per_pass).floor();
        let t = want
            .min(cap_passes)
            .clamp(f64::from(params.t), f64::from(KdfParams::MAX_T));
        // `t` is a small whole number within [3, 64] here.
        params.t = t as u32;
        took = time_once(&params)?;
    }
    Ok((params, took))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_bounds_checked_before_deriving() {
        let pw = SecretString::new("pw".into());
        let below = KdfParams {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            derive_kek(&pw, &[0; 16], &below),
            Err(Error::KdfParams(_))
        ));
        // Would allocate 16 GiB if not capped first.
        let huge = KdfParams {
            m_kib: 16 * 1024 * 1024,
            t: 3,
            p: 1,
        };
        assert!(matches!(
            derive_kek(&pw, &[0; 16], &huge),
            Err(Error::KdfParams(_))
        ));
        assert!(KdfParams::FLOOR.check_bounds().is_ok());
        assert!(KdfParams::DEFAULT.check_bounds().is_ok());
        assert!(KdfParams::FLOOR.weaker_than(&KdfParams::USER_MINIMUM));
        assert!(!KdfParams::DEFAULT.weaker_than(&KdfParams::USER_MINIMUM));
    }

    /// A buffer that grew would have left freed copies of the passphrase:
    /// the normalised copy must be allocated once, at its final size.
    #[test]
    fn fail_nfc_normalisation_reallocates_the_passphrase() {
        for pw in [
            "correct horse battery staple, and then some more words to grow".to_string(),
            "cafe\u{301} ".repeat(40),
            "\u{0958}\u{FB2C}x".repeat(25), // NFC makes these longer
            String::new(),
        ] {
            let n = nfc_zeroizing(&pw);
            assert_eq!(n.as_str(), pw.nfc().collect::<String>());
            assert_eq!(n.capacity(), n.len(), "{} bytes", pw.len());
        }
    }

    #[test]
    fn passphrases_are_nfc_normalized() {
        let composed = SecretString::new("caf\u{e9}".into());
        let decomposed = SecretString::new("cafe\u{301}".into());
        let a = derive_kek(&composed, &[1; 16], &KdfParams::FLOOR).expect("a");
        let b = derive_kek(&decomposed, &[1; 16], &KdfParams::FLOOR).expect("b");
        assert_eq!(*a, *b);
    }
}
