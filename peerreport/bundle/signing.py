"""Ed25519 keys and signatures over a bundle's manifest.

Every workspace has a key pair, made by `peerreport init` (or the first
`submit` of an older workspace): the private key stays in the workspace and
the provider gives the funder the public key or just its fingerprint
(`peerreport keys show`). A signed bundle carries `signature.json`: the signature over the
exact bytes of `manifest.json`, the public key and its fingerprint. A valid
signature proves the manifest (and, through its hashes, every file) is what
the key holder wrote; checking the fingerprint against the one the funder was
given proves WHO that was.

The fingerprint is `SHA256:` and the unpadded base64 of the sha256 of the
raw 32-byte public key, the form OpenSSH prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerreport.errors import InputFileError

ALGORITHM = "ed25519"
SIGNATURE_NAME = "signature.json"


@dataclass(frozen=True)
class KeyPair:
    """Where `new_key_pair` wrote the keys, and the public key's fingerprint."""

    private_path: Path
    public_path: Path
    fingerprint: str


def fingerprint(public_raw: bytes) -> str:
    """`SHA256:` + unpadded base64 of the sha256 of a raw public key."""
    digest = base64.b64encode(hashlib.sha256(public_raw).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def new_key_paths(folder: Path, private_name: str, public_name: str) -> tuple[Path, Path]:
    """The two files of a new key pair in `folder` (made if missing); refuses to overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / private_name, folder / public_name
    for path in (private_path, public_path):
        if path.exists():
            raise InputFileError(f"{path} already exists; refusing to overwrite a key")
    return private_path, public_path


def write_private_key(path: Path, key: Any) -> None:
    """Write a private key as unencrypted PKCS#8 PEM, in a file made with mode 0600 from the
    start (never world-readable, not even for a moment)."""
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def new_key_pair(folder: Path, name: str = "peerreport") -> KeyPair:
    """Write NAME.key (private, PEM, mode 0600) and NAME.pub (public, PEM) into `folder`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = new_key_paths(folder, f"{name}.key", f"{name}.pub")
    key = Ed25519PrivateKey.generate()
    write_private_key(private_path, key)
    public = key.public_key()
    public_path.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KeyPair(private_path, public_path, fingerprint(raw))


def load_private_key(path: Path) -> Any:
    """An Ed25519 private key from a PEM file, or `InputFileError` saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputFileError(f"{path}: cannot read a private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputFileError(f"{path}: not an Ed25519 key (make one with `peerreport keys new`)")
    return key


def public_key_fingerprint(path: Path) -> str:
    """The fingerprint of a public key file (PEM), or of the public half of a private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read(path)
    if b"PRIVATE KEY" in data:
        public = load_private_key(path).public_key()
    else:
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise InputFileError(f"{path}: cannot read a public key ({exc})") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise InputFileError(f"{path}: not an Ed25519 public key")
    return fingerprint(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_pem(path: Path) -> str:
    """The public key (PEM) of a public key file, or of the public half of a private key."""
    from cryptography.hazmat.primitives import serialization

    data = _read(path)
    if b"PRIVATE KEY" not in data:
        public_key_fingerprint(path)  # refuses anything but an Ed25519 public key
        return data.decode("ascii", "replace")
    public = load_private_key(path).public_key()
    pem: bytes = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def sign(manifest_bytes: bytes, private_key: Any) -> bytes:
    """The canonical bytes of `signature.json` for a manifest, signed with `private_key`."""
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    data = {
        "algorithm": ALGORITHM,
        "signed": "manifest.json",
        "public_key": base64.b64encode(raw).decode("ascii"),
        "fingerprint": fingerprint(raw),
        "signature": base64.b64encode(private_key.sign(manifest_bytes)).decode("ascii"),
    }
    return canonical_signature(data)


def canonical_signature(data: dict[str, Any]) -> bytes:
    """The one byte form of `signature.json`."""
    return (json.dumps(data, sort_keys=True, indent=2) + "\n").encode("utf-8")


SIGNATURE_KEYS = frozenset({"algorithm", "signed", "public_key", "fingerprint", "signature"})


def check_signature(manifest_bytes: bytes, signature_bytes: bytes) -> tuple[str | None, str | None]:
    """(the signing key's fingerprint, None) when valid, else (fingerprint or None, problem)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data = json.loads(signature_bytes.decode("utf-8"))
    # ValueError: also a number too long to read; RecursionError: nesting too deep.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"signature.json is not readable JSON ({exc})"
    if not isinstance(data, dict) or set(data) != SIGNATURE_KEYS:
        return None, "signature.json does not have the expected fields"
    if canonical_signature(data) != signature_bytes:
        return None, "signature.json was edited (it is not in the form peerreport writes)"
    if data["algorithm"] != ALGORITHM or data["signed"] != "manifest.json":
        return None, f"signature.json: unsupported algorithm {data['algorithm']!r}"
    try:
        raw = base64.b64decode(str(data["public_key"]), validate=True)
        signature = base64.b64decode(str(data["signature"]), validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        return None, f"signature.json: unreadable key or signature ({exc})"
    found = fingerprint(raw)
    if data["fingerprint"] != found:
        return found, (f"signature.json names key {data['fingerprint']} but carries key {found}")
    try:
        public.verify(signature, manifest_bytes)
    except InvalidSignature:
        return found, f"the signature by key {found} does not match manifest.json"
    return found, None
