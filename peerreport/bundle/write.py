"""Writing a bundle: the rendered files, `manifest.json`, optionally `signature.json`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from peerreport.bundle.archive import write_archive
from peerreport.bundle.manifest import MANIFEST_NAME, build_manifest, manifest_bytes, seal
from peerreport.bundle.signing import SIGNATURE_NAME, load_private_key, sign
from peerreport.errors import InputFileError, UsageError
from peerreport.returns.model import Return

RESERVED = frozenset({MANIFEST_NAME, SIGNATURE_NAME})


def bundle_name(ret: Return, version: int | None = None, draft: bool = False) -> str:
    """`<rule-id>_<period>_<org>[_DRAFT][_vN].bundle.zip`, named like the rendered files."""
    from peerreport.render.export import file_stem

    stem = file_stem(ret, draft)
    return f"{stem}_v{version}.bundle.zip" if version is not None else f"{stem}.bundle.zip"


def bundle_bytes(
    ret: Return,
    files: Mapping[str, bytes],
    key: Any = None,
    *,
    draft: bool = False,
    submission: Mapping[str, Any] | None = None,
    rule_file: Mapping[str, Any] | None = None,
    ledger: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes of a bundle: the same return, files and key always give the same bytes.

    `files` maps entry names to contents; `key` is a loaded Ed25519 private key
    or None for an unsigned bundle.
    """
    clash = RESERVED & set(files)
    if clash:
        raise UsageError(f"a rendered file may not be called {', '.join(sorted(clash))}")
    manifest = manifest_bytes(
        build_manifest(
            ret, files, draft=draft, submission=submission, rule_file=rule_file, ledger=ledger
        )
    )
    entries = {**files, MANIFEST_NAME: manifest}
    if key is not None:
        entries[SIGNATURE_NAME] = sign(manifest, key)
    return write_archive(entries, seal(manifest))


def write_bundle(
    ret: Return,
    files: Sequence[Path],
    out_dir: Path,
    key: Path | Any | None = None,
    *,
    draft: bool = False,
    submission: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Path:
    """Write `out_dir/<rule-id>_<period>_<org>.bundle.zip` holding `files`; return its path.

    `key` is a private key file (from `peerreport keys new`) or a loaded key;
    with it the bundle is signed. `draft` records that the files say DRAFT;
    `submission` is the ledger entry of a submitted return.
    """
    contents: dict[str, bytes] = {}
    for path in files:
        if path.name in contents:
            raise UsageError(f"two files called {path.name} cannot go in one bundle")
        try:
            contents[path.name] = path.read_bytes()
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    loaded = load_private_key(key) if isinstance(key, Path) else key
    data = bundle_bytes(ret, contents, loaded, draft=draft, submission=submission)
    return save_bundle(data, out_dir / (name or bundle_name(ret, draft=draft)))


def save_bundle(data: bytes, target: Path) -> Path:
    """Write bundle bytes to `target` through a temporary file and a rename.

    So a half-written bundle never exists under its real name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".bundle-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
