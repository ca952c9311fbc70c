"""Bundles: a return's rendered files in one tamper-evident zip.

    Return + rendered files ──write_bundle──▶ RULE_PERIOD_ORG.bundle.zip
                                                ├── the files (xlsx, csv, json, html)
                                                ├── manifest.json  (sha256 of each file, the return)
                                                └── signature.json (optional, Ed25519)

`verify_bundle` checks one and reports exactly what was altered. The zip is
written byte for byte the same for the same return (see `archive`), sealed by
its comment (see `manifest`), and optionally signed (see `signing`). Nothing
here touches the database. docs/audit.md describes the format.
"""

from __future__ import annotations

from peerreport.bundle.archive import ArchiveError, read_archive, write_archive
from peerreport.bundle.document import FORMAT
from peerreport.bundle.manifest import MANIFEST_NAME, build_manifest, manifest_bytes
from peerreport.bundle.signing import (
    SIGNATURE_NAME,
    KeyPair,
    fingerprint,
    load_private_key,
    new_key_pair,
    public_key_fingerprint,
)
from peerreport.bundle.verify import Bundle, BundleCheck, Trust, verify_bundle
from peerreport.bundle.write import bundle_bytes, bundle_name, save_bundle, write_bundle

__all__ = [
    "FORMAT",
    "MANIFEST_NAME",
    "SIGNATURE_NAME",
    "ArchiveError",
    "Bundle",
    "BundleCheck",
    "KeyPair",
    "Trust",
    "build_manifest",
    "bundle_bytes",
    "bundle_name",
    "fingerprint",
    "load_private_key",
    "manifest_bytes",
    "new_key_pair",
    "public_key_fingerprint",
    "read_archive",
    "save_bundle",
    "verify_bundle",
    "write_archive",
    "write_bundle",
]
