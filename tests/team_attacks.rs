//! Attacks on the team constructions (DESIGN.md §3, §5; issue 3): someone
//! who can edit the vault file moves, re-addresses or forges wraps, swaps a
//! member's key, or keeps using a revoked membership. Each is rejected with
//! an integrity or permission error — never a value — and the tampering is
//! reported by `verify()`.
//!
//! Every wrap used here is genuine (made by the library with a real
//! identity); only the rows around it are changed.

mod common;

use coffer_crypto::Id;
use coffer_vault::ops::{OpBody, RotationMeta};
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::*;
use rusqlite::params;

/// Ada (owner) with `web/prod` (API_KEY, DB_PASS) and `web/dev` (OTHER).
fn vault() -> (Fx, Vault) {
    let (fx, _) = standard();
    let v = fx.open();
    (fx, v)
}

fn wrap_rows(fx: &Fx, env: &str, member: &Id) -> Vec<Vec<rusqlite::types::Value>> {
    let c = fx.db();
    query_rows(
        &c,
        "SELECT * FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
        &[&env_id(&c, env), &&member.0[..]],
    )
}

fn sender_of(fx: &Fx, env: &str, member: &Id) -> Vec<u8> {
    let c = fx.db();
    c.query_row(
        "SELECT sender_id FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
        params![env_id(&c, env), &member.0[..]],
        |r| r.get(0),
    )
    .expect("wrap")
}

// ----- wraps ---------------------------------------------------------------

#[test]
fn a_wrap_moved_to_another_member_is_rejected() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Reader, &[(DEV, Access::Read)]);
    drop(v);
    assert_value(&mut bob.open(&fx.path), PROD, "API_KEY", API_V2);
    assert_permission(
        "Carol before",
        carol.open(&fx.path).get_item(PROD, "API_KEY"),
    );
    {
        let c = fx.db();
        let n = c
            .execute(
                "UPDATE env_wraps SET member_id = ?3 WHERE env_id = ?1 AND member_id = ?2",
                params![env_id(&c, PROD), &bob.id.0[..], &carol.id.0[..]],
            )
            .expect("move");
        assert_eq!(n, 1);
    }
    let mut c = carol.open(&fx.path);
    assert!(c.env(PROD).expect("env").readable, "the moved row is used");
    assert_integrity("Carol with Bob's wrap", c.get_item(PROD, "API_KEY"));
    assert_integrity("Carol lists", c.list_items(Some(PROD), 14));
    assert_value(&mut c, DEV, "OTHER", OTHER_VALUE);
    drop(c);
    assert_permission(
        "Bob without it",
        bob.open(&fx.path).get_item(PROD, "API_KEY"),
    );
    assert_verify_flags(&mut fx.open());
}

#[test]
fn a_wrap_moved_to_another_environment_is_rejected() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    {
        let c = fx.db();
        c.execute(
            "INSERT INTO env_wraps SELECT ?2, member_id, epoch, sender_id, epk, ct, sig
             FROM env_wraps WHERE env_id = ?1 AND member_id = ?3",
            params![env_id(&c, PROD), env_id(&c, DEV), &bob.id.0[..]],
        )
        .expect("copy to dev");
    }
    let mut b = bob.open(&fx.path);
    assert_integrity("dev with prod's wrap", b.get_item(DEV, "OTHER"));
    assert_value(&mut b, PROD, "API_KEY", API_V2);
    drop(b);
    assert_verify_flags(&mut fx.open());
}

/// web/prod DB_PASS shared to Bob and Carol (readers of web/dev only).
fn shared_to_bob_and_carol() -> (Fx, Vault, Person, Person) {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Reader, &[(DEV, Access::Read)]);
    add_member(&mut v, &carol, Role::Reader, &[(DEV, Access::Read)]);
    v.share(PROD, "DB_PASS", "Bob").expect("share to Bob");
    v.share(PROD, "DB_PASS", "Carol").expect("share to Carol");
    (fx, v, bob, carol)
}

/// Issue 10: a share wrap commits to the item key's generation, not only
/// the epoch. Unsharing from Carol gives the item a new key in the same
/// epoch and re-wraps it to Bob; Bob's wrap of the *older* item key, put
/// back with the older ciphertext of the same version (both genuine, from
/// the file before), must not open as the current one.
#[test]
fn fail_a_share_wrap_of_an_older_item_key_swapped_in_is_refused() {
    let (fx, mut v, bob, _carol) = shared_to_bob_and_carol();
    let old_share = |c: &rusqlite::Connection| -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        c.query_row(
            "SELECT s.epk, s.ct, s.sig, v.blob FROM item_shares s
             JOIN items i ON i.id = s.item_id
             JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
             WHERE s.member_id = ?1",
            [&bob.id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("Bob's share")
    };
    let before = old_share(&fx.db());
    v.unshare(PROD, "DB_PASS", "Carol").expect("unshare Carol");
    drop(v);
    assert_value(&mut bob.open(&fx.path), PROD, "DB_PASS", DB_VALUE);
    let after = old_share(&fx.db());
    assert_ne!(before.1, after.1, "a new item key was wrapped to Bob");
    assert_eq!(
        before.3, after.3,
        "an unshare keeps every version as sealed (its key travels under the new one)"
    );
    {
        let c = fx.db();
        let (epk, ct, sig, blob) = &before;
        c.execute(
            "UPDATE item_shares SET epk = ?2, ct = ?3, sig = ?4 WHERE member_id = ?1",
            params![&bob.id.0[..], epk, ct, sig],
        )
        .expect("swap the share back");
        c.execute(
            "UPDATE item_versions SET blob = ?1 WHERE item_id = (SELECT item_id FROM item_shares WHERE member_id = ?2)
             AND version = (SELECT current_version FROM items WHERE id = item_versions.item_id)",
            params![blob, &bob.id.0[..]],
        )
        .expect("swap the blob back");
    }
    assert_integrity(
        "Bob with a wrap of the older item key",
        bob.open(&fx.path).get_item(PROD, "DB_PASS"),
    );
}

/// The same swap with a wrap of the older item key made the way shares were
/// made before the generation binding (wrap kind 2: no generation in its
/// AAD) and signed by the genuine sender, Ada (an old build's share, or a
/// modified client's): such a wrap cannot say which item key it hands out,
/// so it must not open at all, whatever key it holds (the product is
/// pre-release: a plain rule, no legacy path).
#[test]
fn fail_a_legacy_kind_2_share_of_an_older_item_key_is_refused() {
    let (fx, v, bob, _carol) = shared_to_bob_and_carol();
    drop(v);
    // Ada's keys (the test knows her passphrase), the item key before the
    // unshare and the blob it sealed.
    let ada = coffer_tests::keys::open_identity(&Person::owner(&fx).home, PASSPHRASE)
        .expect("Ada's identity")
        .private()
        .expect("Ada's keys");
    let (vault_id, env_id, epoch, ek) = attack_fx::held_env_key(&fx.path, &ada, PROD);
    let (item_id, old_ik_ct, old_blob): (Vec<u8>, Vec<u8>, Vec<u8>) = fx
        .db()
        .query_row(
            "SELECT i.id, i.ik_ct, v.blob FROM items i
             JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
             WHERE i.id = (SELECT item_id FROM item_shares WHERE member_id = ?1)",
            [&bob.id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the shared item");
    let item_id = Id::from_slice(&item_id).expect("item id");
    let old_ik = ek
        .open_item_key(
            &old_ik_ct,
            &attack_fx::item_ctx(vault_id, env_id, item_id, epoch),
        )
        .expect("the item key before the unshare");
    fx.open()
        .unshare(PROD, "DB_PASS", "Carol")
        .expect("unshare Carol");
    assert_value(&mut bob.open(&fx.path), PROD, "DB_PASS", DB_VALUE);
    // `wrap::wrap` no longer makes one: the vectors' deterministic wrap,
    // the same construction as an old build's.
    let legacy = coffer_crypto::wrap::vectors::wrap_with_esk(
        [9; 32],
        &ada,
        bob.unlock().public(),
        &old_ik,
        &coffer_crypto::WrapContext {
            vault_id,
            object_id: item_id,
            epoch,
            recipient_id: bob.id,
            sender_id: ada.id(),
        },
    )
    .expect("a kind-2 wrap");
    {
        let c = fx.db();
        c.execute(
            "UPDATE item_shares SET epk = ?2, ct = ?3, sig = ?4 WHERE member_id = ?1",
            params![&bob.id.0[..], &legacy.epk[..], &legacy.ct, &legacy.sig[..]],
        )
        .expect("swap in the legacy share");
        c.execute(
            "UPDATE item_versions SET blob = ?1 WHERE item_id = ?2
             AND version = (SELECT current_version FROM items WHERE id = ?2)",
            params![&old_blob, &item_id.0[..]],
        )
        .expect("swap the blob back");
    }
    assert_integrity(
        "Bob with a kind-2 wrap of the older item key",
        bob.open(&fx.path).get_item(PROD, "DB_PASS"),
    );
}

/// The item key itself rolled back: after Carol's share ends (a new item
/// key in the same epoch), someone with the file puts back the item's
/// older sealed key (`ik_ct`) and Bob's share of it, both genuine bytes
/// from before. The older key is one Carol kept: the owner's next value,
/// sealed under it, would be Carol's to read. The sealed key's AAD names
/// the epoch, not the generation, so the bytes open; binding a generation
/// counter into that AAD would not refuse them either (whoever can put
/// back `ik_ct` can put back the rows a counter is read from). What
/// refuses the swap is the device's own record of the state it derived:
/// a private replica (every vault moved to sync) is refused at open (its
/// device-keyed MAC over the state, `ik_ct` included), and a vault not
/// moved to sync reports it in `audit verify` (the log replayed).
#[test]
fn fail_an_older_item_key_swapped_back_in_is_refused() {
    for private in [true, false] {
        let (fx, mut v, bob, _carol) = shared_to_bob_and_carol();
        if private {
            v.sync_init(coffer_vault::sync::Remote::Folder(
                fx.dir.path().join("shared"),
            ))
            .expect("moved to sync");
            assert!(v.is_private_replica());
        }
        let before = |c: &rusqlite::Connection| -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
            c.query_row(
                "SELECT i.ik_ct, s.epk, s.ct, s.sig FROM item_shares s
                 JOIN items i ON i.id = s.item_id WHERE s.member_id = ?1",
                [&bob.id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the shared item")
        };
        let old = before(&fx.db());
        v.unshare(PROD, "DB_PASS", "Carol").expect("unshare Carol");
        drop(v);
        assert_ne!(before(&fx.db()).0, old.0, "a new item key");
        {
            let c = fx.db();
            let (ik_ct, epk, ct, sig) = &old;
            c.execute(
                "UPDATE items SET ik_ct = ?1 WHERE id = (SELECT item_id FROM item_shares WHERE member_id = ?2)",
                params![ik_ct, &bob.id.0[..]],
            )
            .expect("the older item key back");
            c.execute(
                "UPDATE item_shares SET epk = ?2, ct = ?3, sig = ?4 WHERE member_id = ?1",
                params![&bob.id.0[..], epk, ct, sig],
            )
            .expect("Bob's older share back");
        }
        let opened = Vault::open(&fx.path, fx.unlock());
        if private {
            assert_integrity("a private replica with the older item key", opened);
        } else {
            let report = opened
                .expect("a shared file opens")
                .verify()
                .expect("verify");
            assert!(
                !report.ok(),
                "audit verify finds the older item key: {report:?}"
            );
        }
    }
}

#[test]
fn a_wrap_with_a_changed_sender_is_rejected() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let dan = Person::new(&fx, "Dan");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Member, &[(DEV, Access::Write)]);
    add_member(&mut v, &dan, Role::Admin, &[(PROD, Access::Write)]);
    v.share(DEV, "OTHER", "Bob").expect("share");
    drop(v);
    let ada = Person::owner(&fx);
    assert_eq!(sender_of(&fx, PROD, &bob.id), ada.id.0);
    let stranger = Id::make();
    // Another admin (entitled, but did not sign it), a member, an unknown id.
    for sender in [&dan.id, &carol.id, &stranger] {
        let saved = wrap_rows(&fx, PROD, &bob.id);
        let share = query_rows(
            &fx.db(),
            "SELECT * FROM item_shares WHERE member_id = ?1",
            &[&&bob.id.0[..]],
        );
        {
            let c = fx.db();
            c.execute(
                "UPDATE env_wraps SET sender_id = ?3 WHERE env_id = ?1 AND member_id = ?2",
                params![env_id(&c, PROD), &bob.id.0[..], &sender.0[..]],
            )
            .expect("sender");
            c.execute(
                "UPDATE item_shares SET sender_id = ?2 WHERE member_id = ?1",
                params![&bob.id.0[..], &sender.0[..]],
            )
            .expect("share sender");
        }
        let mut b = bob.open(&fx.path);
        assert_integrity("env wrap, changed sender", b.get_item(PROD, "API_KEY"));
        assert_integrity("share, changed sender", b.get_item(DEV, "OTHER"));
        drop(b);
        assert_verify_flags(&mut fx.open());
        // Put the genuine rows back: Bob reads again.
        insert_rows(&fx.db(), "env_wraps", &saved);
        insert_rows(&fx.db(), "item_shares", &share);
        let mut b = bob.open(&fx.path);
        assert_value(&mut b, PROD, "API_KEY", API_V2);
        assert_value(&mut b, DEV, "OTHER", OTHER_VALUE);
    }
}

#[test]
fn a_demoted_admin_is_re_signed_and_their_own_wraps_no_longer_count() {
    let (fx, mut v) = vault();
    let eve = Person::new(&fx, "Eve");
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &eve, Role::Admin, &[(PROD, Access::Write)]);
    drop(v);
    // Eve, admin, grants Bob: a genuine wrap signed with Eve's key.
    let mut e = eve.open(&fx.path);
    add_member(&mut e, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(e);
    assert_eq!(sender_of(&fx, PROD, &bob.id), eve.id.0);
    let eves_wrap = wrap_rows(&fx, PROD, &bob.id);
    assert_value(&mut bob.open(&fx.path), PROD, "API_KEY", API_V2);

    // Demoted, her wraps are re-signed by the owner and Bob keeps reading.
    fx.open().set_role("Eve", Role::Member).expect("demote");
    let ada = Person::owner(&fx);
    assert_eq!(sender_of(&fx, PROD, &bob.id), ada.id.0, "re-signed");
    assert_value(&mut bob.open(&fx.path), PROD, "API_KEY", API_V2);
    assert!(fx.open().verify().expect("verify").ok());

    // The wrap Eve signed while she was admin is genuine (good signature,
    // right context) but she may no longer vouch for keys: put back, it is
    // refused.
    insert_rows(&fx.db(), "env_wraps", &eves_wrap);
    assert_eq!(sender_of(&fx, PROD, &bob.id), eve.id.0);
    let err = bob
        .open(&fx.path)
        .get_item(PROD, "API_KEY")
        .expect_err("a member's wrap");
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(err.to_string().contains("may not grant it"), "{err}");
    assert_verify_flags(&mut fx.open());
}

#[test]
fn a_share_wrap_by_a_member_used_as_an_environment_wrap_is_rejected() {
    let (fx, mut v) = vault();
    let carol = Person::new(&fx, "Carol");
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &carol, Role::Member, &[(DEV, Access::Write)]);
    add_member(&mut v, &bob, Role::Reader, &[]);
    drop(v);
    // Carol legitimately shares one dev item with Bob (signed by Carol).
    carol
        .open(&fx.path)
        .share(DEV, "OTHER", "Bob")
        .expect("a writer shares");
    assert_value(&mut bob.open(&fx.path), DEV, "OTHER", OTHER_VALUE);
    // The attacker turns it into an environment wrap for Bob.
    {
        let c = fx.db();
        let n = c
            .execute(
                "INSERT INTO env_wraps (env_id, member_id, epoch, sender_id, epk, ct, sig)
                 SELECT i.env_id, s.member_id, s.epoch, s.sender_id, s.epk, s.ct, s.sig
                 FROM item_shares s JOIN items i ON i.id = s.item_id WHERE s.member_id = ?1",
                [&bob.id.0[..]],
            )
            .expect("forge");
        assert_eq!(n, 1);
    }
    let mut b = bob.open(&fx.path);
    assert!(b.env(DEV).expect("env").readable);
    assert_integrity("a member's share as an env wrap", b.get_item(DEV, "OTHER"));
    assert_integrity("ls", b.list_items(Some(DEV), 14));
    drop(b);
    assert_verify_flags(&mut fx.open());
}

#[test]
fn a_share_signed_by_someone_demoted_to_reader_is_rejected() {
    let (fx, mut v) = vault();
    let carol = Person::new(&fx, "Carol");
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &carol, Role::Member, &[(DEV, Access::Write)]);
    add_member(&mut v, &bob, Role::Reader, &[]);
    drop(v);
    carol
        .open(&fx.path)
        .share(DEV, "OTHER", "Bob")
        .expect("share");
    let carols_share = query_rows(
        &fx.db(),
        "SELECT * FROM item_shares WHERE member_id = ?1",
        &[&&bob.id.0[..]],
    );
    fx.open().set_role("Carol", Role::Reader).expect("demote");
    let ada = Person::owner(&fx);
    let sender: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT sender_id FROM item_shares WHERE member_id = ?1",
            [&bob.id.0[..]],
            |r| r.get(0),
        )
        .expect("share");
    assert_eq!(sender, ada.id.0, "re-signed by the owner");
    assert_value(&mut bob.open(&fx.path), DEV, "OTHER", OTHER_VALUE);
    insert_rows(&fx.db(), "item_shares", &carols_share);
    assert_integrity(
        "a reader's share",
        bob.open(&fx.path).get_item(DEV, "OTHER"),
    );
    assert_verify_flags(&mut fx.open());
}

// ----- member keys ---------------------------------------------------------

#[test]
fn a_member_row_with_a_swapped_key_is_rejected() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let mallory = Person::new(&fx, "Mallory");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    let mal = keys_of(&mallory);
    let mal_keys = (mal.x25519.to_vec(), mal.ed25519.to_vec());
    let ada = Person::owner(&fx);

    // The recipient's encryption key swapped: new wraps would go to Mallory.
    {
        let c = fx.db();
        c.execute(
            "UPDATE members SET x25519 = ?2 WHERE id = ?1",
            params![&bob.id.0[..], &mal_keys.0],
        )
        .expect("swap");
    }
    let before = fx.dump();
    let mut a = fx.open();
    assert_integrity(
        "grant to the swapped member",
        a.grant("Bob", DEV, Access::Read),
    );
    assert_integrity("share to the swapped member", a.share(DEV, "OTHER", "Bob"));
    assert_integrity("re-key wrapping to the swapped member", a.rekey_env(PROD));
    assert_integrity(
        "offboarding re-wraps to the swapped member",
        a.offboard("Carol", &mut |_, _| {}),
    );
    drop(a);
    let after = fx.dump();
    for ((t, x), (_, y)) in before.iter().zip(after.iter()) {
        if t != "ops" && t != "sqlite_sequence" {
            assert!(x == y, "a refused op changed table {t}");
        }
    }
    assert_verify_flags(&mut fx.open());
    {
        let c = fx.db();
        c.execute(
            "UPDATE members SET x25519 = ?2 WHERE id = ?1",
            params![&bob.id.0[..], &keys_of(&bob).x25519[..]],
        )
        .expect("restore");
    }

    // The sender's signing key swapped (so forged wraps would verify):
    // every wrap Ada made is refused, for Bob and for Ada herself.
    let ada_ed: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT ed25519 FROM members WHERE id = ?1",
            [&ada.id.0[..]],
            |r| r.get(0),
        )
        .expect("key");
    fx.db()
        .execute(
            "UPDATE members SET ed25519 = ?2 WHERE id = ?1",
            params![&ada.id.0[..], &mal_keys.1],
        )
        .expect("swap");
    assert_integrity(
        "Bob, sender swapped",
        bob.open(&fx.path).get_item(PROD, "API_KEY"),
    );
    let mut a = fx.open();
    assert_integrity("Ada, own key swapped", a.get_item(PROD, "API_KEY"));
    assert_verify_flags(&mut a);
    drop(a);
    fx.db()
        .execute(
            "UPDATE members SET ed25519 = ?2 WHERE id = ?1",
            params![&ada.id.0[..], &ada_ed],
        )
        .expect("restore");
    let mut a = fx.open();
    assert_value(&mut a, PROD, "API_KEY", API_V2);
    assert!(a.verify().expect("verify").ok(), "restored");
}

/// A person's public keys, from the identity string they hand out.
fn keys_of(p: &Person) -> coffer_crypto::PublicKeys {
    coffer_crypto::PublicIdentity::parse(&p.public_identity)
        .expect("public identity")
        .keys
}

#[test]
fn a_consistently_swapped_member_row_is_caught_by_verify() {
    // An attacker who rewrites key AND fingerprint passes the row's own
    // check; the signed op log that pinned the key still tells.
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let mallory = Person::new(&fx, "Mallory");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    swap_consistently(&fx, &bob, &mallory);
    assert_verify_flags(&mut fx.open());
}

/// Rewrites the victim's row with the attacker's keys and a fingerprint
/// that matches them (the fingerprint covers the id, which stays).
fn swap_consistently(fx: &Fx, victim: &Person, attacker: &Person) {
    let mut keys = keys_of(attacker);
    keys.id = victim.id;
    fx.db()
        .execute(
            "UPDATE members SET x25519 = ?2, ed25519 = ?3, fingerprint = ?4 WHERE id = ?1",
            params![
                &victim.id.0[..],
                &keys.x25519[..],
                &keys.ed25519[..],
                keys.fingerprint()
            ],
        )
        .expect("swap");
}

#[test]
fn a_consistently_swapped_member_row_is_refused_before_wrapping_to_it() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    let mallory = Person::new(&fx, "Mallory");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    swap_consistently(&fx, &bob, &mallory);
    let mut a = fx.open();
    assert_integrity("grant", a.grant("Bob", DEV, Access::Read));
    assert_integrity("share", a.share(DEV, "OTHER", "Bob"));
    assert_integrity("re-key", a.rekey_env(PROD));
}

// ----- a revoked member's stale handle -------------------------------------

#[test]
fn an_op_by_a_revoked_member_after_revocation_is_refused_and_recorded() {
    let (fx, mut v) = vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Member, &[(DEV, Access::Write)]);
    drop(v);
    // Bob's handle stays open (and has his dev key cached) while Ada,
    // through her own handle, offboards him.
    let mut b = bob.open(&fx.path);
    assert_value(&mut b, DEV, "OTHER", OTHER_VALUE);
    b.set_item(DEV, "BOB_WAS_HERE", value("before"))
        .expect("a write before");
    let dev = b.env(DEV).expect("env");
    let mut a = fx.open();
    a.offboard("Bob", &mut |_, _| {}).expect("offboard");

    let e = b
        .set_item(DEV, "OTHER", value("after-revocation"))
        .expect_err("stale handle writes");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    assert_no_value("stale handle reads", b.get_item(DEV, "OTHER"));
    // An op Bob signs now — the kind he could apply a minute ago — is
    // refused by `apply` because he was revoked, and recorded as denied.
    let ops_before = a.audit_log().expect("log").len();
    let e = b
        .apply(OpBody::SetItem {
            item_id: Id::make(),
            env_id: dev.id,
            version: 1,
            ik_ct: Some(vec![0; 72]),
            blob: vec![0; 64],
            meta: RotationMeta::default(),
            sealed_under: None,
        })
        .expect_err("a revoked member's op");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    assert!(e.to_string().contains("revoked"), "{e}");
    let e = b.add_env("web/bob", None).expect_err("add env");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    drop(b);
    let log = a.audit_log().expect("log");
    assert_eq!(log.len(), ops_before + 2, "both attempts are in the log");
    for entry in &log[ops_before..] {
        assert_eq!(
            (entry.author.as_str(), entry.outcome.as_str()),
            ("Bob", "denied"),
            "{entry:?}"
        );
    }
    assert_value(&mut a, DEV, "OTHER", OTHER_VALUE);
    assert_kind(
        "nothing was written",
        ErrorKind::NotFound,
        a.get_item("web/bob", "X"),
    );
    let rep = a.verify().expect("verify");
    assert!(rep.ok(), "{:?}", rep.problems);
    // And Bob cannot come back through the front door either.
    assert_permission("reopen", bob.try_open(&fx.path).map(|_| ()));
}
