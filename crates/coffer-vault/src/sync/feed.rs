//! Feed entries: one signed op as it travels between devices.
//!
//! A feed entry is the op's header, body and signature in the canonical
//! encoding (`coffer/v1/feed-entry`, version 1). This layout is a stability
//! commitment, pinned by the frozen vector below. What an entry does not
//! carry is as important: no outcome, no position in anyone's log — each
//! device computes those itself.

use coffer_crypto::encoding::{Decoder, Encoder};
use coffer_crypto::Id;

use crate::error::{Error, Result};
use crate::ops::OpHeader;

const LABEL: &str = "coffer/v1/feed-entry";

/// The most an entry file may weigh: the largest body the canonical
/// decoder accepts, plus the header. A larger file is refused unread.
pub const MAX_ENTRY_BYTES: u64 = (64 << 20) + 4096;

/// One op as published in a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The signed header.
    pub header: OpHeader,
    /// The canonical body.
    pub body: Vec<u8>,
    /// The author's Ed25519 signature over `header.signed_bytes(body)`.
    pub sig: [u8; 64],
}

fn m(_: coffer_crypto::Error) -> Error {
    Error::integrity("a feed entry is malformed")
}

impl Entry {
    /// The entry's hash (the next entry of its feed chains to it).
    pub fn hash(&self) -> [u8; 32] {
        self.header.hash(&self.body)
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let h = &self.header;
        let mut e = Encoder::with_capacity(LABEL, 1, self.body.len() + 256);
        e.fixed(&h.op_id.0)
            .fixed(&h.vault_id.0)
            .fixed(&h.device_id.0)
            .u64(h.device_seq)
            .fixed(&h.author_id.0)
            .u64(h.hlc)
            .u8(h.kind)
            .fixed(&h.prev_hash)
            .bytes(&self.body)
            .fixed(&self.sig);
        e.finish()
    }

    /// Reads canonical bytes (structure only: nothing here is verified).
    pub fn decode(b: &[u8]) -> Result<Self> {
        let mut d = Decoder::new(b, LABEL, 1).map_err(m)?;
        let header = OpHeader {
            op_id: Id(d.fixed().map_err(m)?),
            vault_id: Id(d.fixed().map_err(m)?),
            device_id: Id(d.fixed().map_err(m)?),
            device_seq: d.u64().map_err(m)?,
            author_id: Id(d.fixed().map_err(m)?),
            hlc: d.u64().map_err(m)?,
            kind: d.u8().map_err(m)?,
            prev_hash: d.fixed().map_err(m)?,
        };
        let body = d.bytes().map_err(m)?.to_vec();
        let sig = d.fixed().map_err(m)?;
        d.finish().map_err(m)?;
        Ok(Entry { header, body, sig })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            header: OpHeader {
                op_id: Id([1; 16]),
                vault_id: Id([2; 16]),
                device_id: Id([3; 16]),
                device_seq: 4,
                author_id: Id([5; 16]),
                hlc: 6 << 16,
                kind: 3,
                prev_hash: [7; 32],
            },
            body: vec![8; 5],
            sig: [9; 64],
        }
    }

    #[test]
    fn round_trips_and_refuses_trailing_or_short_input() {
        let e = sample();
        let b = e.encode();
        assert_eq!(Entry::decode(&b).expect("decode"), e);
        let mut long = b.clone();
        long.push(0);
        assert!(Entry::decode(&long).is_err());
        for cut in 0..b.len() {
            assert!(Entry::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
    }

    /// Frozen: the published layout must not change under existing feeds.
    #[test]
    fn frozen_vector() {
        let hex: String = sample()
            .encode()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let digest: String = coffer_crypto::sha256(&[hex.as_bytes()])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, FROZEN, "feed entry encoding changed: {hex}");
    }

    const FROZEN: &str = "c6dabbf980408af7d17218f3a0778143490ab40e32a45aafb6297424360677bc";
}
