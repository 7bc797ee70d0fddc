//! Wrapping an environment key or item key to a member, age-style, with a
//! sender signature (DESIGN.md §3):
//!
//! ```text
//! esk fresh per wrap; epk = X25519(esk, base)
//! ss = X25519(esk, pk_R)            -- abort unless contributory
//! k  = H(ss, salt = epk ‖ pk_R, info = "coffer/v1/wrap")
//! ct = C(k, nonce = 0^12, key, aad = kind ‖ vault_id ‖ object_id ‖ epoch ‖ recipient_id ‖ sender_id)
//! sig = Ed25519(sender, "coffer/v1/wrap-sig" ‖ aad ‖ epk ‖ ct)
//! ```
//!
//! The reader rebuilds the AAD from its own context — never from fields
//! stored beside the ciphertext — so a wrap moved to another member, object,
//! epoch or sender fails.
//!
//! An entry share (an item key wrapped to one member) also commits to the
//! item key's *generation* ([`ItemKeyGeneration`]): kind 3,
//! `aad = 3 ‖ vault_id ‖ item_id ‖ epoch ‖ recipient_id ‖ sender_id ‖ generation`.
//! An item key is replaced within an epoch (unshare, offboarding of a
//! share holder), so the epoch alone does not tell a wrap of the current
//! item key from a wrap of an older one; with the generation in the AAD, a
//! wrap of an older item key swapped in for the current one fails.
//! A wrap of an item key without the generation (kind 2, what shares were
//! before) cannot say which item key it hands out: [`wrap`] refuses to
//! make one and [`unwrap`] to open one (the product is pre-release: no
//! legacy path; docs/design-decisions.md).

use rand_core::OsRng;
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use crate::hazmat::{copen_zero_nonce, cseal_zero_nonce, hkdf};
use crate::id::Id;
use crate::identity::{PrivateIdentity, PublicKeys, SignPurpose};
use crate::secret::{ItemKey, WrappableKey};
use crate::Error;

const INFO: &[u8] = b"coffer/v1/wrap";
/// age's X25519 recipient stanza info string ("age mode", for test vectors).
pub const AGE_INFO: &[u8] = b"age-encryption.org/v1/X25519";

/// Length of a wrapped 32-byte key (ciphertext + tag).
pub const WRAP_CT_LEN: usize = 48;

/// Where a wrap belongs. Every field is bound into the AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrapContext {
    /// The vault.
    pub vault_id: Id,
    /// The environment (for an EK) or item (for an IK).
    pub object_id: Id,
    /// The environment epoch the key belongs to.
    pub epoch: u64,
    /// The member the wrap is for.
    pub recipient_id: Id,
    /// The member who made (and signed) the wrap.
    pub sender_id: Id,
}

impl WrapContext {
    fn aad(&self, kind: u8) -> [u8; 73] {
        let mut a = [0u8; 73];
        a[0] = kind;
        a[1..17].copy_from_slice(&self.vault_id.0);
        a[17..33].copy_from_slice(&self.object_id.0);
        a[33..41].copy_from_slice(&self.epoch.to_le_bytes());
        a[41..57].copy_from_slice(&self.recipient_id.0);
        a[57..73].copy_from_slice(&self.sender_id.0);
        a
    }
}

/// Kind byte of a generation-bound item-key wrap (entry share, format 2).
const KIND_ITEM_KEY_GENERATION: u8 = 3;

/// Which item key of an item a share is for: a digest of the item key as
/// sealed under the environment key (`ik_ct`), which is replaced exactly
/// when the item key is (a fresh key and nonce each time), so two
/// generations never share a value and no counter has to be kept in step.
/// `generation = SHA-256("coffer/v1/ik-generation" ‖ ik_ct)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemKeyGeneration(pub [u8; 32]);

impl ItemKeyGeneration {
    /// The generation of the item key sealed as `ik_ct`.
    pub fn of_sealed(ik_ct: &[u8]) -> Self {
        Self(crate::hazmat::sha256(&[b"coffer/v1/ik-generation", ik_ct]))
    }
}

fn generation_aad(ctx: &WrapContext, generation: &ItemKeyGeneration) -> [u8; 105] {
    let mut a = [0u8; 105];
    a[..73].copy_from_slice(&ctx.aad(KIND_ITEM_KEY_GENERATION));
    a[73..].copy_from_slice(&generation.0);
    a
}

/// A wrapped key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrap {
    /// Ephemeral public key.
    pub epk: [u8; 32],
    /// `C(k, 0^12, key, aad)`.
    pub ct: Vec<u8>,
    /// The sender's signature.
    pub sig: [u8; 64],
}

fn signed_message(aad: &[u8], epk: &[u8], ct: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(aad.len() + epk.len() + ct.len());
    m.extend_from_slice(aad);
    m.extend_from_slice(epk);
    m.extend_from_slice(ct);
    m
}

/// Shared-secret step; refuses non-contributory results (a low-order
/// point makes the shared secret all zero and the key predictable).
fn shared(ss: x25519_dalek::SharedSecret) -> Result<Zeroizing<[u8; 32]>, Error> {
    if !ss.was_contributory() {
        return Err(Error::Decrypt);
    }
    Ok(Zeroizing::new(*ss.as_bytes()))
}

fn wrap_key(ss: &[u8; 32], epk: &[u8; 32], pk_r: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(epk);
    salt[32..].copy_from_slice(pk_r);
    hkdf(ss, &salt, info)
}

/// Wraps `key` from `sender` to `recipient`, with a fresh ephemeral key.
/// An environment key only: an item key is wrapped with its generation
/// ([`wrap_item_key`]); asked to wrap one here, this refuses with
/// [`Error::Encrypt`].
pub fn wrap<K: WrappableKey>(
    sender: &PrivateIdentity,
    recipient: &PublicKeys,
    key: &K,
    ctx: &WrapContext,
) -> Result<Wrap, Error> {
    if K::KIND == ItemKey::KIND {
        return Err(Error::Encrypt);
    }
    // Used for exactly one Diffie-Hellman, then dropped (zeroized).
    wrap_with(
        StaticSecret::random_from_rng(OsRng),
        sender,
        recipient,
        key,
        ctx,
    )
}

/// The construction, given the ephemeral secret (fresh in [`wrap`], fixed
/// only by the frozen test vectors).
fn wrap_with<K: WrappableKey>(
    esk: StaticSecret,
    sender: &PrivateIdentity,
    recipient: &PublicKeys,
    key: &K,
    ctx: &WrapContext,
) -> Result<Wrap, Error> {
    wrap_with_aad(esk, sender, recipient, key, &ctx.aad(K::KIND))
}

fn wrap_with_aad<K: WrappableKey>(
    esk: StaticSecret,
    sender: &PrivateIdentity,
    recipient: &PublicKeys,
    key: &K,
    aad: &[u8],
) -> Result<Wrap, Error> {
    let epk = XPublic::from(&esk).to_bytes();
    let ss = shared(esk.diffie_hellman(&XPublic::from(recipient.x25519)))?;
    let k = wrap_key(&ss, &epk, &recipient.x25519, INFO);
    let ct = cseal_zero_nonce(&k, key.key_bytes(), aad)?;
    let sig = sender.sign(SignPurpose::Wrap, &signed_message(aad, &epk, &ct));
    Ok(Wrap { epk, ct, sig })
}

/// Wraps an item key (entry share) bound to its generation (kind 3).
pub fn wrap_item_key(
    sender: &PrivateIdentity,
    recipient: &PublicKeys,
    key: &ItemKey,
    ctx: &WrapContext,
    generation: &ItemKeyGeneration,
) -> Result<Wrap, Error> {
    wrap_with_aad(
        StaticSecret::random_from_rng(OsRng),
        sender,
        recipient,
        key,
        &generation_aad(ctx, generation),
    )
}

/// Unwraps an entry share made by [`wrap_item_key`] for `generation`, the
/// generation of the item's current key as the reader's own state has it.
/// A wrap of another generation is [`Error::Decrypt`].
pub fn unwrap_item_key(
    recipient: &PrivateIdentity,
    sender: &PublicKeys,
    epk: &[u8],
    ct: &[u8],
    sig: &[u8],
    ctx: &WrapContext,
    generation: &ItemKeyGeneration,
) -> Result<ItemKey, Error> {
    unwrap_aad(
        recipient,
        sender,
        epk,
        ct,
        sig,
        ctx,
        &generation_aad(ctx, generation),
    )
}

/// Whether an entry share made by [`wrap_item_key`] is `sender`'s wrap of
/// the item key of `generation`, for the context `ctx`: its signature only
/// (lengths first), so anyone who knows the sender's pinned key can tell,
/// without being its recipient, which item key a share hands out. A
/// device that re-signs or carries on someone else's share checks with it
/// that the share it vouches for is the one it means (the key of the
/// generation it names, or the item's key now).
pub fn verify_item_key_wrap(
    sender: &PublicKeys,
    record: [&[u8]; 3],
    ctx: &WrapContext,
    generation: &ItemKeyGeneration,
) -> bool {
    let [epk, ct, sig] = record;
    epk.len() == 32
        && ct.len() == WRAP_CT_LEN
        && sig.len() == 64
        && ctx.sender_id == sender.id
        && sender
            .verify(
                SignPurpose::Wrap,
                &signed_message(&generation_aad(ctx, generation), epk, ct),
                sig,
            )
            .is_ok()
}

/// Unwraps an entry share as a reader must: as made by [`wrap_item_key`]
/// for `generation` (the item's current key, as the reader's own state has
/// it), and only so. A share without the generation (kind 2, made before
/// shares were bound to one) is [`Error::Decrypt`] like any other wrap
/// that does not open: it cannot tell a wrap of the current item key from
/// one of an older key. `record` is `[epk, ct, sig]`.
pub fn unwrap_share(
    recipient: &PrivateIdentity,
    sender: &PublicKeys,
    record: [&[u8]; 3],
    ctx: &WrapContext,
    generation: &ItemKeyGeneration,
) -> Result<ItemKey, Error> {
    let [epk, ct, sig] = record;
    unwrap_item_key(recipient, sender, epk, ct, sig, ctx, generation)
}

/// Unwraps a key addressed to `recipient`, made by `sender` (whose pinned
/// public keys the caller supplies). Lengths are checked first, then the
/// signature, then the AEAD; every failure is [`Error::Decrypt`]. An
/// environment key only: an item key opens with its generation
/// ([`unwrap_share`]), and asked for one here this refuses (a wrap of kind
/// 2 is never opened).
pub fn unwrap<K: WrappableKey>(
    recipient: &PrivateIdentity,
    sender: &PublicKeys,
    epk: &[u8],
    ct: &[u8],
    sig: &[u8],
    ctx: &WrapContext,
) -> Result<K, Error> {
    if K::KIND == ItemKey::KIND {
        return Err(Error::Decrypt);
    }
    unwrap_aad(recipient, sender, epk, ct, sig, ctx, &ctx.aad(K::KIND))
}

fn unwrap_aad<K: WrappableKey>(
    recipient: &PrivateIdentity,
    sender: &PublicKeys,
    epk: &[u8],
    ct: &[u8],
    sig: &[u8],
    ctx: &WrapContext,
    aad: &[u8],
) -> Result<K, Error> {
    if epk.len() != 32 || ct.len() != WRAP_CT_LEN || sig.len() != 64 {
        return Err(Error::Decrypt);
    }
    if ctx.recipient_id != recipient.id() || ctx.sender_id != sender.id {
        return Err(Error::Decrypt);
    }
    sender.verify(SignPurpose::Wrap, &signed_message(aad, epk, ct), sig)?;
    let epk: [u8; 32] = epk.try_into().map_err(|_| Error::Decrypt)?;
    let ss = shared(
        recipient
            .x25519_secret()
            .diffie_hellman(&XPublic::from(epk)),
    )?;
    let k = wrap_key(&ss, &epk, &recipient.public().x25519, INFO);
    let pt = copen_zero_nonce(&k, ct, aad)?;
    K::from_key_bytes(&pt)
}

/// "Age mode": the same key schedule with age's info string and an empty
/// AAD, so the construction can be checked against age's own X25519
/// stanzas. Opens a stanza body for the identity `secret`, returning the
/// file key. Used by the test vectors only.
pub fn age_mode_unwrap(
    secret: &[u8; 32],
    epk: &[u8; 32],
    body: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let sk = StaticSecret::from(*secret);
    let pk = XPublic::from(&sk).to_bytes();
    let ss = shared(sk.diffie_hellman(&XPublic::from(*epk)))?;
    let k = wrap_key(&ss, epk, &pk, AGE_INFO);
    copen_zero_nonce(&k, body, &[])
}

/// Frozen-vector helpers: a deterministic [`wrap()`], identities and account
/// keys from fixed bytes, and the raw `X` opener, so `tests/` can pin exact
/// bytes and run Wycheproof through the crate's own code. Never use outside
/// tests.
#[doc(hidden)]
pub mod vectors {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::encoding::Encoder;
    use crate::hazmat::{xopen, xseal};
    use crate::secret::AccountKey;

    /// [`wrap()`] with a caller-chosen ephemeral secret instead of a fresh
    /// one; the same code path, so (Ed25519 signatures being
    /// deterministic) the whole wrap is reproducible.
    pub fn wrap_with_esk<K: WrappableKey>(
        esk: [u8; 32],
        sender: &PrivateIdentity,
        recipient: &PublicKeys,
        key: &K,
        ctx: &WrapContext,
    ) -> Result<Wrap, Error> {
        super::wrap_with(StaticSecret::from(esk), sender, recipient, key, ctx)
    }

    /// [`wrap_item_key`] with a caller-chosen ephemeral secret.
    pub fn wrap_item_key_with_esk(
        esk: [u8; 32],
        sender: &PrivateIdentity,
        recipient: &PublicKeys,
        key: &ItemKey,
        ctx: &WrapContext,
        generation: &ItemKeyGeneration,
    ) -> Result<Wrap, Error> {
        super::wrap_with_aad(
            StaticSecret::from(esk),
            sender,
            recipient,
            key,
            &super::generation_aad(ctx, generation),
        )
    }

    /// A private identity from fixed key bytes (X25519 secret, Ed25519
    /// seed). Built through the real sealed-identity path
    /// ([`PrivateIdentity::open`]) under a throwaway account key.
    pub fn private_identity(
        id: Id,
        x25519_secret: [u8; 32],
        ed25519_seed: [u8; 32],
    ) -> Result<PrivateIdentity, Error> {
        let public = PublicKeys {
            id,
            x25519: XPublic::from(&StaticSecret::from(x25519_secret)).to_bytes(),
            ed25519: SigningKey::from_bytes(&ed25519_seed)
                .verifying_key()
                .to_bytes(),
        };
        let mut aad = Encoder::new("coffer/v1/identity", 1);
        aad.fixed(&public.id.0)
            .fixed(&public.x25519)
            .fixed(&public.ed25519);
        let mut pt = Zeroizing::new([0u8; 64]);
        pt[..32].copy_from_slice(&x25519_secret);
        pt[32..].copy_from_slice(&ed25519_seed);
        let uak = AccountKey::make();
        let sealed = xseal(uak.bytes(), &*pt, &aad.finish())?;
        PrivateIdentity::open(&public, &sealed, &uak)
    }

    /// An account key from fixed bytes.
    pub fn account_key(b: [u8; 32]) -> AccountKey {
        AccountKey::from_array(b)
    }

    /// The crate's `X` opener on `nonce ‖ ct ‖ tag` with any key and AAD
    /// (for the Wycheproof XChaCha20-Poly1305 set).
    pub fn xchacha_open(
        key: [u8; 32],
        blob: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        xopen(&key, blob, aad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{EnvKey, ItemKey};

    fn ctx(a: &PrivateIdentity, b: &PrivateIdentity) -> WrapContext {
        WrapContext {
            vault_id: Id::make(),
            object_id: Id::make(),
            epoch: 3,
            recipient_id: b.id(),
            sender_id: a.id(),
        }
    }

    #[test]
    fn round_trip() {
        let (a, b) = (PrivateIdentity::make(), PrivateIdentity::make());
        let c = ctx(&a, &b);
        let ek = EnvKey::make();
        let w = wrap(&a, b.public(), &ek, &c).expect("wrap");
        let back: EnvKey = unwrap(&b, a.public(), &w.epk, &w.ct, &w.sig, &c).expect("unwrap");
        assert_eq!(back, ek);
    }

    #[test]
    fn fail_a_share_of_another_generation() {
        let (a, b) = (PrivateIdentity::make(), PrivateIdentity::make());
        let c = ctx(&a, &b);
        let ik = ItemKey::make();
        let (g1, g2) = (
            ItemKeyGeneration::of_sealed(b"first"),
            ItemKeyGeneration::of_sealed(b"second"),
        );
        let w = wrap_item_key(&a, b.public(), &ik, &c, &g1).expect("wrap");
        let open = |g| unwrap_item_key(&b, a.public(), &w.epk, &w.ct, &w.sig, &c, g);
        assert_eq!(open(&g1).expect("same generation"), ik);
        assert_eq!(open(&g2), Err(Error::Decrypt));
        let share = |w: &Wrap, g| unwrap_share(&b, a.public(), [&w.epk, &w.ct, &w.sig], &c, g);
        assert_eq!(share(&w, &g2), Err(Error::Decrypt), "no fallback for it");
        // A legacy share (kind 2, no generation: made here with the
        // vectors' deterministic wrap, as `wrap` refuses an item key) opens
        // neither as kind 3, nor as a share, nor through `unwrap`.
        assert_eq!(
            wrap(&a, b.public(), &ik, &c),
            Err(Error::Encrypt),
            "no kind-2 wrap is made"
        );
        let old = vectors::wrap_with_esk([7; 32], &a, b.public(), &ik, &c).expect("legacy wrap");
        assert!(unwrap_item_key(&b, a.public(), &old.epk, &old.ct, &old.sig, &c, &g1).is_err());
        assert_eq!(share(&old, &g1), Err(Error::Decrypt), "a legacy share");
        assert!(unwrap::<ItemKey>(&b, a.public(), &old.epk, &old.ct, &old.sig, &c).is_err());
    }

    #[test]
    fn a_share_is_verified_for_its_generation_only() {
        let (a, b, m) = (
            PrivateIdentity::make(),
            PrivateIdentity::make(),
            PrivateIdentity::make(),
        );
        let c = ctx(&a, &b);
        let ik = ItemKey::make();
        let (g1, g2) = (
            ItemKeyGeneration::of_sealed(b"first"),
            ItemKeyGeneration::of_sealed(b"second"),
        );
        let w = wrap_item_key(&a, b.public(), &ik, &c, &g1).expect("wrap");
        let rec = [&w.epk[..], &w.ct[..], &w.sig[..]];
        assert!(verify_item_key_wrap(a.public(), rec, &c, &g1));
        assert!(!verify_item_key_wrap(a.public(), rec, &c, &g2));
        assert!(
            !verify_item_key_wrap(m.public(), rec, &c, &g1),
            "another sender"
        );
        let other = WrapContext { epoch: 4, ..c };
        assert!(!verify_item_key_wrap(a.public(), rec, &other, &g1));
        let legacy = vectors::wrap_with_esk([7; 32], &a, b.public(), &ik, &c).expect("legacy wrap");
        let rec = [&legacy.epk[..], &legacy.ct[..], &legacy.sig[..]];
        assert!(
            !verify_item_key_wrap(a.public(), rec, &c, &g1),
            "no generation"
        );
        assert!(!verify_item_key_wrap(
            a.public(),
            [&w.epk[..], &w.ct[..1], &w.sig[..]],
            &c,
            &g1
        ));
    }

    #[test]
    fn fail_every_context_change() {
        let (a, b, m) = (
            PrivateIdentity::make(),
            PrivateIdentity::make(),
            PrivateIdentity::make(),
        );
        let c = ctx(&a, &b);
        let ek = EnvKey::make();
        let w = wrap(&a, b.public(), &ek, &c).expect("wrap");
        let try_ = |who: &PrivateIdentity, snd: &PublicKeys, c: &WrapContext| {
            unwrap::<EnvKey>(who, snd, &w.epk, &w.ct, &w.sig, c).is_err()
        };
        // moved to another member
        assert!(try_(
            &m,
            a.public(),
            &WrapContext {
                recipient_id: m.id(),
                ..c
            }
        ));
        // changed sender
        assert!(try_(
            &b,
            m.public(),
            &WrapContext {
                sender_id: m.id(),
                ..c
            }
        ));
        // another object / epoch / vault
        assert!(try_(
            &b,
            a.public(),
            &WrapContext {
                object_id: Id::make(),
                ..c
            }
        ));
        assert!(try_(&b, a.public(), &WrapContext { epoch: 2, ..c }));
        assert!(try_(
            &b,
            a.public(),
            &WrapContext {
                vault_id: Id::make(),
                ..c
            }
        ));
        // as an item key (kind byte differs)
        assert!(unwrap::<ItemKey>(&b, a.public(), &w.epk, &w.ct, &w.sig, &c).is_err());
        // flipped bits, short fields
        let mut ct = w.ct.clone();
        ct[0] ^= 1;
        assert!(unwrap::<EnvKey>(&b, a.public(), &w.epk, &ct, &w.sig, &c).is_err());
        assert!(unwrap::<EnvKey>(&b, a.public(), &w.epk, &w.ct[..47], &w.sig, &c).is_err());
        // a low-order epk (all zero) is refused
        let zero = [0u8; 32];
        assert!(unwrap::<EnvKey>(&b, a.public(), &zero, &w.ct, &w.sig, &c).is_err());
    }
}
