"""The funder's exact figures, sealed to the funder's X25519 public key inside a bundle.

A rule file whose `[release]` says `funder_exact = true` names the funder's
public key (`funder_key = "x25519:..."`). Each bundle filed with it carries
`funder-figures.sealed.json`: the exact (unprotected) figures, encrypted so
that only the holder of the funder's private key can read them. The entry is
listed in the manifest with its sha256 like every file, so the signature
covers it; the published figures stay protected.

The scheme, HPKE-like (RFC 9180 base mode, single shot), all from
`cryptography`:

1. a fresh ephemeral X25519 key pair; `shared = X25519(ephemeral, funder)`;
2. `key = HKDF-SHA256(shared, salt = ephemeral public || funder public,
   info = "peerreport sealed exact figures v1", 32 bytes)`;
3. `ChaCha20Poly1305(key)` with a zero nonce (the key is used once), over
   the figures as canonical JSON, with the return's identity (organisation,
   rule file id and digest, period, records revision) as associated data,
   so a sealed part cannot be moved into another provider's bundle.

The sealed entry names the recipient key's fingerprint, so a wrong key is
told apart from a tampered entry. It is the one entry of a bundle that
differs each time it is written (a fresh ephemeral key): sealing the same
figures twice must not give the same bytes, or equal ciphertexts would show
that two returns' exact figures are equal.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerreport.bundle.signing import fingerprint, new_key_paths, write_private_key
from peerreport.errors import InputFileError, PeerreportError

SEALED_NAME = "funder-figures.sealed.json"
SEALED_FORMAT = "peerreport-sealed/1"
SCHEME = "X25519-HKDF-SHA256-ChaCha20Poly1305"
KEY_PREFIX = "x25519:"
_INFO = b"peerreport sealed exact figures v1"
_NONCE = bytes(12)


class SealError(PeerreportError):
    """The sealed exact figures cannot be opened: wrong key, altered, or malformed."""


@dataclass(frozen=True)
class FunderKeyPair:
    """Where `new_funder_key` wrote the keys, and the public key as a rule file names it."""

    private_path: Path
    public_path: Path
    public_text: str


def public_text(raw: bytes) -> str:
    """`x25519:` and the base64 of a raw 32-byte public key: the form a rule file carries."""
    return KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_text(text: str) -> bytes:
    """The raw 32 bytes of an `x25519:...` public key; `SealError` when malformed."""
    body = text.strip()
    if not body.startswith(KEY_PREFIX):
        raise SealError(f"a funder key starts with {KEY_PREFIX!r}")
    try:
        raw = base64.b64decode(body[len(KEY_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SealError("the funder key is not base64") from None
    if len(raw) != 32:
        raise SealError(f"a funder key is 32 bytes, not {len(raw)}")
    return raw


def new_funder_key(folder: Path, name: str = "funder") -> FunderKeyPair:
    """Write NAME.x25519.key (private, PEM, mode 0600) and NAME.x25519.pub (`x25519:...`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    private_path, public_path = new_key_paths(folder, f"{name}.x25519.key", f"{name}.x25519.pub")
    key = X25519PrivateKey.generate()
    write_private_key(private_path, key)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = public_text(raw)
    public_path.write_text(text + "\n", encoding="ascii")
    return FunderKeyPair(private_path, public_path, text)


def load_funder_private_key(path: Path) -> Any:
    """An X25519 private key from a PEM file, or `InputFileError` saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the funder key ({exc.strerror or exc})") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputFileError(
            f"{path} is not a funder private key (expected the .x25519.key file written by "
            "`peerreport keys funder-new`)"
        ) from None
    if not isinstance(key, X25519PrivateKey):
        raise InputFileError(
            f"{path} is not an X25519 key (a signing key is not the funder's key: use the "
            ".x25519.key file written by `peerreport keys funder-new`)"
        )
    return key


def private_key_public_text(key: Any) -> str:
    """The `x25519:...` public key of a loaded private key."""
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return public_text(raw)


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO
    ).derive(shared)


def seal_figures(figures: Mapping[str, Any], funder_key: str, context: Mapping[str, Any]) -> bytes:
    """The bytes of the sealed entry: `figures` encrypted to `funder_key`, bound to `context`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    recipient = parse_public_text(funder_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    box = ChaCha20Poly1305(_key(shared, ephemeral_raw, recipient))
    ciphertext = box.encrypt(_NONCE, _canonical(figures), _canonical(context))
    entry = {
        "format": SEALED_FORMAT,
        "scheme": SCHEME,
        "recipient": fingerprint(recipient),
        "ephemeral_key": base64.b64encode(ephemeral_raw).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }
    return (json.dumps(entry, sort_keys=True, indent=2) + "\n").encode("ascii")


def sealed_recipient(data: bytes) -> str:
    """The fingerprint of the key an entry is sealed to; `SealError` when malformed."""
    return str(_read(data)["recipient"])


def _read(data: bytes) -> dict[str, Any]:
    try:
        entry = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SealError(f"{SEALED_NAME} is not readable JSON") from None
    fields = ("format", "scheme", "recipient", "ephemeral_key", "ciphertext")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in fields):
        raise SealError(f"{SEALED_NAME} is not a sealed entry peerreport writes")
    if entry["format"] != SEALED_FORMAT or entry["scheme"] != SCHEME:
        raise SealError(f"{SEALED_NAME} is sealed with {entry['scheme']}, not {SCHEME}")
    return entry


def open_figures(data: bytes, private_key: Any, context: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of a sealed entry, opened with the funder's private key.

    Raises `SealError`: sealed to another key (named by fingerprint), or
    altered (the ciphertext, the ephemeral key or the return it belongs to).
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    entry = _read(data)
    mine = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if entry["recipient"] != fingerprint(mine):
        raise SealError(
            f"the exact figures are sealed to key {entry['recipient']}, not to the funder key "
            f"given ({fingerprint(mine)})"
        )
    try:
        ephemeral = base64.b64decode(entry["ephemeral_key"], validate=True)
        ciphertext = base64.b64decode(entry["ciphertext"], validate=True)
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        box = ChaCha20Poly1305(_key(shared, ephemeral, mine))
        plain = box.decrypt(_NONCE, ciphertext, _canonical(context))
    except (binascii.Error, ValueError, InvalidTag):
        raise SealError(
            "the sealed exact figures were altered, or belong to another return: they do not "
            "open with the funder key"
        ) from None
    figures = json.loads(plain.decode("utf-8"))
    if not isinstance(figures, dict):
        raise SealError(f"{SEALED_NAME} does not hold figures")
    return figures
