#!/usr/bin/env python3
"""Writes a Bitwarden password-protected encrypted JSON export, as Bitwarden
writes one, with Python's `cryptography` package: an implementation of
PBKDF2, Argon2id, HKDF, AES-CBC and HMAC independent of the RustCrypto
crates Coffer reads it with.

Format, from Bitwarden's help article "Encrypted Exports" and its open-source
clients (bitwarden/clients `BaseVaultExportService.buildPasswordExport`,
`KeyGenerationService.deriveKeyFromPassword` / `stretchKey`; bitwarden-crypto
`derive_kdf_key`, `stretch_kdf_key`, EncString type 2):

  master = PBKDF2-HMAC-SHA256(password, salt_text, iterations, 32)       kdfType 0
         | Argon2id(password, SHA-256(salt_text), t, m MiB, p, 32)        kdfType 1
  enc = HKDF-Expand-SHA256(master, "enc", 32); mac = HKDF-Expand(master, "mac", 32)
  EncString = "2." b64(iv) "|" b64(AES-256-CBC-PKCS7(enc, iv, text)) "|" b64(HMAC-SHA256(mac, iv || ct))

salt_text is the base64 text of 16 random bytes, used as UTF-8 bytes.

Usage: make-encrypted.py PLAIN.json OUT.json pbkdf2|argon2id [GUID]
The password is read from the environment variable BW_EXPORT_PASSWORD.
Not made by Bitwarden: see README.md beside the fixtures.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import uuid

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def master_key(password, salt_text, kdf):
    if kdf["kdfType"] == 0:
        return PBKDF2HMAC(hashes.SHA256(), 32, salt_text.encode(), kdf["kdfIterations"]).derive(password)
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=hashlib.sha256(salt_text.encode()).digest(),
        length=32,
        iterations=kdf["kdfIterations"],
        lanes=kdf["kdfParallelism"],
        memory_cost=kdf["kdfMemory"] * 1024,
    ).derive(password)


def stretch(master):
    enc = HKDFExpand(hashes.SHA256(), 32, b"enc").derive(master)
    mac = HKDFExpand(hashes.SHA256(), 32, b"mac").derive(master)
    return enc, mac


def enc_string(enc, mac, text):
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(text.encode()) + padder.finalize()
    e = Cipher(algorithms.AES(enc), modes.CBC(iv)).encryptor()
    ct = e.update(padded) + e.finalize()
    tag = hmac.new(mac, iv + ct, hashlib.sha256).digest()
    b = lambda x: base64.b64encode(x).decode()
    return f"2.{b(iv)}|{b(ct)}|{b(tag)}"


def main():
    plain_path, out_path, kind = sys.argv[1:4]
    guid = sys.argv[4] if len(sys.argv) > 4 else str(uuid.uuid4())
    password = os.environ["BW_EXPORT_PASSWORD"].encode()
    with open(plain_path, encoding="utf-8") as f:
        plain = f.read()
    json.loads(plain)  # must be an unencrypted export
    salt_text = base64.b64encode(os.urandom(16)).decode()
    if kind == "pbkdf2":
        kdf = {"kdfType": 0, "kdfIterations": 5000}
    elif kind == "argon2id":
        kdf = {"kdfType": 1, "kdfIterations": 2, "kdfMemory": 16, "kdfParallelism": 2}
    else:
        sys.exit("kind: pbkdf2 or argon2id")
    enc, mac = stretch(master_key(password, salt_text, kdf))
    doc = {"encrypted": True, "passwordProtected": True, "salt": salt_text}
    doc.update(kdf)
    doc["encKeyValidation_DO_NOT_EDIT"] = enc_string(enc, mac, guid)
    doc["data"] = enc_string(enc, mac, plain)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
