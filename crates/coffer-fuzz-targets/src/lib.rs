//! The logic of Coffer's fuzz targets: one plain function per parser of
//! outside input, so that the same code runs in two places.
//!
//! * `fuzz/` (its own cargo-fuzz workspace, nightly) wraps each function in
//!   a `fuzz_target!` and lets libFuzzer search for a panic: `make fuzz`.
//! * `tests/corpus.rs` (stable, part of `make test`) runs every function
//!   over its committed seed corpus, `fuzz/corpus/<target>/`, and checks
//!   that the valid seeds are still accepted.
//!
//! A function returns whether its input was *accepted* (parsed as valid);
//! it never panics on bad input. It panics — a finding — when a parser
//! crashes, or when an accepted input breaks a property stated below
//! (round trips, canonical encodings, a ciphertext that opens under a key
//! that is not its own). The input layouts of `wrap` and `slot` are this
//! crate's own (the records they carry are stored as columns and JSON
//! fields, not as one byte string); each is documented on its function.
//!
//! ```
//! // A dotenv file is accepted and reads back the same once re-rendered.
//! assert!(coffer_fuzz_targets::dotenv(b"KEY='a b'\nOTHER=1\n"));
//! assert!(!coffer_fuzz_targets::dotenv(b"not a dotenv line\n"));
//! ```
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use coffer_crypto::wrap::vectors as wrap_vectors;
use coffer_crypto::{
    item, DeviceKey, Id, KdfParams, KeySlot, PasswordSlot, PrivateIdentity, PublicIdentity,
    SecretString, WrapContext, WrappableKey,
};
use coffer_dotenv::{Dialect, ExportEntry, Format};
use coffer_vault::ops::OpBody;
use coffer_vault::settings::Settings;
use coffer_vault::sync::feed::Entry;

/// A fuzz target: its name (the folder of its corpus and the name of its
/// `fuzz/fuzz_targets/<name>.rs`) and its function.
pub struct Target {
    /// Name, as in `cargo fuzz run <name>`.
    pub name: &'static str,
    /// The function; returns whether the input was accepted.
    pub run: fn(&[u8]) -> bool,
}

/// Every target, in the order `make fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "dotenv",
        run: dotenv,
    },
    Target {
        name: "op_body",
        run: op_body,
    },
    Target {
        name: "feed_entry",
        run: feed_entry,
    },
    Target {
        name: "public_identity",
        run: public_identity,
    },
    Target {
        name: "wrap",
        run: wrap,
    },
    Target {
        name: "slot",
        run: slot,
    },
    Target {
        name: "identity_file",
        run: identity_file,
    },
    Target {
        name: "settings",
        run: settings,
    },
    Target {
        name: "template",
        run: template,
    },
];

/// The `.env` reader behind `coffer import` (`coffer_dotenv::parse`), fed
/// as import feeds it: the file's bytes, refused unless UTF-8.
///
/// Property: every entry has a valid key, no key twice, and when the
/// entries can be written in the portable dialect, reading that back gives
/// exactly the same keys and values.
pub fn dotenv(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(parsed) = coffer_dotenv::parse(text) else {
        return false;
    };
    for (i, p) in parsed.iter().enumerate() {
        assert!(
            coffer_dotenv::validate_key(&p.key).is_ok(),
            "entry {i}: an invalid key was accepted"
        );
        assert!(
            parsed[..i].iter().all(|q| q.key != p.key),
            "entry {i}: a duplicate key was accepted"
        );
    }
    let entries: Vec<ExportEntry<'_>> = parsed
        .iter()
        .map(|p| ExportEntry {
            key: &p.key,
            value: &p.value,
            notes: None,
        })
        .collect();
    if let Ok(file) = coffer_dotenv::render(&entries, Format::Dotenv, Dialect::Portable) {
        let back = coffer_dotenv::parse(&file).expect("a portable rendering parses back");
        assert_eq!(
            back.len(),
            parsed.len(),
            "entry count changed in a round trip"
        );
        for (a, b) in parsed.iter().zip(&back) {
            assert_eq!(a.key, b.key, "a key changed in a round trip");
            // Values are compared, never printed.
            assert!(
                a.value.as_str() == b.value.as_str(),
                "the value of {} changed in a round trip",
                a.key
            );
        }
    }
    true
}

/// The canonical decoder of op bodies (`OpBody::decode`): what a device
/// reads from its log and from every teammate's feed.
///
/// Property: the encoding is canonical — an accepted body re-encodes to
/// exactly the input bytes (no two byte strings mean the same op).
pub fn op_body(data: &[u8]) -> bool {
    let Ok(body) = OpBody::decode(data) else {
        return false;
    };
    assert!(
        body.encode() == data,
        "op body (kind {}) is not canonical",
        body.kind()
    );
    true
}

/// Feed entries (`sync::feed::Entry::decode`) as read from a shared folder
/// or git remote, and the op body each carries.
///
/// Property: an accepted entry re-encodes to exactly the input bytes and
/// its hash is computed without a panic. Accepted means the entry *and* its
/// body decode.
pub fn feed_entry(data: &[u8]) -> bool {
    let Ok(entry) = Entry::decode(data) else {
        return false;
    };
    assert!(entry.encode() == data, "feed entry is not canonical");
    let _ = entry.hash();
    let _ = entry.header.time_ms();
    op_body(&entry.body)
}

/// A public identity string as pasted by a teammate
/// (`PublicIdentity::parse`, behind `member add` and the app's add dialog).
///
/// Property: an accepted string parses the same after surrounding
/// whitespace is added, and its fingerprint is computed.
pub fn public_identity(data: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(p) = PublicIdentity::parse(s) else {
        return false;
    };
    let again = PublicIdentity::parse(&format!(" \n{s}\t\n")).expect("whitespace is trimmed");
    assert_eq!(again, p, "parsing depends on surrounding whitespace");
    assert_eq!(
        p.keys.fingerprint().len(),
        p.keys.fingerprint().trim().len()
    );
    let _ = coffer_vault::inspect_public_identity(s).expect("the vault accepts what crypto does");
    true
}

/// The fixed sender, recipient, keys and context of [`wrap`] and [`slot`].
pub struct Fixture {
    /// The wrap's sender.
    pub sender: PrivateIdentity,
    /// The wrap's recipient; also the identity the slots belong to.
    pub recipient: PrivateIdentity,
    /// Where the wrap belongs.
    pub ctx: WrapContext,
}

/// The environment key every wrap seed carries (`[0x11; 32]`).
pub const FIXED_ENV_KEY: [u8; 32] = [0x11; 32];
/// The item key every wrap seed carries (`[0x22; 32]`).
pub const FIXED_ITEM_KEY: [u8; 32] = [0x22; 32];
/// The item-key generation every item-key wrap seed is bound to (`[0x23; 32]`).
pub const FIXED_ITEM_KEY_GENERATION: coffer_crypto::ItemKeyGeneration =
    coffer_crypto::ItemKeyGeneration([0x23; 32]);
/// The account key every slot seed seals (`[0x33; 32]`).
pub const FIXED_ACCOUNT_KEY: [u8; 32] = [0x33; 32];
/// The device key of the keychain slot seeds (`[0x44; 32]`).
pub const FIXED_DEVICE_KEY: [u8; 32] = [0x44; 32];
/// The passphrase of the password slot seeds.
pub const FIXED_PASSPHRASE: &str = "fuzz passphrase";

/// The fixed identities and context, built once.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let sender = wrap_vectors::private_identity(Id([1; 16]), [0x51; 32], [0x52; 32])
            .expect("fixed sender");
        let recipient = wrap_vectors::private_identity(Id([2; 16]), [0x61; 32], [0x62; 32])
            .expect("fixed recipient");
        let ctx = WrapContext {
            vault_id: Id([3; 16]),
            object_id: Id([4; 16]),
            epoch: 5,
            recipient_id: recipient.id(),
            sender_id: sender.id(),
        };
        Fixture {
            sender,
            recipient,
            ctx,
        }
    })
}

/// A key wrap from another member, opened as a device opens one from a
/// teammate's op (`wrap::unwrap` for an environment key, `wrap::unwrap_share`
/// for an item key, bound to [`FIXED_ITEM_KEY_GENERATION`]), and in age mode.
///
/// Input layout: `kind (1: 0 = environment key, else item key) ‖ epk (32) ‖
/// sig (64) ‖ ct (rest)`, for the [`fixture`]'s sender, recipient and
/// context. Property: a wrap that opens carries exactly the fixed key of
/// its kind (anything else would be a forgery or a key confusion).
pub fn wrap(data: &[u8]) -> bool {
    let Some((&kind, rest)) = data.split_first() else {
        return false;
    };
    let (Some(epk), Some(sig)) = (array::<32>(rest, 0), array::<64>(rest, 32)) else {
        return false;
    };
    let ct = &rest[96..];
    let _ = coffer_crypto::wrap::age_mode_unwrap(&[0x61; 32], &epk, ct);
    if kind == 0 {
        opens_to(&epk, &sig, ct, item::vectors::env_key(FIXED_ENV_KEY))
    } else {
        // An entry share, as a reader opens one: bound to the item key's
        // generation (kind 3); a kind-2 wrap never opens.
        let f = fixture();
        match coffer_crypto::wrap::unwrap_share(
            &f.recipient,
            f.sender.public(),
            [&epk[..], ct, &sig[..]],
            &f.ctx,
            &FIXED_ITEM_KEY_GENERATION,
        ) {
            Ok(k) => {
                assert!(
                    k == item::vectors::item_key(FIXED_ITEM_KEY),
                    "a forged wrap opened"
                );
                true
            }
            Err(_) => false,
        }
    }
}

/// Unwraps as a `K` for the fixture; a wrap that opens must carry `want`.
fn opens_to<K: WrappableKey + PartialEq>(
    epk: &[u8; 32],
    sig: &[u8; 64],
    ct: &[u8],
    want: K,
) -> bool {
    let f = fixture();
    match coffer_crypto::wrap::unwrap::<K>(&f.recipient, f.sender.public(), epk, ct, sig, &f.ctx) {
        Ok(k) => {
            assert!(k == want, "a forged wrap opened");
            true
        }
        Err(_) => false,
    }
}

/// Slot records as stored in `identity.json`, opened as an unlock opens
/// them.
///
/// Input layout: `tag (1) ‖ slot_id (16) ‖ …`. Tag 0, a keychain slot:
/// `ct (rest)`, opened with [`FIXED_DEVICE_KEY`]. Any other tag, a
/// password slot: `salt (16) ‖ m_kib, t, p (u32 LE each) ‖ ct (rest)`;
/// the KDF bounds are checked as before every derivation, and the slot is
/// opened with [`FIXED_PASSPHRASE`] only when its parameters are exactly
/// the floor (19 MiB, t = 2): any other in-bounds cost is the same code
/// at a price libFuzzer cannot pay per input. Property: a slot that opens
/// yields exactly [`FIXED_ACCOUNT_KEY`].
pub fn slot(data: &[u8]) -> bool {
    let (Some(&tag), Some(slot_id)) = (data.first(), array::<16>(data, 1)) else {
        return false;
    };
    let slot_id = Id(slot_id);
    let identity = fixture().recipient.id();
    let want = wrap_vectors::account_key(FIXED_ACCOUNT_KEY);
    let opened = if tag == 0 {
        let Ok(dk) = DeviceKey::from_keychain_bytes(&FIXED_DEVICE_KEY) else {
            return false;
        };
        let s = KeySlot {
            slot_id,
            ct: data[17..].to_vec(),
        };
        s.open(&dk, &identity)
    } else {
        let (Some(salt), Some(m), Some(t), Some(p)) = (
            array::<16>(data, 17),
            array::<4>(data, 33),
            array::<4>(data, 37),
            array::<4>(data, 41),
        ) else {
            return false;
        };
        let s = PasswordSlot {
            slot_id,
            salt,
            params: KdfParams {
                m_kib: u32::from_le_bytes(m),
                t: u32::from_le_bytes(t),
                p: u32::from_le_bytes(p),
            },
            ct: data[45..].to_vec(),
        };
        if s.params.check_bounds().is_err() {
            return false;
        }
        if s.params != KdfParams::FLOOR {
            return true;
        }
        s.open(&SecretString::new(FIXED_PASSPHRASE.into()), &identity)
    };
    match opened {
        Ok(k) => {
            assert!(k == want, "a slot opened to another account key");
            true
        }
        Err(_) => false,
    }
}

/// `identity.json` (`coffer_vault::fuzz_identity_file`: the file, its keys
/// and both slots, short of the KDF).
///
/// Property: neither the sealed keys nor the keychain slot open under a
/// key that is not the file's. Accepted: well formed, KDF in bounds.
pub fn identity_file(data: &[u8]) -> bool {
    match coffer_vault::fuzz_identity_file(data) {
        Some(p) => {
            assert!(!p.opened_under_foreign_key, "opened under a foreign key");
            p.kdf_in_bounds
        }
        None => false,
    }
}

/// `settings.json` (`Settings::parse`), which the app reads at start and
/// which must never stop it.
///
/// Property: whatever the file, the settings in force are within their
/// ranges, and saving them then reading them back gives the same settings
/// with no warning. Accepted: no warning.
pub fn settings(data: &[u8]) -> bool {
    let (s, warnings) = Settings::parse(data);
    assert!(s.validate().is_ok(), "out-of-range settings were kept");
    // What `Settings::save` writes, without the file.
    let json = serde_json::to_vec_pretty(&s).expect("settings serialise");
    let (again, w2) = Settings::parse(&json);
    assert_eq!(again, s, "settings changed in a round trip");
    assert!(w2.is_empty(), "saved settings read back with warnings");
    warnings.is_empty()
}

/// A template for `coffer inject` (`Template::parse`, then `render`), and
/// through it every secret reference it holds (`Reference::parse`).
///
/// Properties: each reference found prints a canonical spelling that
/// parses back to it; rendering with any values (here a multi-line one
/// with quotes) either succeeds or refuses cleanly. Accepted: the template
/// parses and holds at least one placeholder.
pub fn template(data: &[u8]) -> bool {
    use coffer_vault::reference::Reference;
    use coffer_vault::template::Template;
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(t) = Template::parse(text, "fuzz") else {
        return false;
    };
    for l in t.references() {
        let canon = l.reference.to_string();
        let again = Reference::parse(&canon).expect("a canonical reference parses");
        assert_eq!(again, l.reference, "a reference changed in a round trip");
    }
    let values: Vec<SecretString> = t
        .references()
        .iter()
        .map(|_| SecretString::new("it's \"x\"\n$y".into()))
        .collect();
    let _ = t.render(&values);
    !t.references().is_empty()
}

/// `N` bytes of `data` from `at`, if there are that many.
fn array<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}
