//! Frozen vectors for Coffer's own constructions (DESIGN.md §3). The bytes
//! in `tests/vectors/*.txt` are a stability commitment: a change to a label,
//! an AAD layout, a key schedule or an encoding must break this test, and a
//! vault written by an older build must keep opening.
//!
//! Each file is one vector (testkit-style, after `age/tests/testkit.rs`):
//! `#` comment lines, a `# expect: ok` or `# expect: fail` header, for
//! failures a `# error: <variant>` header, then `field: value` lines (hex
//! unless the field is a number or text). Negative vectors are named
//! `fail_*`. The test is driven by the directory: adding a file adds a case.
//!
//! - `expect: ok` — sealing (where the construction is deterministic given
//!   its inputs) reproduces the stored bytes exactly, and the crate's real
//!   opener returns the stored plaintext or key.
//! - `expect: fail` — the crate's real opener refuses with exactly the error
//!   variant named (every authentication failure is `Error::Decrypt`: no
//!   oracle).
//!
//! The `ok` vectors were cross-checked once, when made, against an
//! independent implementation of DESIGN.md §3 (Python: PyNaCl, cryptography,
//! argon2-cffi); see `tests/vectors/README.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use coffer_crypto::item::vectors::{env_key, item_key, seal_item_fixed, seal_item_key_fixed};
use coffer_crypto::wrap::vectors::{
    account_key, private_identity, wrap_item_key_with_esk, wrap_with_esk,
};
use coffer_crypto::{
    wrap, DeviceKey, EnvKey, Error, Id, ItemContext, ItemKey, ItemKeyContext, ItemKeyGeneration,
    KdfParams, KeySlot, PasswordSlot, PrivateIdentity, PublicIdentity, PublicKeys, SecretString,
    ValueTag, ValueTagContext, WrapContext,
};

/// One vector file.
struct Vector {
    name: String,
    expect_ok: bool,
    error: Option<String>,
    fields: BTreeMap<String, String>,
}

impl Vector {
    fn parse(name: &str, text: &str) -> Result<Self, String> {
        let mut expect = None;
        let mut error = None;
        let mut fields = BTreeMap::new();
        for line in text.lines() {
            if let Some(c) = line.strip_prefix('#') {
                let c = c.trim();
                if let Some(e) = c.strip_prefix("expect:") {
                    expect = Some(e.trim().to_string());
                } else if let Some(e) = c.strip_prefix("error:") {
                    error = Some(e.trim().to_string());
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let (k, v) = line
                .split_once(": ")
                .ok_or_else(|| format!("not a `field: value` line: {line:?}"))?;
            if fields.insert(k.to_string(), v.to_string()).is_some() {
                return Err(format!("duplicate field {k}"));
            }
        }
        let expect_ok = match expect.as_deref() {
            Some("ok") => true,
            Some("fail") => false,
            other => return Err(format!("bad or missing `# expect:` header: {other:?}")),
        };
        if expect_ok == name.starts_with("fail_") {
            return Err("negative vectors, and only they, are named fail_*".into());
        }
        if expect_ok == error.is_some() {
            return Err("`# error:` is required on, and only on, expect: fail".into());
        }
        Ok(Self {
            name: name.to_string(),
            expect_ok,
            error,
            fields,
        })
    }

    fn text(&self, k: &str) -> &str {
        self.fields
            .get(k)
            .unwrap_or_else(|| panic!("{}: missing field {k}", self.name))
    }

    fn opt_text(&self, k: &str) -> Option<&str> {
        self.fields.get(k).map(String::as_str)
    }

    fn hex(&self, k: &str) -> Vec<u8> {
        hex::decode(self.text(k)).unwrap_or_else(|e| panic!("{}: field {k}: {e}", self.name))
    }

    fn arr<const N: usize>(&self, k: &str) -> [u8; N] {
        self.hex(k)
            .try_into()
            .unwrap_or_else(|_| panic!("{}: field {k} must be {N} bytes", self.name))
    }

    fn id(&self, k: &str) -> Id {
        Id(self.arr(k))
    }

    fn num<T: std::str::FromStr>(&self, k: &str) -> T {
        self.text(k)
            .parse()
            .unwrap_or_else(|_| panic!("{}: field {k} is not a number", self.name))
    }

    /// An identity from `<who>_id`, `<who>_x25519_secret`, `<who>_ed25519_seed`
    /// (no prefix when `who` is empty).
    fn identity(&self, who: &str) -> PrivateIdentity {
        let f = |field: &str| {
            if who.is_empty() {
                field.to_string()
            } else {
                format!("{who}_{field}")
            }
        };
        private_identity(
            self.id(&f("id")),
            self.arr(&f("x25519_secret")),
            self.arr(&f("ed25519_seed")),
        )
        .unwrap_or_else(|e| panic!("{}: identity {who}: {e}", self.name))
    }

    /// Checks an opener's outcome against the expectation; on success the
    /// caller's `check_ok` compares the opened value.
    fn outcome<T>(&self, got: Result<T, Error>, check_ok: impl FnOnce(T)) {
        match (self.expect_ok, got) {
            (true, Ok(v)) => check_ok(v),
            (true, Err(e)) => panic!("{}: expected ok, got {e:?}", self.name),
            (false, Ok(_)) => panic!("{}: expected failure, but it opened", self.name),
            (false, Err(e)) => {
                let want = self.error.as_deref().unwrap_or_default();
                let got = match e {
                    Error::Decrypt => "decrypt",
                    Error::KdfParams(_) => "kdf_params",
                    Error::InvalidPublicIdentity(_) => "invalid_public_identity",
                    Error::Malformed(_) => "malformed",
                    _ => "other",
                };
                assert_eq!(got, want, "{}: wrong error variant ({e:?})", self.name);
            }
        }
    }

    /// On `ok` vectors, the deterministic seal must give the stored bytes.
    fn pinned(&self, field: &str, sealed: &[u8]) {
        if self.expect_ok {
            assert_eq!(
                hex::encode(sealed),
                self.text(field),
                "{}: sealing no longer reproduces the frozen `{field}`: the format changed",
                self.name
            );
        }
    }
}

fn item(v: &Vector) {
    let meta = v.hex("meta");
    let ctx = ItemContext {
        vault_id: v.id("vault_id"),
        env_id: v.id("env_id"),
        item_id: v.id("item_id"),
        row_version: v.num("row_version"),
        meta: &meta,
        author: v.opt_text("author").map(|_| v.id("author")),
    };
    let pt = v.hex("plaintext");
    if v.expect_ok {
        let sealed = seal_item_fixed(v.arr("ik"), v.arr("nonce"), &pt, &ctx).expect("seal");
        v.pinned("blob", &sealed);
    }
    let got = item_key(v.arr("ik")).open_item(&v.hex("blob"), &ctx);
    v.outcome(got, |p| assert_eq!(p.expose_secret(), pt, "{}", v.name));
}

fn item_key_vector(v: &Vector) {
    let ctx = ItemKeyContext {
        vault_id: v.id("vault_id"),
        env_id: v.id("env_id"),
        item_id: v.id("item_id"),
        epoch: v.num("epoch"),
    };
    let ik: [u8; 32] = v.arr("ik");
    if v.expect_ok {
        let sealed = seal_item_key_fixed(v.arr("ek"), v.arr("nonce"), ik, &ctx).expect("seal");
        v.pinned("blob", &sealed);
    }
    let got = env_key(v.arr("ek")).open_item_key(&v.hex("blob"), &ctx);
    v.outcome(got, |k| assert_eq!(k, item_key(ik), "{}", v.name));
}

fn wrap_vector(v: &Vector) {
    let sender = v.identity("sender");
    let recipient = v.identity("recipient");
    let opener = v.identity("opener");
    let pinned_sender: PublicKeys = v.identity("pinned_sender").public().clone();
    let ctx = WrapContext {
        vault_id: v.id("vault_id"),
        object_id: v.id("object_id"),
        epoch: v.num("epoch"),
        recipient_id: v.id("ctx_recipient_id"),
        sender_id: v.id("ctx_sender_id"),
    };
    let (epk, ct, sig) = (v.hex("epk"), v.hex("ct"), v.hex("sig"));
    let key: [u8; 32] = v.arr("key");
    match v.text("key_kind") {
        "env" => {
            if v.expect_ok {
                let w = wrap_with_esk(
                    v.arr("esk"),
                    &sender,
                    recipient.public(),
                    &env_key(key),
                    &ctx,
                )
                .expect("wrap");
                v.pinned("epk", &w.epk);
                v.pinned("ct", &w.ct);
                v.pinned("sig", &w.sig);
            }
            let got = wrap::unwrap::<EnvKey>(&opener, &pinned_sender, &epk, &ct, &sig, &ctx);
            v.outcome(got, |k| assert_eq!(k, env_key(key), "{}", v.name));
        }
        "item" => {
            if v.expect_ok {
                let w = wrap_with_esk(
                    v.arr("esk"),
                    &sender,
                    recipient.public(),
                    &item_key(key),
                    &ctx,
                )
                .expect("wrap");
                v.pinned("epk", &w.epk);
                v.pinned("ct", &w.ct);
                v.pinned("sig", &w.sig);
            }
            // Kind 2 (no generation): refused by `unwrap`, and by
            // `unwrap_share`, the reader's one way to open a share.
            let got = wrap::unwrap::<ItemKey>(&opener, &pinned_sender, &epk, &ct, &sig, &ctx);
            if !v.expect_ok {
                assert!(wrap::unwrap_share(
                    &opener,
                    &pinned_sender,
                    [&epk, &ct, &sig],
                    &ctx,
                    &ItemKeyGeneration::of_sealed(b""),
                )
                .is_err());
            }
            v.outcome(got, |k| assert_eq!(k, item_key(key), "{}", v.name));
        }
        // An entry share bound to the item key's generation (kind 3):
        // `generation` is the sealed item key it is for; `ctx_generation`
        // the one the opener's state has.
        "item_generation" => {
            let generation = ItemKeyGeneration::of_sealed(&v.hex("generation_of"));
            if v.expect_ok {
                let w = wrap_item_key_with_esk(
                    v.arr("esk"),
                    &sender,
                    recipient.public(),
                    &item_key(key),
                    &ctx,
                    &generation,
                )
                .expect("wrap");
                v.pinned("epk", &w.epk);
                v.pinned("ct", &w.ct);
                v.pinned("sig", &w.sig);
            }
            let ctx_generation = ItemKeyGeneration::of_sealed(&v.hex("ctx_generation_of"));
            let got = wrap::unwrap_item_key(
                &opener,
                &pinned_sender,
                &epk,
                &ct,
                &sig,
                &ctx,
                &ctx_generation,
            );
            v.outcome(got, |k| assert_eq!(k, item_key(key), "{}", v.name));
        }
        other => panic!("{}: unknown key_kind {other}", v.name),
    }
}

/// An exposed-value tag: deterministic, so an `ok` vector pins the tag and
/// a `fail_` vector holds a tag made in another context, which must not
/// match (reported as `decrypt`, the one authentication failure).
fn value_tag(v: &Vector) {
    let ctx = ValueTagContext {
        vault_id: v.id("vault_id"),
        env_id: v.id("env_id"),
        epoch: v.num("epoch"),
        item_id: v.id("item_id"),
    };
    let made = env_key(v.arr("ek")).value_tag(&ctx, &v.hex("value"));
    v.pinned("tag", &made.to_bytes());
    let stored = ValueTag::from_slice(&v.hex("tag")).expect("32-byte tag");
    let got = if made == stored {
        Ok(())
    } else {
        Err(Error::Decrypt)
    };
    v.outcome(got, |()| {});
}

fn password_slot(v: &Vector) {
    let slot = PasswordSlot {
        slot_id: v.id("slot_id"),
        salt: v.arr("salt"),
        params: KdfParams {
            m_kib: v.num("m_kib"),
            t: v.num("t"),
            p: v.num("p"),
        },
        ct: v.hex("ct"),
    };
    if v.expect_ok {
        assert_eq!(
            slot.params,
            KdfParams::FLOOR,
            "{}: kept at the floor (fast)",
            v.name
        );
    }
    let pw = SecretString::new(v.text("password").to_string());
    let got = slot.open(&pw, &v.id("identity_id"));
    v.outcome(got, |k| {
        assert_eq!(k, account_key(v.arr("uak")), "{}", v.name)
    });
}

fn key_slot(v: &Vector) {
    let slot = KeySlot {
        slot_id: v.id("slot_id"),
        ct: v.hex("ct"),
    };
    let dk = DeviceKey::from_keychain_bytes(&v.hex("device_key")).expect("32-byte device key");
    let got = slot.open(&dk, &v.id("identity_id"));
    v.outcome(got, |k| {
        assert_eq!(k, account_key(v.arr("uak")), "{}", v.name)
    });
}

fn sealed_identity(v: &Vector) {
    let public = PublicKeys {
        id: v.id("id"),
        x25519: v.arr("x25519_public"),
        ed25519: v.arr("ed25519_public"),
    };
    let got = PrivateIdentity::open(&public, &v.hex("sealed"), &account_key(v.arr("uak")));
    v.outcome(got, |me| assert_eq!(me.public(), &public, "{}", v.name));
}

fn public_identity(v: &Vector) {
    let me = v.identity("");
    let (name, email) = (v.text("name"), v.opt_text("email"));
    if v.expect_ok {
        v.pinned_text("string", &me.public_identity_string(name, email));
        v.pinned_text("fingerprint", &me.public().fingerprint());
    }
    let got = PublicIdentity::parse(v.text("string"));
    v.outcome(got, |p| {
        assert_eq!(&p.keys, me.public(), "{}", v.name);
        assert_eq!(
            (p.name.as_str(), p.email.as_deref()),
            (name, email),
            "{}",
            v.name
        );
    });
}

impl Vector {
    fn pinned_text(&self, field: &str, made: &str) {
        assert_eq!(
            made,
            self.text(field),
            "{}: no longer reproduces the frozen `{field}`: the format changed",
            self.name
        );
    }
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load_all() -> Vec<Vector> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.file_stem().and_then(|s| s.to_str()).expect("utf-8 name");
            let text = std::fs::read_to_string(p).expect("read vector");
            Vector::parse(name, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

#[test]
fn frozen_vectors() {
    let all = load_all();
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for v in &all {
        let kind = v.text("kind").to_string();
        match kind.as_str() {
            "item" => item(v),
            "item_key" => item_key_vector(v),
            "wrap" => wrap_vector(v),
            "value_tag" => value_tag(v),
            "password_slot" => password_slot(v),
            "key_slot" => key_slot(v),
            "sealed_identity" => sealed_identity(v),
            "public_identity" => public_identity(v),
            other => panic!("{}: unknown kind {other}", v.name),
        }
        let e = per_kind.entry(kind).or_default();
        if v.expect_ok {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    // Deleting vectors must not make this test pass vacuously.
    for kind in [
        "item",
        "item_key",
        "wrap",
        "value_tag",
        "password_slot",
        "key_slot",
        "sealed_identity",
        "public_identity",
    ] {
        let (ok, fail) = per_kind.get(kind).copied().unwrap_or_default();
        assert!(
            ok >= 1 && fail >= 1,
            "{kind}: needs ok and fail_ vectors ({ok}/{fail})"
        );
    }
    eprintln!("frozen vectors (ok, fail) per kind: {per_kind:?}");
}
