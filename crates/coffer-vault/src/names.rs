//! The blind name index (issue 14; docs/design-decisions.md, "The blind
//! name index"): `get`, `set` and the other lookups by name open the one
//! credential they name, not every credential of its environment, and
//! return exactly what opening them all would.
//!
//! One entry per live credential of an environment, in the local
//! `name_index` table: the tag of its name ([`NameIndexKey::tag`], keyed
//! from the environment key and this identity's secret) and a MAC binding
//! the entry to a digest of the stored rows its name was read from (its
//! item key, version, blob, rotation fields and writer: everything
//! opening it reads). The index is used for a lookup only when every live
//! credential of the environment has an entry whose MAC holds, under the
//! environment's current key, for the rows stored now; otherwise the
//! lookup opens them all, and the entries are written again from what it
//! opened. So an entry that was forged, moved, left over from an earlier
//! epoch or version, or planted or removed by whoever writes the file,
//! costs a full load, never another result:
//!
//! - a credential's rows are what its name depends on, so a credential
//!   whose entry holds has the name its tag says, and every credential
//!   named like the one asked for is among those opened (twins included:
//!   they share a name, so a tag);
//! - the entries are written only for an environment where every credential
//!   opened cleanly and no earlier keys are in play, and used only there.

use coffer_crypto::{Id, NameIndexKey, StateHasher};
use rusqlite::{params, Connection};

use crate::error::Result;
use crate::ops::RotationMeta;

/// Entries to write for one environment, computed by a full load and
/// written in the transaction of the next op this handle applies (the
/// read event of a `get`), so they cost no commit of their own.
#[derive(Debug)]
pub(crate) struct PendingNames {
    pub(crate) env_id: Id,
    pub(crate) entries: Vec<(Id, [u8; 32], [u8; 32])>,
}

/// The digest of the stored rows a credential's current name is read
/// from: what an entry's MAC binds it to.
pub(crate) fn rows_digest(
    ik_ct: &[u8],
    version: i64,
    blob: &[u8],
    meta: &RotationMeta,
    author: &[u8],
) -> [u8; 32] {
    let mut h = StateHasher::new("coffer/v1/name-index-rows");
    h.piece(ik_ct)
        .piece(&version.to_le_bytes())
        .piece(blob)
        .piece(&meta.canonical())
        .piece(author);
    h.finish()
}

/// The entry of a credential named `name` whose rows hash to `rows`.
pub(crate) fn entry(
    key: &NameIndexKey,
    item_id: Id,
    rows: &[u8; 32],
    name: &str,
) -> (Id, [u8; 32], [u8; 32]) {
    let tag = key.tag(&item_id, name);
    let mac = key.entry_mac(&item_id, rows, &tag);
    (item_id, tag, mac)
}

/// Replaces the environment's entries (inside the caller's transaction).
pub(crate) fn write(conn: &Connection, p: &PendingNames) -> Result<()> {
    conn.prepare_cached("DELETE FROM name_index WHERE env_id = ?1")?
        .execute([&p.env_id.0[..]])?;
    let mut st = conn.prepare_cached(
        "INSERT OR REPLACE INTO name_index (env_id, item_id, tag, mac) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (item, tag, mac) in &p.entries {
        st.execute(params![&p.env_id.0[..], &item.0[..], &tag[..], &mac[..]])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use coffer_crypto::{KdfParams, PrivateIdentity, SecretString};
    use rusqlite::Connection;

    use crate::items::ItemUpdate;
    use crate::{IdentityStore, Vault};

    const ENV: &str = "web/prod";

    fn value(s: &str) -> ItemUpdate {
        ItemUpdate {
            value: Some(SecretString::new(s.to_string())),
            ..Default::default()
        }
    }

    /// A vault of `n` credentials `K0..` with values `v0..` in one
    /// environment; the index is written by the first lookup's read event.
    fn vault(n: usize) -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().expect("tempdir");
        let me = IdentityStore::create(
            &dir.path().join("home"),
            "Ada",
            None,
            &SecretString::new("name index passphrase 1".into()),
            KdfParams::FLOOR,
            true,
        )
        .expect("identity");
        let mut v = Vault::create(&dir.path().join("v.coffer"), "Acme", me).expect("vault");
        v.add_env(ENV, None).expect("env");
        for i in 0..n {
            v.set_item(ENV, &format!("K{i}"), value(&format!("v{i}")))
                .expect("set");
        }
        (dir, v)
    }

    fn raw(dir: &tempfile::TempDir) -> Connection {
        Connection::open(dir.path().join("v.coffer")).expect("raw")
    }

    /// Looks `name` up; returns its value (or `None`) and whether the
    /// lookup went through the index (a full load leaves entries pending).
    fn lookup(v: &mut Vault, name: &str) -> (Option<String>, bool) {
        let env = v.env(ENV).expect("env");
        v.pending_names = None;
        let d = v.load_named(&env, name).expect("lookup");
        let full = v.pending_names.is_some();
        // The read event carries what a full load computed.
        v.log_read(crate::ops::ReadAction::Reveal, &env, vec![])
            .expect("read event");
        (d.map(|d| d.fields.value.expose_secret().to_string()), !full)
    }

    fn entries(dir: &tempfile::TempDir) -> i64 {
        raw(dir)
            .query_row("SELECT COUNT(*) FROM name_index", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn a_lookup_opens_one_item_once_the_index_is_written() {
        let (dir, mut v) = vault(12);
        // `set` wrote entries (its own lookup), but the set after them made
        // the last item's stale: the first lookup loads everything.
        assert_eq!(lookup(&mut v, "K3"), (Some("v3".into()), false));
        assert_eq!(entries(&dir), 12);
        for i in 0..12 {
            assert_eq!(
                lookup(&mut v, &format!("K{i}")),
                (Some(format!("v{i}")), true)
            );
        }
        // A name nobody has: not found, and still through the index.
        assert_eq!(lookup(&mut v, "NOPE"), (None, true));
    }

    #[test]
    fn a_new_version_a_removal_or_a_rekey_sends_the_lookup_back_to_a_full_load() {
        let (_dir, mut v) = vault(5);
        lookup(&mut v, "K0");
        v.set_item(ENV, "K2", value("changed")).expect("update");
        // The update's own lookup refreshed the entries before it wrote K2.
        assert_eq!(lookup(&mut v, "K2"), (Some("changed".into()), false));
        assert_eq!(lookup(&mut v, "K2"), (Some("changed".into()), true));
        v.remove_item(ENV, "K4").expect("rm");
        assert_eq!(
            lookup(&mut v, "K4"),
            (None, true),
            "a removed item's entry is not live"
        );
        v.rekey_env(ENV).expect("rekey");
        assert_eq!(lookup(&mut v, "K1"), (Some("v1".into()), false));
        assert_eq!(lookup(&mut v, "K1"), (Some("v1".into()), true));
    }

    type Edit<'a> = Box<dyn Fn(&Connection) + 'a>;
    type StoredRow = (Vec<u8>, Vec<u8>, i64, Vec<u8>, Vec<u8>);

    /// ATTACK: whoever writes the file moves, swaps, copies, removes or
    /// plants entries. RESISTED: every lookup still finds exactly what a
    /// full load finds (an entry that does not hold sends it there).
    #[test]
    fn attack_edited_entries_never_change_a_result() {
        let (dir, mut v) = vault(6);
        lookup(&mut v, "K0");
        let ids: Vec<Vec<u8>> = {
            let c = raw(&dir);
            let mut st = c
                .prepare("SELECT item_id FROM name_index ORDER BY item_id")
                .expect("ids");
            let r = st.query_map([], |r| r.get(0)).expect("rows");
            r.collect::<Result<_, _>>().expect("ids")
        };
        let edits: Vec<Edit> = vec![
            // K-a's tag moved onto K-b (MAC no longer holds).
            Box::new(|c| {
                c.execute(
                    "UPDATE name_index SET tag = (SELECT tag FROM name_index WHERE item_id = ?1) WHERE item_id = ?2",
                    [&ids[0], &ids[1]],
                )
                .expect("move tag");
            }),
            // Whole entries swapped between two items (tag and MAC).
            Box::new(|c| {
                c.execute_batch("CREATE TEMP TABLE t AS SELECT * FROM name_index;")
                    .expect("copy");
                c.execute(
                    "UPDATE name_index SET
                        tag = (SELECT t.tag FROM t WHERE t.item_id =
                               CASE name_index.item_id WHEN ?1 THEN ?2 ELSE ?1 END),
                        mac = (SELECT t.mac FROM t WHERE t.item_id =
                               CASE name_index.item_id WHEN ?1 THEN ?2 ELSE ?1 END)
                     WHERE item_id IN (?1, ?2)",
                    [&ids[2], &ids[3]],
                )
                .expect("swap");
            }),
            // An entry removed.
            Box::new(|c| {
                c.execute("DELETE FROM name_index WHERE item_id = ?1", [&ids[4]])
                    .expect("delete");
            }),
            // Every entry's MAC zeroed.
            Box::new(|c| {
                c.execute("UPDATE name_index SET mac = zeroblob(32)", [])
                    .expect("zero");
            }),
            // A tag truncated.
            Box::new(|c| {
                c.execute(
                    "UPDATE name_index SET tag = substr(tag, 1, 31) WHERE item_id = ?1",
                    [&ids[5]],
                )
                .expect("truncate");
            }),
        ];
        for (i, edit) in edits.iter().enumerate() {
            lookup(&mut v, "K0"); // entries written afresh
            assert!(lookup(&mut v, "K0").1, "edit {i}: the index holds before");
            edit(&raw(&dir));
            let mut full = 0;
            for k in 0..6 {
                let (got, through) = lookup(&mut v, &format!("K{k}"));
                assert_eq!(got, Some(format!("v{k}")), "edit {i}: K{k}");
                full += usize::from(!through);
            }
            assert!(
                full >= 1,
                "edit {i}: a broken entry must send a lookup to the full load"
            );
        }
        // Entries planted for items that are not live are never read.
        lookup(&mut v, "K0");
        raw(&dir)
            .execute(
                "INSERT INTO name_index SELECT env_id, randomblob(16), tag, mac FROM name_index",
                [],
            )
            .expect("plant");
        assert_eq!(lookup(&mut v, "K1"), (Some("v1".into()), true));
    }

    /// ATTACK: a teammate who holds the environment key (or another
    /// identity of the same person) writes entries of their own making,
    /// pointing K0's name at K1. RESISTED: the key is also derived from
    /// this identity's secret; their entries do not hold here.
    #[test]
    fn attack_entries_made_under_another_identity_do_not_hold() {
        let (dir, mut v) = vault(3);
        lookup(&mut v, "K0");
        let env = v.env(ENV).expect("env");
        let ek = v.env_keys.get(&env.id).expect("env key").1.duplicate();
        let eve = PrivateIdentity::make();
        let key = eve.derive_name_index_key(&ek, &v.vault_id, &env.id, env.epoch);
        let c = raw(&dir);
        let rows: Vec<StoredRow> = {
            let mut st = c
                .prepare(
                    "SELECT i.id, i.ik_ct, v.version, v.blob, v.author_id FROM items i
                     JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
                     ORDER BY i.created_at, i.id",
                )
                .expect("rows");
            let r = st
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .expect("rows");
            r.collect::<Result<_, _>>().expect("rows")
        };
        for (n, (id, ik_ct, version, blob, author)) in rows.iter().enumerate() {
            let meta: crate::ops::RotationMeta = c
                .query_row(
                    "SELECT rotate_every_days, rotated_at, expires_at, exposed_at FROM item_versions
                     WHERE item_id = ?1 AND version = ?2",
                    rusqlite::params![id, version],
                    |r| crate::items::meta_at(r, 0),
                )
                .expect("meta");
            let digest = super::rows_digest(ik_ct, *version, blob, &meta, author);
            // K0's item is entered under "K1", every other under "K0".
            let name = if n == 0 { "K1" } else { "K0" };
            let item = coffer_crypto::Id::from_slice(id).expect("id");
            let (_, tag, mac) = super::entry(&key, item, &digest, name);
            c.execute(
                "UPDATE name_index SET tag = ?1, mac = ?2 WHERE item_id = ?3",
                rusqlite::params![&tag[..], &mac[..], id],
            )
            .expect("forge");
        }
        drop(c);
        assert_eq!(lookup(&mut v, "K0"), (Some("v0".into()), false));
        assert_eq!(lookup(&mut v, "K1"), (Some("v1".into()), true));
    }

    #[test]
    fn no_entry_holds_a_name_in_the_clear() {
        let (dir, mut v) = vault(0);
        let name = "CANARY_NAME_OF_A_CREDENTIAL";
        v.set_item(ENV, name, value("x")).expect("set");
        lookup(&mut v, name);
        let c = raw(&dir);
        let (n, tag, mac): (i64, Vec<u8>, Vec<u8>) = c
            .query_row("SELECT COUNT(*), tag, mac FROM name_index", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("entry");
        assert_eq!((n, tag.len(), mac.len()), (1, 32, 32));
        for b in [&tag, &mac] {
            assert!(!b.windows(6).any(|w| w == &name.as_bytes()[..6]));
            assert_ne!(&b[..], &coffer_crypto::sha256(&[name.as_bytes()])[..]);
        }
    }
}
