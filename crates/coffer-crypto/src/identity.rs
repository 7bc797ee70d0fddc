//! A person's identity: an X25519 key pair (encryption) and an Ed25519 key
//! pair (signing), the copy-pasteable public identity string, and the
//! fingerprint people compare out of band.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::OsRng;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use crate::encoding::{Decoder, Encoder};
use crate::hazmat::{sha256, xopen, xseal};
use crate::id::Id;
use crate::secret::AccountKey;
use crate::Error;

const PUBLIC_PREFIX: &str = "coffer1-";
const LABEL_PUBLIC: &str = "coffer/v1/public-identity";
const LABEL_SELF_SIG: &str = "coffer/v1/public-identity-sig";
const LABEL_FPR: &str = "coffer/v1/fingerprint";
const LABEL_SEALED: &str = "coffer/v1/identity";

/// Domain-separation labels for everything an identity signs. A signature
/// made for one purpose can never be replayed as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignPurpose {
    /// An op-log entry.
    Op,
    /// A key wrap.
    Wrap,
    /// The self-signature inside a public identity string.
    PublicIdentity,
}

impl SignPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            SignPurpose::Op => b"coffer/v1/op-sig",
            SignPurpose::Wrap => b"coffer/v1/wrap-sig",
            SignPurpose::PublicIdentity => LABEL_SELF_SIG.as_bytes(),
        }
    }
}

/// The public half of an identity.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKeys {
    /// The identity (and member) id.
    pub id: Id,
    /// X25519 public key (recipient of wraps).
    pub x25519: [u8; 32],
    /// Ed25519 public key (verifies ops and wraps).
    pub ed25519: [u8; 32],
}

impl fmt::Debug for PublicKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKeys({}, {})", self.id, self.fingerprint())
    }
}

impl PublicKeys {
    /// The fingerprint: SHA-256 over the label, id and both public keys,
    /// first 128 bits as eight groups of four upper-case hex digits. 128 bits
    /// leaves no feasible second preimage, and people can read it aloud.
    pub fn fingerprint(&self) -> String {
        let h = sha256(&[
            LABEL_FPR.as_bytes(),
            &self.id.0,
            &self.x25519,
            &self.ed25519,
        ]);
        h[..16]
            .chunks(2)
            .map(|c| format!("{:02X}{:02X}", c[0], c[1]))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Verifies `sig` over `purpose ‖ msg` with this identity's Ed25519 key
    /// (strict verification: no malleable or small-order signatures).
    pub fn verify(&self, purpose: SignPurpose, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        let vk = VerifyingKey::from_bytes(&self.ed25519).map_err(|_| Error::Decrypt)?;
        let sig: [u8; 64] = sig.try_into().map_err(|_| Error::Decrypt)?;
        let sig = Signature::from_bytes(&sig);
        let mut m = Vec::with_capacity(purpose.label().len() + msg.len());
        m.extend_from_slice(purpose.label());
        m.extend_from_slice(msg);
        vk.verify_strict(&m, &sig).map_err(|_| Error::Decrypt)
    }
}

/// Normalises a fingerprint someone typed (case, spaces, dashes) for
/// comparison with [`PublicKeys::fingerprint`].
pub fn normalize_fingerprint(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A public identity as pasted between people: keys plus the name and email
/// its owner chose, self-signed so a typo or an edit is caught at paste time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicIdentity {
    /// The keys.
    pub keys: PublicKeys,
    /// The name the owner gave.
    pub name: String,
    /// The email the owner gave, if any.
    pub email: Option<String>,
}

impl PublicIdentity {
    fn body(&self) -> Vec<u8> {
        let mut e = Encoder::new(LABEL_PUBLIC, 1);
        e.fixed(&self.keys.id.0)
            .fixed(&self.keys.x25519)
            .fixed(&self.keys.ed25519)
            .str(&self.name)
            .opt_str(self.email.as_deref());
        e.finish()
    }

    /// Parses and checks a `coffer1-…` string (including its self-signature).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let rest = s
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or(Error::InvalidPublicIdentity(
                "it does not start with coffer1-",
            ))?;
        let raw = URL_SAFE_NO_PAD
            .decode(rest)
            .map_err(|_| Error::InvalidPublicIdentity("it is not valid base64url"))?;
        if raw.len() < 64 {
            return Err(Error::InvalidPublicIdentity("it is too short"));
        }
        let (body, sig) = raw.split_at(raw.len() - 64);
        let mut d = Decoder::new(body, LABEL_PUBLIC, 1)
            .map_err(|_| Error::InvalidPublicIdentity("unknown format"))?;
        let bad = |_| Error::InvalidPublicIdentity("it is truncated or corrupted");
        let keys = PublicKeys {
            id: Id(d.fixed().map_err(bad)?),
            x25519: d.fixed().map_err(bad)?,
            ed25519: d.fixed().map_err(bad)?,
        };
        let name = d.str().map_err(bad)?.to_string();
        let email = d.opt_str().map_err(bad)?.map(str::to_string);
        d.finish().map_err(bad)?;
        keys.verify(SignPurpose::PublicIdentity, body, sig)
            .map_err(|_| Error::InvalidPublicIdentity("its self-signature does not verify"))?;
        // A low-order X25519 key would make every wrap to it predictable (and
        // our wraps refuse it): reject it when pasted, with a clear reason.
        let probe = StaticSecret::random_from_rng(OsRng);
        if !probe
            .diffie_hellman(&XPublic::from(keys.x25519))
            .was_contributory()
        {
            return Err(Error::InvalidPublicIdentity(
                "its encryption key is a low-order point",
            ));
        }
        Ok(Self { keys, name, email })
    }
}

/// The private half: held only while unlocked. Zeroized on drop (both dalek
/// key types zeroize themselves); `Debug` shows only the public part.
pub struct PrivateIdentity {
    x: StaticSecret,
    ed: SigningKey,
    public: PublicKeys,
}

impl fmt::Debug for PrivateIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateIdentity({:?}, [redacted])", self.public)
    }
}

impl PrivateIdentity {
    /// Makes a new identity with fresh keys and a fresh id.
    pub fn make() -> Self {
        let x = StaticSecret::random_from_rng(OsRng);
        let ed = SigningKey::generate(&mut OsRng);
        Self::from_parts(Id::make(), x, ed)
    }

    fn from_parts(id: Id, x: StaticSecret, ed: SigningKey) -> Self {
        let public = PublicKeys {
            id,
            x25519: XPublic::from(&x).to_bytes(),
            ed25519: ed.verifying_key().to_bytes(),
        };
        Self { x, ed, public }
    }

    /// The public keys.
    pub fn public(&self) -> &PublicKeys {
        &self.public
    }

    /// The id.
    pub fn id(&self) -> Id {
        self.public.id
    }

    /// The Ed25519 seed, for deriving device-local keys (the caller
    /// zeroizes the copy).
    pub(crate) fn ed25519_seed(&self) -> [u8; 32] {
        self.ed.to_bytes()
    }

    pub(crate) fn x25519_secret(&self) -> &StaticSecret {
        &self.x
    }

    /// Signs `purpose ‖ msg` with the Ed25519 key.
    pub fn sign(&self, purpose: SignPurpose, msg: &[u8]) -> [u8; 64] {
        let mut m = Vec::with_capacity(purpose.label().len() + msg.len());
        m.extend_from_slice(purpose.label());
        m.extend_from_slice(msg);
        self.ed.sign(&m).to_bytes()
    }

    /// The self-signed public identity string (`coffer1-…`).
    pub fn public_identity_string(&self, name: &str, email: Option<&str>) -> String {
        let p = PublicIdentity {
            keys: self.public.clone(),
            name: name.to_string(),
            email: email.map(str::to_string),
        };
        let mut raw = p.body();
        let sig = self.sign(SignPurpose::PublicIdentity, &raw);
        raw.extend_from_slice(&sig);
        format!("{PUBLIC_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
    }

    fn sealed_aad(public: &PublicKeys) -> Vec<u8> {
        let mut e = Encoder::new(LABEL_SEALED, 1);
        e.fixed(&public.id.0)
            .fixed(&public.x25519)
            .fixed(&public.ed25519);
        e.finish()
    }

    /// Seals the private keys under the account key. The public keys and id
    /// are bound as associated data.
    pub fn seal(&self, uak: &AccountKey) -> Result<Vec<u8>, Error> {
        let mut pt = Zeroizing::new([0u8; 64]);
        pt[..32].copy_from_slice(self.x.as_bytes());
        pt[32..].copy_from_slice(self.ed.as_bytes());
        xseal(uak.bytes(), &*pt, &Self::sealed_aad(&self.public))
    }

    /// Opens sealed private keys, and checks that they match the stored
    /// public keys (a swapped public key in the file is an integrity error).
    pub fn open(public: &PublicKeys, sealed: &[u8], uak: &AccountKey) -> Result<Self, Error> {
        let pt = xopen(uak.bytes(), sealed, &Self::sealed_aad(public))?;
        if pt.len() != 64 {
            return Err(Error::Decrypt);
        }
        let mut xb = Zeroizing::new([0u8; 32]);
        xb.copy_from_slice(&pt[..32]);
        let mut eb = Zeroizing::new([0u8; 32]);
        eb.copy_from_slice(&pt[32..]);
        let me = Self::from_parts(
            public.id,
            StaticSecret::from(*xb),
            SigningKey::from_bytes(&eb),
        );
        let same =
            me.public.x25519.ct_eq(&public.x25519) & me.public.ed25519.ct_eq(&public.ed25519);
        if bool::from(same) {
            Ok(me)
        } else {
            Err(Error::Decrypt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Locking the desktop app (and ending any command) drops these; the
    /// claim that this wipes the private keys rests on the dalek types
    /// zeroizing themselves (their `zeroize` features), checked here.
    /// `StaticSecret` uses `#[zeroize(drop)]` (a zeroizing `Drop`, without
    /// the `ZeroizeOnDrop` marker), so it is checked as `Zeroize` + `Drop`.
    #[test]
    fn private_key_types_zeroize_on_drop() {
        fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        fn zeroize_and_drop<T: zeroize::Zeroize>() -> bool {
            std::mem::needs_drop::<T>()
        }
        zeroize_on_drop::<SigningKey>();
        zeroize_on_drop::<Zeroizing<[u8; 32]>>();
        assert!(zeroize_and_drop::<StaticSecret>());
    }

    #[test]
    fn public_identity_round_trip() {
        let me = PrivateIdentity::make();
        let s = me.public_identity_string("Ada", Some("ada@example.com"));
        let p = PublicIdentity::parse(&s).expect("parse");
        assert_eq!(&p.keys, me.public());
        assert_eq!(p.name, "Ada");
        assert_eq!(p.email.as_deref(), Some("ada@example.com"));
        assert_eq!(p.keys.fingerprint().len(), 39);
    }

    #[test]
    fn fail_public_identity_edited() {
        let me = PrivateIdentity::make();
        let s = me.public_identity_string("Ada", None);
        let mut raw = URL_SAFE_NO_PAD
            .decode(&s[PUBLIC_PREFIX.len()..])
            .expect("b64");
        let n = raw.len();
        raw[n - 70] ^= 1; // inside the name
        let edited = format!("{PUBLIC_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        assert!(PublicIdentity::parse(&edited).is_err());
        assert!(PublicIdentity::parse("nonsense").is_err());
    }

    #[test]
    fn seal_open_and_fail_wrong_public() {
        let me = PrivateIdentity::make();
        let uak = AccountKey::make();
        let sealed = me.seal(&uak).expect("seal");
        let back = PrivateIdentity::open(me.public(), &sealed, &uak).expect("open");
        assert_eq!(back.public(), me.public());
        let other = PrivateIdentity::make();
        let mut swapped = me.public().clone();
        swapped.x25519 = other.public().x25519;
        assert!(PrivateIdentity::open(&swapped, &sealed, &uak).is_err());
        assert!(PrivateIdentity::open(me.public(), &sealed, &AccountKey::make()).is_err());
    }

    #[test]
    fn signatures_are_domain_separated() {
        let me = PrivateIdentity::make();
        let sig = me.sign(SignPurpose::Op, b"msg");
        me.public()
            .verify(SignPurpose::Op, b"msg", &sig)
            .expect("ok");
        assert!(me.public().verify(SignPurpose::Wrap, b"msg", &sig).is_err());
        assert!(me.public().verify(SignPurpose::Op, b"msh", &sig).is_err());
    }
}
