//! Building a new epoch for an environment: new EK, a new IK for every item
//! (live or deleted), every version re-encrypted, the EK wrapped to each
//! member who keeps access. The result is one op, applied in one
//! transaction.

use coffer_crypto::{EnvKey, Id, ItemContext, ItemKey, ItemKeyContext};
use rusqlite::params;

use crate::error::{Error, Result};
use crate::items::{all_versions, decode_fields, seal};
use crate::ops::{OpBody, RekeyedItem, VersionRecord};
use crate::vault::{EnvInfo, Vault};

pub(crate) fn build_rekey(vault: &mut Vault, env: &EnvInfo, keep: &[Id]) -> Result<OpBody> {
    let vault_id = vault.vault_id;
    let old_ek_ctx = |item_id| ItemKeyContext {
        vault_id,
        env_id: env.id,
        item_id,
        epoch: env.epoch,
    };
    let new_epoch = env.epoch + 1;
    let new_ek = EnvKey::make();
    let item_rows: Vec<(Id, Vec<u8>)> = {
        let mut st = vault
            .conn
            .prepare("SELECT id, ik_ct FROM items WHERE env_id = ?1 ORDER BY id")?;
        let rows = st.query_map(params![&env.id.0[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut v = Vec::new();
        for r in rows {
            let (id, ct) = r?;
            v.push((
                Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?,
                ct,
            ));
        }
        v
    };
    let mut items = Vec::with_capacity(item_rows.len());
    for (item_id, ik_ct) in item_rows {
        let old_ik = vault
            .env_key(env)?
            .open_item_key(&ik_ct, &old_ek_ctx(item_id))
            .map_err(|_| {
                Error::integrity(format!("an item key in {} does not open", env.path()))
            })?;
        let new_ik = ItemKey::make();
        let mut versions = Vec::new();
        for (version, blob, meta) in all_versions(vault, &item_id)? {
            let m = meta.canonical();
            let pt = old_ik
                .open_item(
                    &blob,
                    &ItemContext {
                        vault_id,
                        env_id: env.id,
                        item_id,
                        row_version: version,
                        meta: &m,
                    },
                )
                .map_err(|_| {
                    Error::integrity(format!("an item in {} does not decrypt", env.path()))
                })?;
            let fields = decode_fields(pt.expose_secret())?;
            let blob = seal(&new_ik, vault_id, env, item_id, version, &fields, &meta)?;
            versions.push(VersionRecord {
                version,
                blob,
                meta,
            });
        }
        let ik_ct = new_ek
            .seal_item_key(
                &new_ik,
                &ItemKeyContext {
                    vault_id,
                    env_id: env.id,
                    item_id,
                    epoch: new_epoch,
                },
            )
            .map_err(|_| Error::InvalidInput("item too large".into()))?;
        items.push(RekeyedItem {
            item_id,
            ik_ct,
            versions,
        });
    }
    let mut wraps = Vec::with_capacity(keep.len());
    for m in keep {
        let keys = Vault::member_keys(&vault.conn, m)?;
        wraps.push(vault.wrap_env_key(&new_ek, &env.id, new_epoch, &keys)?);
    }
    Ok(OpBody::RekeyEnv {
        env_id: env.id,
        epoch: new_epoch,
        wraps,
        items,
    })
}
