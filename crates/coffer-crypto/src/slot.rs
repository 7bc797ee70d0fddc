//! Slots hold the account key (UAK): a password slot (Argon2id) and an
//! optional keychain slot (a random device key kept in the OS keychain).
//! There is no password verifier anywhere: the slot's AEAD tag is the check.

use crate::encoding::Encoder;
use crate::hazmat::{xopen, xseal};
use crate::id::Id;
use crate::kdf::{derive_kek, KdfParams};
use crate::secret::{random_bytes, AccountKey, DeviceKey, SecretString};
use crate::Error;

const LABEL_PW: &str = "coffer/v1/slot/password";
const LABEL_KC: &str = "coffer/v1/slot/keychain";

/// A password slot as stored in the identity file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSlot {
    /// Slot id.
    pub slot_id: Id,
    /// Argon2id salt.
    pub salt: [u8; 16],
    /// Argon2id parameters (bound into the AAD).
    pub params: KdfParams,
    /// `X(KEK, UAK, aad)`.
    pub ct: Vec<u8>,
}

fn pw_aad(identity: &Id, slot: &Id, salt: &[u8; 16], p: &KdfParams) -> Vec<u8> {
    let mut e = Encoder::new(LABEL_PW, 1);
    e.fixed(&identity.0)
        .fixed(&slot.0)
        .fixed(salt)
        .u32(p.m_kib)
        .u32(p.t)
        .u32(p.p);
    e.finish()
}

impl PasswordSlot {
    /// Seals `uak` under a key derived from `password` with `params`.
    pub fn seal(
        uak: &AccountKey,
        password: &SecretString,
        params: KdfParams,
        identity: &Id,
    ) -> Result<Self, Error> {
        let slot_id = Id::make();
        let salt: [u8; 16] = random_bytes();
        let kek = derive_kek(password, &salt, &params)?;
        let ct = xseal(
            &kek,
            uak.bytes(),
            &pw_aad(identity, &slot_id, &salt, &params),
        )?;
        Ok(Self {
            slot_id,
            salt,
            params,
            ct,
        })
    }

    /// Opens the slot. The parameters are checked against the floor and the
    /// ceiling *before* deriving; a wrong password and an edited slot both
    /// give [`Error::Decrypt`].
    pub fn open(&self, password: &SecretString, identity: &Id) -> Result<AccountKey, Error> {
        self.params.check_bounds()?;
        let kek = derive_kek(password, &self.salt, &self.params)?;
        let pt = xopen(
            &kek,
            &self.ct,
            &pw_aad(identity, &self.slot_id, &self.salt, &self.params),
        )?;
        AccountKey::from_slice(&pt)
    }
}

/// A keychain slot: the UAK sealed under a device key from the OS keychain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySlot {
    /// Slot id.
    pub slot_id: Id,
    /// `X(device_key, UAK, aad)`.
    pub ct: Vec<u8>,
}

fn kc_aad(identity: &Id, slot: &Id) -> Vec<u8> {
    let mut e = Encoder::new(LABEL_KC, 1);
    e.fixed(&identity.0).fixed(&slot.0);
    e.finish()
}

impl KeySlot {
    /// Seals `uak` under `device_key`.
    pub fn seal(uak: &AccountKey, device_key: &DeviceKey, identity: &Id) -> Result<Self, Error> {
        let slot_id = Id::make();
        let ct = xseal(device_key.bytes(), uak.bytes(), &kc_aad(identity, &slot_id))?;
        Ok(Self { slot_id, ct })
    }

    /// Opens the slot; a changed or foreign device key gives [`Error::Decrypt`].
    pub fn open(&self, device_key: &DeviceKey, identity: &Id) -> Result<AccountKey, Error> {
        let pt = xopen(
            device_key.bytes(),
            &self.ct,
            &kc_aad(identity, &self.slot_id),
        )?;
        AccountKey::from_slice(&pt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> SecretString {
        SecretString::new(s.into())
    }

    #[test]
    fn password_slot_round_trip_and_failures() {
        let id = Id::make();
        let uak = AccountKey::make();
        let slot =
            PasswordSlot::seal(&uak, &pw("correct horse"), KdfParams::FLOOR, &id).expect("seal");
        assert_eq!(slot.open(&pw("correct horse"), &id).expect("open"), uak);
        assert!(matches!(slot.open(&pw("wrong"), &id), Err(Error::Decrypt)));
        assert!(slot.open(&pw("correct horse"), &Id::make()).is_err());

        // Edited parameters: raised (still in bounds) → the AAD no longer matches.
        let mut raised = slot.clone();
        raised.params.t += 1;
        assert!(matches!(
            raised.open(&pw("correct horse"), &id),
            Err(Error::Decrypt)
        ));
        // Downgraded below the floor → refused before any derivation.
        let mut down = slot.clone();
        down.params.m_kib = 8;
        assert!(matches!(
            down.open(&pw("correct horse"), &id),
            Err(Error::KdfParams(_))
        ));
        // Edited salt.
        let mut salted = slot;
        salted.salt[0] ^= 1;
        assert!(salted.open(&pw("correct horse"), &id).is_err());
    }

    #[test]
    fn key_slot_round_trip_and_failures() {
        let id = Id::make();
        let uak = AccountKey::make();
        let dk = DeviceKey::make();
        let slot = KeySlot::seal(&uak, &dk, &id).expect("seal");
        assert_eq!(slot.open(&dk, &id).expect("open"), uak);
        assert!(slot.open(&DeviceKey::make(), &id).is_err());
        assert!(DeviceKey::from_keychain_bytes(b"short").is_err());
    }
}
