//! Personal overlays: a member's own values for keys of an environment,
//! readable only by them (issue 11, "Personal overrides").
//!
//! - The overlay key is derived, never stored or wrapped:
//!   `OK = H(x25519 secret, salt = vault_id ‖ genesis hash,
//!   info = "coffer/v1/overlay-key")`. The genesis hash is there because
//!   whoever creates a vault chooses its id: a vault made with the same id
//!   as a team's (attack review 14) has another genesis, so a member's
//!   entries there open for nobody in the team's vault.
//!   Every device that holds the identity derives the same key; nobody
//!   else can (an owner holds no wrap of it, because there is none).
//! - One overlay entry (its key name and value, canonically encoded by the
//!   caller) is one blob:
//!   `X(OK, entry, aad = "coffer/v1/overlay" ‖ vault_id ‖ author_id ‖ env_id ‖ overlay_id ‖ version)`.
//!   The AAD is rebuilt by the reader from the signed op's context, so an
//!   entry moved to another environment, another author, another overlay id
//!   or an older version does not open.

use core::fmt;

use zeroize::Zeroizing;

use crate::hazmat::{xopen, xseal};
use crate::{Error, Id, PrivateIdentity, SecretBytes};

const INFO: &[u8] = b"coffer/v1/overlay-key";
const LABEL: &[u8] = b"coffer/v1/overlay";

/// One identity's overlay key in one vault. Zeroized on drop; no `Debug`
/// of the bytes, no `Clone`.
pub struct OverlayKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for OverlayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OverlayKey([redacted])")
    }
}

/// What an overlay blob is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverlayContext {
    /// The vault.
    pub vault_id: Id,
    /// The member whose overlay it is (the op's author).
    pub author_id: Id,
    /// The environment it overlays.
    pub env_id: Id,
    /// The overlay entry.
    pub overlay_id: Id,
    /// Its version (each change of the value is a new one).
    pub version: u64,
}

impl OverlayContext {
    fn aad(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(LABEL.len() + 72);
        a.extend_from_slice(LABEL);
        a.extend_from_slice(&self.vault_id.0);
        a.extend_from_slice(&self.author_id.0);
        a.extend_from_slice(&self.env_id.0);
        a.extend_from_slice(&self.overlay_id.0);
        a.extend_from_slice(&self.version.to_le_bytes());
        a
    }
}

impl PrivateIdentity {
    /// Derives this identity's overlay key for the vault `vault_id` whose
    /// genesis op hashes to `genesis` (the one this device pinned).
    pub fn derive_overlay_key(&self, vault_id: &Id, genesis: &[u8; 32]) -> OverlayKey {
        let secret = Zeroizing::new(self.x25519_secret().to_bytes());
        let mut salt = [0u8; 48];
        salt[..16].copy_from_slice(&vault_id.0);
        salt[16..].copy_from_slice(genesis);
        OverlayKey(crate::hazmat::hkdf(&*secret, &salt, INFO))
    }
}

impl OverlayKey {
    /// Seals one overlay entry.
    pub fn seal(&self, entry: &[u8], ctx: &OverlayContext) -> Result<Vec<u8>, Error> {
        xseal(&self.0, entry, &ctx.aad())
    }

    /// Opens one overlay entry; [`Error::Decrypt`] for anything that is not
    /// this key's entry in exactly this context.
    pub fn open(&self, blob: &[u8], ctx: &OverlayContext) -> Result<SecretBytes, Error> {
        let pt = xopen(&self.0, blob, &ctx.aad())?;
        Ok(SecretBytes::new(pt.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> OverlayContext {
        OverlayContext {
            vault_id: Id([1; 16]),
            author_id: Id([2; 16]),
            env_id: Id([3; 16]),
            overlay_id: Id([4; 16]),
            version: 1,
        }
    }

    #[test]
    fn opens_only_for_its_author_and_context() {
        let (me, other) = (PrivateIdentity::make(), PrivateIdentity::make());
        let k = me.derive_overlay_key(&Id([1; 16]), &[5; 32]);
        let blob = k.seal(b"entry", &ctx()).expect("seal");
        let again = me.derive_overlay_key(&Id([1; 16]), &[5; 32]);
        assert_eq!(
            again.open(&blob, &ctx()).expect("open").expose_secret(),
            b"entry"
        );
        // Another identity, another vault, another context: no.
        let theirs = other.derive_overlay_key(&Id([1; 16]), &[5; 32]);
        assert_eq!(theirs.open(&blob, &ctx()).map(|_| ()), Err(Error::Decrypt));
        let elsewhere = me.derive_overlay_key(&Id([9; 16]), &[5; 32]);
        assert_eq!(
            elsewhere.open(&blob, &ctx()).map(|_| ()),
            Err(Error::Decrypt)
        );
        // The same vault id with another genesis (a vault made with a
        // team's id on purpose): another key.
        let same_id = me.derive_overlay_key(&Id([1; 16]), &[6; 32]);
        assert_eq!(same_id.open(&blob, &ctx()).map(|_| ()), Err(Error::Decrypt));
        for moved in [
            OverlayContext {
                env_id: Id([7; 16]),
                ..ctx()
            },
            OverlayContext {
                author_id: Id([7; 16]),
                ..ctx()
            },
            OverlayContext {
                overlay_id: Id([7; 16]),
                ..ctx()
            },
            OverlayContext {
                version: 2,
                ..ctx()
            },
        ] {
            assert_eq!(k.open(&blob, &moved).map(|_| ()), Err(Error::Decrypt));
        }
        assert_eq!(format!("{k:?}"), "OverlayKey([redacted])");
    }
}
