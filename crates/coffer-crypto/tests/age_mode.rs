//! "Age mode" (DESIGN.md §3): the wrap's key schedule with age's info string
//! and an empty AAD must open a real age X25519 stanza.
//!
//! The vector in `tests/vectors/age/` was made once, by hand, with the real
//! `age` tool (Debian's age 1.1.1):
//!
//! ```text
//! age-keygen -o identity.txt
//! printf 'coffer age-mode vector: hello from age 1.1.1\n' > plaintext.txt
//! age -r "$(age-keygen -y identity.txt)" -o file.age plaintext.txt
//! ```
//!
//! `identity.txt` is a throwaway test key. Nothing here needs the `age`
//! binary. The file key returned by `wrap::age_mode_unwrap` is proved right
//! by age's own header MAC — `HMAC-SHA256(HKDF-SHA256(file_key, "",
//! "header"), header up to and including "---")` — and by decrypting the
//! payload (age's STREAM: `HKDF-SHA256(file_key, nonce16, "payload")`,
//! ChaCha20-Poly1305 64 KiB chunks, nonce = 11-byte big-endian counter ‖
//! last-chunk flag) back to `plaintext.txt`.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use coffer_crypto::wrap::age_mode_unwrap;
use coffer_crypto::Error;
use hkdf::hmac::{Hmac, Mac};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/age");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ------------------------------------------------------------------ Bech32

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk = 1u32;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(*v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// Minimal BIP-173 Bech32 decoder (checksum verified, strict padding), so
/// the test needs no extra dependency. Returns (hrp, data).
fn bech32_decode(s: &str) -> (String, Vec<u8>) {
    let s = s.to_ascii_lowercase();
    let (hrp, data) = s.rsplit_once('1').expect("bech32 separator");
    let values: Vec<u8> = data
        .bytes()
        .map(|c| {
            let pos = CHARSET
                .iter()
                .position(|&x| x == c)
                .expect("bech32 charset");
            u8::try_from(pos).expect("< 32")
        })
        .collect();
    let mut check: Vec<u8> = hrp.bytes().map(|c| c >> 5).collect();
    check.push(0);
    check.extend(hrp.bytes().map(|c| c & 31));
    check.extend(&values);
    assert_eq!(polymod(&check), 1, "bech32 checksum");
    let payload = &values[..values.len() - 6];
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for v in payload {
        acc = (acc << 5) | u32::from(*v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).expect("byte"));
        }
    }
    assert!(bits < 5 && (acc & ((1 << bits) - 1)) == 0, "bech32 padding");
    (hrp.to_string(), out)
}

// --------------------------------------------------------------- age file

struct AgeFile {
    /// Header bytes up to and including "---".
    mac_input: Vec<u8>,
    mac: Vec<u8>,
    epk: [u8; 32],
    body: Vec<u8>,
    payload: Vec<u8>,
}

fn parse_age(file: &[u8]) -> AgeFile {
    let marker = b"\n--- ";
    let at = file
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("header end");
    let mac_input = file[..at + 4].to_vec();
    let rest = &file[at + marker.len()..];
    let nl = rest.iter().position(|&b| b == b'\n').expect("mac line");
    let mac = STANDARD_NO_PAD.decode(&rest[..nl]).expect("mac base64");
    let payload = rest[nl + 1..].to_vec();

    let header = std::str::from_utf8(&mac_input).expect("ascii header");
    let mut lines = header.lines();
    assert_eq!(lines.next(), Some("age-encryption.org/v1"));
    let stanza = lines.next().expect("stanza");
    let epk_b64 = stanza
        .strip_prefix("-> X25519 ")
        .expect("one X25519 stanza");
    let epk: [u8; 32] = STANDARD_NO_PAD
        .decode(epk_b64)
        .expect("epk base64")
        .try_into()
        .expect("32-byte epk");
    // The body is wrapped at 64 columns; it ends at the first short line.
    let mut body_b64 = String::new();
    for line in lines.by_ref() {
        body_b64.push_str(line);
        if line.len() < 64 {
            break;
        }
    }
    assert_eq!(lines.next(), Some("---"), "exactly one stanza");
    let body = STANDARD_NO_PAD.decode(body_b64).expect("body base64");
    AgeFile {
        mac_input,
        mac,
        epk,
        body,
        payload,
    }
}

fn identity_secret() -> [u8; 32] {
    let text = String::from_utf8(read("identity.txt")).expect("utf-8");
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .expect("secret key line");
    let (hrp, sk) = bech32_decode(line);
    assert_eq!(hrp, "age-secret-key-");
    let sk: [u8; 32] = sk.try_into().expect("32-byte secret");
    // The recipient printed beside it must be this key's public key (also
    // checks the Bech32 decoder against a second string).
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key comment");
    let (hrp, pk) = bech32_decode(recipient);
    assert_eq!(hrp, "age");
    assert_eq!(pk, PublicKey::from(&StaticSecret::from(sk)).as_bytes());
    sk
}

fn hkdf32(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut k)
        .expect("32 bytes");
    k
}

fn header_mac_ok(file_key: &[u8], f: &AgeFile) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&hkdf32(file_key, b"", b"header"))
        .expect("any key length");
    mac.update(&f.mac_input);
    mac.verify_slice(&f.mac).is_ok()
}

/// age's STREAM, enough for this vector (any number of chunks).
fn decrypt_payload(file_key: &[u8], payload: &[u8]) -> Vec<u8> {
    const CHUNK: usize = 64 * 1024 + 16;
    let (nonce, mut rest) = payload.split_at(16);
    let cipher = ChaCha20Poly1305::new(&hkdf32(file_key, nonce, b"payload").into());
    let (mut out, mut counter) = (Vec::new(), 0u64);
    loop {
        let last = rest.len() <= CHUNK;
        let (chunk, tail) = rest.split_at(rest.len().min(CHUNK));
        let mut n = [0u8; 12];
        n[3..11].copy_from_slice(&counter.to_be_bytes());
        n[11] = u8::from(last);
        out.extend(
            cipher
                .decrypt(Nonce::from_slice(&n), chunk)
                .expect("payload chunk"),
        );
        if last {
            return out;
        }
        rest = tail;
        counter += 1;
    }
}

#[test]
fn age_mode_opens_a_real_age_stanza() {
    let sk = identity_secret();
    let f = parse_age(&read("file.age"));
    assert_eq!(f.body.len(), 32, "16-byte file key + tag");
    let file_key = age_mode_unwrap(&sk, &f.epk, &f.body).expect("age-mode unwrap");
    assert_eq!(file_key.len(), 16);
    assert!(header_mac_ok(&file_key, &f), "header MAC: wrong file key");
    assert_eq!(
        decrypt_payload(&file_key, &f.payload),
        read("plaintext.txt")
    );
    // The MAC check is not vacuous.
    let mut other = file_key.to_vec();
    other[0] ^= 1;
    assert!(!header_mac_ok(&other, &f));
}

#[test]
fn fail_flipped_stanza_body() {
    let sk = identity_secret();
    let f = parse_age(&read("file.age"));
    for i in 0..f.body.len() {
        let mut body = f.body.clone();
        body[i] ^= 0x01;
        assert_eq!(
            age_mode_unwrap(&sk, &f.epk, &body).err(),
            Some(Error::Decrypt),
            "byte {i}"
        );
    }
    assert!(age_mode_unwrap(&sk, &f.epk, &f.body[..31]).is_err());
}

#[test]
fn fail_flipped_epk_or_wrong_identity() {
    let sk = identity_secret();
    let f = parse_age(&read("file.age"));
    let mut epk = f.epk;
    epk[0] ^= 0x01;
    assert_eq!(
        age_mode_unwrap(&sk, &epk, &f.body).err(),
        Some(Error::Decrypt)
    );
    let mut other = sk;
    other[5] ^= 0x01;
    assert_eq!(
        age_mode_unwrap(&other, &f.epk, &f.body).err(),
        Some(Error::Decrypt)
    );
}

#[test]
fn fail_edited_header_breaks_the_mac() {
    let sk = identity_secret();
    let mut f = parse_age(&read("file.age"));
    let file_key = age_mode_unwrap(&sk, &f.epk, &f.body).expect("unwrap");
    f.mac_input[0] ^= 0x20; // "age-…" -> "Age-…"
    assert!(!header_mac_ok(&file_key, &f));
}
