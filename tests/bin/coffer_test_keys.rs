//! `coffer-test-keys`: prints, for a memory test only, the key material a
//! test vault's owner holds while unlocked, so the test can search a
//! process's memory for the raw bytes of every key (docs/security.md,
//! "The desktop app").
//!
//! This binary belongs to the test crate (`coffer-tests`, never packaged):
//! neither the shipped CLI nor the app can print a key. It opens the
//! identity file itself (`coffer_tests::keys`, an independent reading of
//! the format: `coffer-crypto`'s key types do not give their bytes out),
//! then unwraps the environment keys and item keys through the library's
//! public unwrap functions.
//!
//! Usage: `coffer-test-keys HOME VAULT` with the passphrase on standard
//! input. Output: one line per key, `NAME HEX` (64 hex digits), names
//! `account-key`, `x25519-secret`, `ed25519-seed`, `env-key:<env id>:<epoch>`,
//! `item-key:<item id>`. Any failure: one line on stderr, exit 1.

use std::io::Read;
use std::path::Path;

use coffer_crypto::{EnvKey, Id, ItemKeyContext, PublicKeys, WrapContext, WrappableKey};
use coffer_tests::keys::{open_identity, Res};
use zeroize::Zeroizing;

fn main() {
    if let Err(e) = run() {
        eprintln!("coffer-test-keys: {e}");
        std::process::exit(1);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [home, vault] = args.as_slice() else {
        return Err("usage: coffer-test-keys HOME VAULT < passphrase".into());
    };
    let mut pass = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut pass)
        .map_err(|e| e.to_string())?;
    let opened = open_identity(Path::new(home), pass.trim_end_matches('\n'))?;
    println!("account-key {}", hex(&*opened.account_key));
    println!("x25519-secret {}", hex(&*opened.x25519_secret));
    println!("ed25519-seed {}", hex(&*opened.ed25519_seed));
    let id = opened.id;
    let me = opened.private()?;

    // Environment keys (this member's wraps, current epochs) and the item
    // keys sealed under them.
    let db = rusqlite::Connection::open_with_flags(
        vault,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let q = |e: rusqlite::Error| e.to_string();
    let vault_id: Vec<u8> = db
        .query_row("SELECT id FROM vault", [], |r| r.get(0))
        .map_err(q)?;
    let vault_id = Id::from_slice(&vault_id).map_err(|e| e.to_string())?;
    let mut wraps = db
        .prepare(
            "SELECT w.env_id, w.epoch, w.epk, w.ct, w.sig, m.id, m.x25519, m.ed25519
             FROM env_wraps w JOIN members m ON m.id = w.sender_id
             WHERE w.member_id = ?1",
        )
        .map_err(q)?;
    type WrapRow = (
        Vec<u8>,
        i64,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
    );
    let rows: Vec<WrapRow> = wraps
        .query_map([id.0.as_slice()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .map_err(q)?
        .collect::<Result<_, _>>()
        .map_err(q)?;
    for (env, epoch, epk, ct, sig, sender, sx, sed) in rows {
        let env_id = Id::from_slice(&env).map_err(|e| e.to_string())?;
        let epoch = u64::try_from(epoch).map_err(|e| e.to_string())?;
        let sender = PublicKeys {
            id: Id::from_slice(&sender).map_err(|e| e.to_string())?,
            x25519: sx.try_into().map_err(|_| "sender key")?,
            ed25519: sed.try_into().map_err(|_| "sender key")?,
        };
        let ctx = WrapContext {
            vault_id,
            object_id: env_id,
            epoch,
            recipient_id: id,
            sender_id: sender.id,
        };
        let ek: EnvKey = coffer_crypto::wrap::unwrap(&me, &sender, &epk, &ct, &sig, &ctx)
            .map_err(|e| format!("environment key: {e}"))?;
        println!(
            "env-key:{}:{epoch} {}",
            env_id.to_hex(),
            hex(ek.key_bytes())
        );
        let mut items = db
            .prepare("SELECT id, ik_ct FROM items WHERE env_id = ?1")
            .map_err(q)?;
        let items: Vec<(Vec<u8>, Vec<u8>)> = items
            .query_map([env.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(q)?
            .collect::<Result<_, _>>()
            .map_err(q)?;
        for (item, ik_ct) in items {
            let item_id = Id::from_slice(&item).map_err(|e| e.to_string())?;
            let ctx = ItemKeyContext {
                vault_id,
                env_id,
                item_id,
                epoch,
            };
            let ik = ek
                .open_item_key(&ik_ct, &ctx)
                .map_err(|e| format!("item key: {e}"))?;
            println!("item-key:{} {}", item_id.to_hex(), hex(ik.key_bytes()));
        }
    }
    Ok(())
}
