"""`manifest.json`: what a bundle holds, and the seal that ties the manifest to the zip.

The manifest lists every file with its sha256 and size, and carries the whole
return (organisation, rule file id, version and digest, period, figures,
findings, the record-set digest and counts, the tool version), whether the
files are a draft, and, for a submitted return, its ledger version.

Its bytes are canonical JSON (sorted keys, two-space indent, UTF-8, final
newline), so the same return and files always give the same manifest. The
zip comment holds the manifest's seal, `peerreport-bundle/1 manifest
sha256:<hex>`, so a bundle whose manifest was changed (but not the seal) is
detected even without a signature.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from peerreport.bundle.document import FORMAT, ManifestDocument
from peerreport.returns.document_types import describe
from peerreport.returns.model import Return

MANIFEST_NAME = "manifest.json"
_SEAL = re.compile(rb"^peerreport-bundle/1 manifest sha256:([0-9a-f]{64})$")


def sha256_hex(data: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def build_manifest(
    ret: Return,
    files: Mapping[str, bytes],
    *,
    draft: bool = False,
    submission: Mapping[str, Any] | None = None,
    rule_file: Mapping[str, Any] | None = None,
    ledger: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest data for a return and its rendered files (name -> bytes).

    `rule_file` is the resolved rule file the return was built with (id,
    version, digest and the resolved data), so an auditor can recompute
    without looking for rule files; `ledger` the head of the ledger's hash
    chain when the return was submitted.
    """
    return {
        "format": FORMAT,
        "draft": draft,
        "files": [
            {"name": name, "sha256": sha256_hex(files[name]), "size": len(files[name])}
            for name in sorted(files)
        ],
        "return": ret.to_dict(),
        "submission": dict(submission) if submission is not None else None,
        "rule_file": dict(rule_file) if rule_file is not None else None,
        "ledger": dict(ledger) if ledger is not None else None,
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a manifest."""
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def seal(manifest: bytes) -> bytes:
    """The zip comment sealing a manifest."""
    return f"{FORMAT} manifest sha256:{sha256_hex(manifest)}".encode("ascii")


def sealed_digest(comment: bytes) -> str | None:
    """The manifest sha256 a zip comment records, or None if it is not a seal."""
    found = _SEAL.match(comment)
    return found.group(1).decode("ascii") if found else None


def parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(manifest, None) when `data` is a canonical manifest, else (manifest or None, problem).

    A manifest is only returned when it has the shape `ManifestDocument` defines,
    so code reading it (and `Return.from_dict`) meets only valid data.
    """
    try:
        manifest = json.loads(data.decode("utf-8"))
    # ValueError: also a number too long to read; RecursionError: nesting too deep.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"manifest.json is not readable JSON ({exc})"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None, f"manifest.json is not a {FORMAT} manifest"
    problem = _shape_problem(manifest)
    if problem:
        return None, problem
    if manifest_bytes(manifest) != data:
        return manifest, "manifest.json was edited (it is not in the form peerreport writes)"
    return manifest, None


def _shape_problem(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's shape, naming the key path; None when it is right."""
    try:
        ManifestDocument.model_validate(manifest)
    except ValidationError as exc:
        return f"manifest.json: {describe(exc)}"
    return None
