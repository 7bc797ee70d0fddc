//! Secret material: one newtype per key purpose, zeroized on drop, with a
//! redacted `Debug`, constant-time equality, and no `Display` or `Serialize`.

use core::fmt;

use rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// The bytes live on the heap from the start, so moving a key moves
        /// a pointer and leaves no copy of them on the stack.
        pub struct $name(Box<Zeroizing<[u8; 32]>>);

        impl $name {
            /// Makes a new key from the operating system's CSPRNG.
            pub fn make() -> Self {
                let mut k = Box::new(Zeroizing::new([0u8; 32]));
                let buf: &mut [u8; 32] = &mut k;
                OsRng.fill_bytes(buf);
                Self(k)
            }

            /// A key from bytes passed by value (the test vectors): the
            /// argument is this function's own copy, wiped once copied.
            #[allow(dead_code)] // no vector builds a DeviceKey from bytes
            pub(crate) fn from_array(mut bytes: [u8; 32]) -> Self {
                let k = Self::from_32(&bytes);
                bytes.zeroize();
                k
            }

            /// A key from a decrypted buffer: copied straight into the
            /// heap, never through an array on the stack.
            pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
                if bytes.len() != 32 {
                    return Err(Error::Decrypt);
                }
                Ok(Self::from_32(bytes))
            }

            fn from_32(bytes: &[u8]) -> Self {
                let mut k = Box::new(Zeroizing::new([0u8; 32]));
                k.copy_from_slice(bytes);
                Self(k)
            }

            pub(crate) fn bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// A second copy of the key in its own zeroizing allocation
            /// (explicit: the type is not `Clone`, so no copy is made by
            /// accident).
            pub fn duplicate(&self) -> Self {
                Self::from_32(&self.0[..])
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.bytes().ct_eq(other.bytes().as_slice()).into()
            }
        }

        impl Eq for $name {}
    };
}

key_type!(
    /// The user account key (UAK): seals an identity's private keys. It sits
    /// in one or more slots (password, keychain).
    AccountKey
);
key_type!(
    /// An environment key (EK) for one epoch: seals the item keys of that
    /// environment and is wrapped to every member with a grant.
    EnvKey
);
key_type!(
    /// An item key (IK): seals one item's blob, every version of it.
    ItemKey
);
key_type!(
    /// A per-device key kept in the OS keychain; opens the keychain slot.
    DeviceKey
);

impl DeviceKey {
    /// The raw bytes, to hand to the OS keychain. The only way a device key
    /// leaves this crate: callers must store it nowhere else.
    pub fn dangerous_expose_bytes(&self) -> &[u8; 32] {
        self.bytes()
    }

    /// Rebuilds a device key read back from the OS keychain. Anything but 32
    /// bytes is refused with [`Error::Decrypt`] (the entry cannot open the slot).
    pub fn from_keychain_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_slice(bytes)
    }
}

/// Keys that can be wrapped to a member (environment keys and item keys).
pub trait WrappableKey: Sized + private::Sealed {
    /// The wrap kind byte bound into the wrap's associated data.
    const KIND: u8;
    #[doc(hidden)]
    fn key_bytes(&self) -> &[u8; 32];
    #[doc(hidden)]
    fn from_key_bytes(b: &[u8]) -> Result<Self, Error>;
}

mod private {
    pub trait Sealed {}
    impl Sealed for super::EnvKey {}
    impl Sealed for super::ItemKey {}
}

impl WrappableKey for EnvKey {
    const KIND: u8 = 1;
    fn key_bytes(&self) -> &[u8; 32] {
        self.bytes()
    }
    fn from_key_bytes(b: &[u8]) -> Result<Self, Error> {
        Self::from_slice(b)
    }
}

impl WrappableKey for ItemKey {
    const KIND: u8 = 2;
    fn key_bytes(&self) -> &[u8; 32] {
        self.bytes()
    }
    fn from_key_bytes(b: &[u8]) -> Result<Self, Error> {
        Self::from_slice(b)
    }
}

/// Secret bytes of any length (a credential value, a decrypted item).
/// Zeroized on drop; `Debug` is redacted.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// The secret bytes. Every caller outside this crate says why it needs them.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(v: Zeroizing<Vec<u8>>) -> Self {
        Self(v)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([redacted; {}])", self.0.len())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.ct_eq(&other.0))
    }
}
impl Eq for SecretBytes {}

/// A secret UTF-8 string (a password, a credential value). Zeroized on drop;
/// `Debug` is redacted; no `Display`.
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `s`.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
    /// The secret text. Every caller outside this crate says why it needs it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl SecretString {
    /// Decrypted bytes as a secret string, for the foreign formats' opened
    /// values; bytes that are not UTF-8 are wiped and reported as
    /// [`Error::Decrypt`] (a value that does not open).
    pub(crate) fn from_decrypted(mut bytes: Zeroizing<Vec<u8>>) -> Result<Self, Error> {
        String::from_utf8(std::mem::take(&mut *bytes))
            .map(|s| SecretString(Zeroizing::new(s)))
            .map_err(|e| {
                let mut bytes = e.into_bytes();
                zeroize::Zeroize::zeroize(&mut bytes);
                Error::Decrypt
            })
    }
}

impl From<Zeroizing<String>> for SecretString {
    fn from(v: Zeroizing<String>) -> Self {
        Self(v)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}
impl Eq for SecretString {}

/// Fills a fresh array from the operating system's CSPRNG. The array is
/// returned by value: for secret bytes use [`fill_random`] on a
/// `Zeroizing` buffer instead.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// Fills `buf` from the operating system's CSPRNG, in place (no copy is
/// left anywhere else).
pub fn fill_random(buf: &mut [u8]) {
    OsRng.fill_bytes(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let k = ItemKey::from_array([0x41; 32]);
        let s = format!("{k:?}");
        assert_eq!(s, "ItemKey([redacted])");
        let v = SecretString::new("canary-value".into());
        assert!(!format!("{v:?}").contains("canary"));
        let b = SecretBytes::new(b"canary-value".to_vec());
        assert!(!format!("{b:?}").contains("canary"));
    }

    /// Moving a key (returning it, storing it) copies a pointer, so no
    /// stack copy of its bytes is left behind; the heap copy is wiped on
    /// drop.
    #[test]
    fn fail_a_key_moved_by_value_copies_its_bytes() {
        assert_eq!(std::mem::size_of::<ItemKey>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<AccountKey>(),
            std::mem::size_of::<usize>()
        );
        fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroize_on_drop::<Zeroizing<[u8; 32]>>();
        assert!(std::mem::needs_drop::<EnvKey>());
        // Still the same bytes in and out, and a wrong length refused.
        let k = ItemKey::from_slice(&[7; 32]).expect("32 bytes");
        assert_eq!(k.bytes(), &[7; 32]);
        assert_eq!(k, ItemKey::from_array([7; 32]));
        assert_ne!(k, ItemKey::from_array([8; 32]));
        assert!(ItemKey::from_slice(&[7; 31]).is_err());
        assert!(ItemKey::from_slice(&[7; 33]).is_err());
    }

    #[test]
    fn make_is_random() {
        assert_ne!(EnvKey::make(), EnvKey::make());
    }
}
