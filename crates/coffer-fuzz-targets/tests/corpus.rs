//! Every fuzz target's function over its committed corpus
//! (`fuzz/corpus/<target>/`), on stable, in `make test`: no seed may crash a
//! target, and the corpus must still hold what it was made from.
//!
//! * every target has a corpus folder, a `fuzz/fuzz_targets/<name>.rs` and a
//!   `[[bin]]` in `fuzz/Cargo.toml`, and every corpus folder is a target;
//! * each target accepts at least one of its seeds (a format change that
//!   turns every seed into noise would make the fuzzer start blind);
//! * the dotenv corpus holds every file the interop test
//!   (`crates/coffer-dotenv/tests/interop.rs`) gives the third-party
//!   parsers — per dialect every value it can write, the shell script —
//!   and each hand-picked value alone in every dialect;
//! * the op-body and feed-entry corpora hold an accepted seed of every op
//!   kind; the wrap corpus holds the fixed wraps byte for byte.
//!
//! `COFFER_FUZZ_BLESS=1 cargo test -p coffer-fuzz-targets --test corpus`
//! writes the seeds that are made here (a live vault with one op of every
//! kind, identity and slot records, wraps, interop renderings); files found
//! by fuzzing are added by hand as `regress-<what>` and never rewritten.

#[path = "../../coffer-dotenv/tests/common/mod.rs"]
mod interop;

use std::collections::BTreeSet;

use base64::Engine as _;
use std::path::{Path, PathBuf};

use coffer_crypto::{
    item, wrap::vectors as wrap_vectors, DeviceKey, Id, KdfParams, KeySlot, PasswordSlot,
    SecretString,
};
use coffer_dotenv::{render, Dialect, ExportEntry, Format};
use coffer_fuzz_targets::{fixture, TARGETS};
use coffer_vault::ops::{kind, OpBody, OpHeader};
use coffer_vault::sync::feed::Entry;
use coffer_vault::{Access, IdentityStore, ItemUpdate, Role, Vault};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn corpus(target: &str) -> PathBuf {
    root().join("corpus").join(target)
}

fn blessing() -> bool {
    std::env::var_os("COFFER_FUZZ_BLESS").is_some_and(|v| v == "1")
}

/// The files of a target's corpus, sorted by name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("dir entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("read seed"))
        })
        .collect();
    out.sort();
    out
}

/// Writes `bytes` as seed `name` of `target` when blessing; otherwise
/// checks that the committed seed is exactly that.
fn expect_seed(target: &str, name: &str, bytes: &[u8], missing: &mut Vec<String>) {
    let p = corpus(target).join(name);
    if blessing() {
        std::fs::create_dir_all(corpus(target)).expect("mkdir");
        std::fs::write(&p, bytes).expect("write seed");
    } else if std::fs::read(&p).ok().as_deref() != Some(bytes) {
        missing.push(format!("{target}/{name}"));
    }
}

/// Writes a seed whose bytes vary from run to run (random ids, salts):
/// only when blessing; the checks below look at what the corpus covers.
fn bless_seed(target: &str, name: &str, bytes: &[u8]) {
    if blessing() {
        std::fs::create_dir_all(corpus(target)).expect("mkdir");
        std::fs::write(corpus(target).join(name), bytes).expect("write seed");
    }
}

fn report_missing(missing: Vec<String>) {
    assert!(
        missing.is_empty(),
        "{} seed(s) missing or different; run COFFER_FUZZ_BLESS=1 cargo test -p coffer-fuzz-targets --test corpus: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

#[test]
fn every_target_runs_over_its_whole_corpus() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut total = 0;
    for t in TARGETS {
        assert!(
            root()
                .join("fuzz_targets")
                .join(format!("{}.rs", t.name))
                .is_file(),
            "fuzz/fuzz_targets/{}.rs is missing",
            t.name
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "fuzz/Cargo.toml has no [[bin]] {}",
            t.name
        );
        let seeds = seeds(t.name);
        let accepted = seeds.iter().filter(|(_, b)| (t.run)(b)).count();
        eprintln!("{}: {} seeds, {accepted} accepted", t.name, seeds.len());
        assert!(accepted > 0, "{}: no seed is accepted", t.name);
        total += seeds.len();
    }
    let known: BTreeSet<&str> = TARGETS.iter().map(|t| t.name).collect();
    for e in std::fs::read_dir(root().join("corpus")).expect("fuzz/corpus") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(
            known.contains(name.as_str()),
            "fuzz/corpus/{name} is not a target"
        );
    }
    eprintln!("{total} seeds in all");
}

/// As many generated values as `crates/coffer-dotenv/tests/interop.rs`
/// renders by default (`COFFER_INTEROP_GENERATED` unset).
const INTEROP_GENERATED: usize = 400;

#[test]
fn the_dotenv_corpus_holds_every_interop_file() {
    let mut missing = Vec::new();
    // The files the interop test writes and hands to the third-party
    // parsers: per dialect, every value it can write (keys V0000…), and the
    // shell script of every value; plus the .env.example of them all.
    let mut cases = interop::corpus();
    cases.extend(interop::generated(INTEROP_GENERATED));
    let keys: Vec<String> = (0..cases.len()).map(|i| format!("V{i:04}")).collect();
    let all: Vec<ExportEntry<'_>> = cases
        .iter()
        .zip(&keys)
        .map(|(c, k)| ExportEntry {
            key: k,
            value: &c.value,
            notes: None,
        })
        .collect();
    for d in Dialect::ALL {
        let ok: Vec<ExportEntry<'_>> = all
            .iter()
            .filter(|e| render(&[**e], Format::Dotenv, d).is_ok())
            .copied()
            .collect();
        let file = render(&ok, Format::Dotenv, d).expect("render");
        let name = format!("interop-{}.env", d.as_str());
        expect_seed("dotenv", &name, file.as_bytes(), &mut missing);
    }
    for (f, name) in [
        (Format::Shell, "interop-env.sh"),
        (Format::Example, "interop.env.example"),
    ] {
        let file = render(&all, f, Dialect::Portable).expect("render");
        expect_seed("dotenv", name, file.as_bytes(), &mut missing);
    }
    // Each hand-picked value alone in every dialect that can write it:
    // small seeds for libFuzzer to start from.
    for c in interop::corpus() {
        let e = [ExportEntry {
            key: "KEY",
            value: &c.value,
            notes: None,
        }];
        for d in Dialect::ALL {
            if let Ok(file) = render(&e, Format::Dotenv, d) {
                let name = format!("case-{}-{}.env", c.name, d.as_str());
                expect_seed("dotenv", &name, file.as_bytes(), &mut missing);
            }
        }
    }
    report_missing(missing);
}

#[test]
fn the_wrap_and_slot_corpora_hold_the_fixed_records() {
    let f = fixture();
    let mut missing = Vec::new();
    let ek = item::vectors::env_key(coffer_fuzz_targets::FIXED_ENV_KEY);
    let ik = item::vectors::item_key(coffer_fuzz_targets::FIXED_ITEM_KEY);
    let pk = f.recipient.public();
    let env_wrap =
        wrap_vectors::wrap_with_esk([0x71; 32], &f.sender, pk, &ek, &f.ctx).expect("wrap");
    let item_wrap = wrap_vectors::wrap_item_key_with_esk(
        [0x72; 32],
        &f.sender,
        pk,
        &ik,
        &f.ctx,
        &coffer_fuzz_targets::FIXED_ITEM_KEY_GENERATION,
    )
    .expect("wrap");
    for (kind_byte, w, name) in [(0u8, &env_wrap, "env-key"), (1, &item_wrap, "item-key")] {
        let mut b = vec![kind_byte];
        b.extend_from_slice(&w.epk);
        b.extend_from_slice(&w.sig);
        b.extend_from_slice(&w.ct);
        assert!(coffer_fuzz_targets::wrap(&b), "the {name} wrap opens");
        expect_seed("wrap", &format!("{name}.bin"), &b, &mut missing);
        // The same wrap for the other kind of key: refused.
        b[0] ^= 1;
        assert!(
            !coffer_fuzz_targets::wrap(&b),
            "{name} opened as the other kind"
        );
        expect_seed(
            "wrap",
            &format!("fail-{name}-as-other-kind.bin"),
            &b,
            &mut missing,
        );
    }
    // An item-key wrap without the generation (kind 2, before the binding):
    // never opened.
    let legacy = wrap_vectors::wrap_with_esk([0x72; 32], &f.sender, pk, &ik, &f.ctx).expect("wrap");
    let mut b = vec![1u8];
    b.extend_from_slice(&legacy.epk);
    b.extend_from_slice(&legacy.sig);
    b.extend_from_slice(&legacy.ct);
    assert!(
        !coffer_fuzz_targets::wrap(&b),
        "a kind-2 item-key wrap opened"
    );
    expect_seed("wrap", "fail-item-key-kind-2.bin", &b, &mut missing);
    report_missing(missing);

    // Slots: random slot ids, nonces and salts, so only written when blessing.
    let id = f.recipient.id();
    let uak = wrap_vectors::account_key(coffer_fuzz_targets::FIXED_ACCOUNT_KEY);
    let dk = DeviceKey::from_keychain_bytes(&coffer_fuzz_targets::FIXED_DEVICE_KEY).expect("dk");
    if blessing() {
        let ks = KeySlot::seal(&uak, &dk, &id).expect("seal");
        let mut b = vec![0u8];
        b.extend_from_slice(&ks.slot_id.0);
        b.extend_from_slice(&ks.ct);
        bless_seed("slot", "keychain-slot.bin", &b);
        let pw = SecretString::new(coffer_fuzz_targets::FIXED_PASSPHRASE.into());
        for (params, name) in [
            (KdfParams::FLOOR, "password-slot-floor.bin"),
            (KdfParams::USER_MINIMUM, "password-slot-user-minimum.bin"),
        ] {
            let ps = PasswordSlot::seal(&uak, &pw, params, &id).expect("seal");
            let mut b = vec![1u8];
            b.extend_from_slice(&ps.slot_id.0);
            b.extend_from_slice(&ps.salt);
            for v in [params.m_kib, params.t, params.p] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&ps.ct);
            bless_seed("slot", name, &b);
        }
    }
    let opened: BTreeSet<u8> = seeds("slot")
        .iter()
        .filter(|(_, b)| coffer_fuzz_targets::slot(b))
        .map(|(_, b)| b[0].min(1))
        .collect();
    assert_eq!(
        opened,
        BTreeSet::from([0, 1]),
        "the slot corpus must open a keychain slot and a password slot"
    );
}

#[test]
fn the_public_identity_corpus_holds_the_fixed_strings() {
    let f = fixture();
    let mut missing = Vec::new();
    let good = [
        (
            "with-email",
            f.sender
                .public_identity_string("Ada Lovelace", Some("ada@example.com")),
        ),
        ("no-email", f.recipient.public_identity_string("Bob", None)),
        (
            "unicode-name",
            f.sender
                .public_identity_string("Zoë 🔑 شيماء", Some("z@例え.jp")),
        ),
    ];
    for (name, s) in &good {
        assert!(coffer_fuzz_targets::public_identity(s.as_bytes()), "{name}");
        expect_seed(
            "public_identity",
            &format!("{name}.txt"),
            s.as_bytes(),
            &mut missing,
        );
    }
    let s = &good[0].1;
    let mut flipped = s.clone().into_bytes();
    let at = flipped.len() / 2;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    let bad: [(&str, Vec<u8>); 4] = [
        ("fail-truncated", s.as_bytes()[..s.len() - 10].to_vec()),
        ("fail-edited", flipped),
        (
            "fail-wrong-prefix",
            s.replacen("coffer1-", "coffer2-", 1).into_bytes(),
        ),
        ("fail-padded-base64", format!("{s}==").into_bytes()),
    ];
    for (name, b) in &bad {
        assert!(!coffer_fuzz_targets::public_identity(b), "{name}");
        expect_seed("public_identity", &format!("{name}.txt"), b, &mut missing);
    }
    report_missing(missing);
}

/// A vault with one op of every kind, through the public API, then its log
/// as op bodies and feed entries, and its owner's identity file.
#[test]
fn the_op_and_entry_corpora_cover_every_kind() {
    if blessing() {
        bless_vault_seeds();
    }
    // Every kind code the log knows (a new kind fails here until seeded).
    let all: BTreeSet<u8> = (0..=u8::MAX)
        .filter(|k| kind::name(*k) != "unknown")
        .collect();
    let bodies: BTreeSet<u8> = seeds("op_body")
        .iter()
        .filter(|(_, b)| coffer_fuzz_targets::op_body(b))
        .map(|(_, b)| OpBody::decode(b).expect("accepted").kind())
        .collect();
    assert_eq!(
        bodies, all,
        "op-body seeds: one accepted seed of every kind"
    );
    let entries: BTreeSet<u8> = seeds("feed_entry")
        .iter()
        .filter(|(_, b)| coffer_fuzz_targets::feed_entry(b))
        .map(|(_, b)| Entry::decode(b).expect("accepted").header.kind)
        .collect();
    assert_eq!(
        entries, all,
        "feed-entry seeds: one accepted seed of every kind"
    );
}

fn bless_vault_seeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = SecretString::new("fuzz seeds passphrase".into());
    let person = |name: &str| {
        let home = dir.path().join(name);
        let me = IdentityStore::create(&home, name, None, &pw, KdfParams::FLOOR, true)
            .expect("identity");
        (home, me.public_identity_string(), me.public().fingerprint())
    };
    let (home, _, _) = person("Ada");
    let (_, bob, bob_fp) = person("Bob");
    let (_, carol, carol_fp) = person("Carol");
    let me = IdentityStore::load(&home)
        .expect("load")
        .unlock_with_password(&pw)
        .expect("unlock");
    let path = dir.path().join("vault.coffer");
    let mut v = Vault::create(&path, "Seeds", me).expect("vault");
    v.add_env("web/prod", Some(90)).expect("env");
    v.add_env("web/dev", None).expect("env");
    let set = |v: &mut Vault, env: &str, k: &str, val: &str| {
        v.set_item(
            env,
            k,
            ItemUpdate {
                value: Some(SecretString::new(val.into())),
                notes: Some("a note".into()),
                ..Default::default()
            },
        )
        .expect("set");
    };
    set(&mut v, "web/prod", "API_KEY", "value-one");
    set(&mut v, "web/prod", "API_KEY", "value-two");
    set(&mut v, "web/prod", "SHARED", "shared-value");
    set(&mut v, "web/dev", "GONE", "soon-deleted");
    v.remove_item("web/dev", "GONE").expect("delete");
    v.get_item("web/prod", "API_KEY").expect("read");
    v.add_member(
        &bob,
        "Bob",
        Role::Member,
        &[("web/dev".into(), Access::Write)],
        &bob_fp,
    )
    .expect("bob");
    v.add_member(&carol, "Carol", Role::Reader, &[], &carol_fp)
        .expect("carol");
    v.grant("Bob", "web/prod", Access::Read).expect("grant");
    v.ungrant("Bob", "web/prod").expect("ungrant (a cut)");
    v.grant("Bob", "web/dev", Access::Read)
        .expect("write lowered to read (a cut)");
    v.share("web/prod", "SHARED", "Carol").expect("share");
    v.unshare("web/prod", "SHARED", "Carol").expect("unshare");
    v.share("web/prod", "SHARED", "Carol").expect("share again");
    v.set_role("Bob", Role::Admin).expect("role");
    v.set_role("Bob", Role::Member).expect("demotion (a cut)");
    v.set_role("Bob", Role::Admin).expect("role again");
    v.rekey_env("web/dev").expect("rekey");
    v.offboard("Carol", &mut |_, _| {}).expect("offboard");
    v.rename_env("web/dev", "web/devel").expect("rename");
    v.remove("web/devel").expect("remove");
    v.restore_env("web/devel").expect("restore");
    v.set_env_policy("web/prod", coffer_vault::ops::OverridePolicy::Allow)
        .expect("policy");
    v.set_override(
        "web/prod",
        "SHARED",
        &coffer_crypto::SecretString::new("mine".into()),
    )
    .expect("override");
    v.remove_override("web/prod", "SHARED")
        .expect("override removed");
    drop(v);

    let c = rusqlite::Connection::open(&path).expect("db");
    let mut st = c
        .prepare(
            "SELECT op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, sig \
             FROM ops ORDER BY seq",
        )
        .expect("prepare");
    let vault_id = {
        let b: Vec<u8> = c
            .query_row("SELECT id FROM vault", [], |r| r.get(0))
            .expect("vault id");
        Id::from_slice(&b).expect("id")
    };
    let rows = st
        .query_map([], |r| {
            let id = |i: usize| -> rusqlite::Result<Id> {
                let b: Vec<u8> = r.get(i)?;
                Ok(Id::from_slice(&b).expect("id"))
            };
            let header = OpHeader {
                op_id: id(0)?,
                vault_id,
                device_id: id(1)?,
                device_seq: r.get::<_, i64>(2)? as u64,
                author_id: id(3)?,
                hlc: r.get::<_, i64>(4)? as u64,
                kind: r.get::<_, u8>(5)?,
                prev_hash: r.get::<_, Vec<u8>>(7)?.try_into().expect("hash"),
            };
            let body: Vec<u8> = r.get(6)?;
            let sig: [u8; 64] = r.get::<_, Vec<u8>>(8)?.try_into().expect("sig");
            Ok(Entry { header, body, sig })
        })
        .expect("query");
    let mut seen = BTreeSet::new();
    for e in rows {
        let e = e.expect("row");
        let k = e.header.kind;
        if !seen.insert(k) {
            continue;
        }
        // Two encodings share one name: the newer gets a suffix.
        let name = match k {
            kind::SET_ROLE_CUT => "member-role-cut".to_string(),
            kind::REKEY_ITEM_KEEPING => "unshare-keeping".to_string(),
            kind::GRANT_CUT => "grant-cut".to_string(),
            kind::UNGRANT_CUT => "ungrant-cut".to_string(),
            kind::SET_ITEM_BOUND => "item-set-bound".to_string(),
            _ => kind::name(k).replace('.', "-"),
        };
        bless_seed("op_body", &format!("{name}.bin"), &e.body);
        bless_seed("feed_entry", &format!("{name}.bin"), &e.encode());
    }
    // Kinds this vault does not write: an `item.set` that names no keys
    // (before kind 18) or names them without binding its value to its
    // writer (kind 18, before kind 31), a stale write adopted (needs an offboarding raced
    // through sync), shares re-signed (a grant lowered to read over shares
    // the member made), a conflict resolution (needs
    // concurrent edits through sync), a revocation with and without the
    // revoked member's feed cut (logs from before sync have none; both
    // share the name "member.revoke"). Made by hand, wrapped in
    // an entry like the others (decoding checks no signature).
    let template = Entry::decode(
        &std::fs::read(corpus("feed_entry").join("item-delete.bin")).unwrap_or_default(),
    )
    .ok();
    for (name, body) in [
        (
            // Kind 18, which the honest client no longer writes (kind 31
            // binds the value to its writer since attack review 7, F6).
            "item-set",
            OpBody::SetItem {
                item_id: Id([0x17; 16]),
                env_id: Id([0xe1; 16]),
                version: 2,
                ik_ct: None,
                blob: vec![0x42; 64],
                meta: Default::default(),
                sealed_under: Some(coffer_vault::ops::SealedUnder {
                    epoch: 1,
                    item_key: [0x5e; 32],
                }),
            },
        ),
        (
            "item-set-legacy",
            OpBody::SetItem {
                item_id: Id([0x17; 16]),
                env_id: Id([0xe1; 16]),
                version: 2,
                ik_ct: None,
                blob: vec![0x42; 64],
                meta: Default::default(),
                sealed_under: None,
            },
        ),
        (
            "item-resolve",
            OpBody::ResolveConflict {
                env_id: Id([0xe1; 16]),
                item_id: Id([0x17; 16]),
            },
        ),
        (
            "member-revoke-legacy",
            OpBody::Revoke {
                member_id: Id([0xb0; 16]),
                exposed: vec![Id([0x17; 16])],
                cut: None,
            },
        ),
        (
            "member-revoke-cut",
            OpBody::Revoke {
                member_id: Id([0xb0; 16]),
                exposed: vec![Id([0x17; 16]), Id([0x18; 16])],
                cut: Some(vec![(Id([0xd1; 16]), 7), (Id([0xd2; 16]), 0)]),
            },
        ),
        (
            "item-adopt",
            OpBody::AdoptStale {
                env_id: Id([0xe1; 16]),
                item_id: Id([0x17; 16]),
                version: 3,
                digest: [0x5a; 32],
                under: [0x3c; 32],
                earlier: vec![0x42; 88],
            },
        ),
        (
            "share-resign",
            OpBody::ResignShares {
                env_id: Id([0xe1; 16]),
                shares: vec![(
                    coffer_vault::ops::ShareRecord {
                        item_id: Id([0x17; 16]),
                        wrap: coffer_vault::ops::WrapRecord {
                            member_id: Id([0xb0; 16]),
                            sender_id: Id([0xa0; 16]),
                            epoch: 2,
                            epk: [0x33; 32],
                            ct: vec![0x44; 72],
                            sig: [0x55; 64],
                        },
                    },
                    [0x66; 32],
                )],
            },
        ),
    ] {
        let b = body.encode();
        bless_seed("op_body", &format!("{name}.bin"), &b);
        if let Some(t) = &template {
            let mut e = t.clone();
            e.header.kind = body.kind();
            e.body = b;
            bless_seed("feed_entry", &format!("{name}.bin"), &e.encode());
        }
    }
    let idf = std::fs::read(home.join("identity.json")).expect("identity.json");
    bless_seed("identity_file", "identity.json", &idf);
    // The same file with a keychain slot (as `keychain enable` writes it).
    let mut j: serde_json::Value = serde_json::from_slice(&idf).expect("json");
    let id = Id::from_hex(j["id"].as_str().expect("id")).expect("hex");
    let dk = DeviceKey::from_keychain_bytes(&[0x55; 32]).expect("dk");
    let ks = KeySlot::seal(&wrap_vectors::account_key([0x56; 32]), &dk, &id).expect("seal");
    let ct = base64::engine::general_purpose::STANDARD.encode(&ks.ct);
    j["keychain_slot"] = serde_json::json!({
        "slot_id": ks.slot_id.to_hex(),
        "keychain_account": format!("{}/{}", id.to_hex(), ks.slot_id.to_hex()),
        "ct": ct,
    });
    let with_kc = serde_json::to_vec_pretty(&j).expect("json");
    assert!(
        coffer_fuzz_targets::identity_file(&with_kc),
        "the keychain variant is accepted"
    );
    bless_seed(
        "identity_file",
        "identity-with-keychain-slot.json",
        &with_kc,
    );
}
