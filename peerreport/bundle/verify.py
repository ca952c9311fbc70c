"""Checking a bundle: every file hash, the manifest, its seal, the signature, the zip itself.

`verify_bundle` never raises for a damaged bundle: every problem is a finding
(codes below) saying exactly what was altered. Only a file that cannot be
read at all raises `InputFileError`.

| code    | what was found                                                     |
| ------- | ------------------------------------------------------------------ |
| BUN-001 | not a readable zip, or an entry's bytes fail its CRC-32            |
| BUN-010 | manifest.json missing, unreadable, or edited                       |
| BUN-011 | the seal (zip comment) does not match manifest.json                |
| BUN-020 | a file's sha256 or size differs from the manifest                  |
| BUN-021 | a file the manifest lists is missing                               |
| BUN-022 | a file the manifest does not list was added                        |
| BUN-030 | the signature is invalid (or signature.json was edited)            |
| BUN-031 | signed by a key that is not one of the trusted keys                |
| BUN-032 | not signed, but a trusted key was given                            |
| BUN-040 | the zip's own bytes (headers, order, comment) were altered         |
| BUN-050 | (info) who signed the bundle, or that it is unsigned               |
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerreport.bundle.archive import (
    ArchiveError,
    first_difference,
    read_archive,
    region,
    write_archive,
)
from peerreport.bundle.manifest import (
    MANIFEST_NAME,
    parse_manifest,
    sealed_digest,
    sha256_hex,
)
from peerreport.bundle.signing import SIGNATURE_NAME, check_signature
from peerreport.errors import InputFileError
from peerreport.findings import Finding, Location, has_errors
from peerreport.findings_catalogue import finding
from peerreport.returns.model import Return


@dataclass(frozen=True)
class Bundle:
    """A bundle as read: its entries and manifest (None when unreadable)."""

    name: str
    sha256: str
    entries: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None

    @property
    def ret(self) -> Return | None:
        """The return the manifest carries."""
        if self.manifest is None:
            return None
        return Return.from_dict(self.manifest["return"])

    @property
    def submission(self) -> dict[str, Any] | None:
        """The ledger entry of a submitted return (version, reason, submitted_at), if any."""
        if self.manifest is None:
            return None
        value = self.manifest.get("submission")
        return value if isinstance(value, dict) else None

    @property
    def draft(self) -> bool:
        """Whether the files were written as a draft."""
        return bool(self.manifest and self.manifest.get("draft"))


@dataclass(frozen=True)
class BundleCheck:
    """The outcome of verifying one bundle."""

    bundle: Bundle
    findings: tuple[Finding, ...]
    signer: str | None = None  # fingerprint of a valid signature's key

    @property
    def ok(self) -> bool:
        """True when nothing was altered (and the signature, if required, is trusted)."""
        return not has_errors(list(self.findings))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "bundle": self.bundle.name,
            "sha256": self.bundle.sha256,
            "ok": self.ok,
            "signer": self.signer,
            "findings": [f.to_dict() for f in self.findings],
        }


def _problem(code: str, message: str, entry: str | None = None) -> Finding:
    return finding(code, message, location=Location(file=entry))


def read_bytes(path: Path) -> bytes:
    """A bundle file's bytes, or `InputFileError`."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def verify_bundle(
    source: Path | bytes, trusted: Collection[str] = (), name: str | None = None
) -> BundleCheck:
    """Check a bundle file (or its bytes); `trusted` holds the acceptable key fingerprints."""
    data = read_bytes(source) if isinstance(source, Path) else source
    label = name or (str(source) if isinstance(source, Path) else "bundle")
    digest = sha256_hex(data)
    try:
        archive = read_archive(data)
    except ArchiveError as exc:
        return BundleCheck(Bundle(label, digest), (_problem("BUN-001", str(exc)),))
    entries = archive.entries
    raw_manifest = entries.get(MANIFEST_NAME)
    if raw_manifest is None:
        missing = _problem(
            "BUN-010",
            "there is no manifest.json: not a peerreport bundle, or the manifest was removed",
            MANIFEST_NAME,
        )
        return BundleCheck(Bundle(label, digest, entries), (missing,))
    manifest, problem = parse_manifest(raw_manifest)
    findings = [_problem("BUN-010", problem, MANIFEST_NAME)] if problem else []
    findings += _seal_findings(raw_manifest, archive.comment)
    if manifest is not None:
        findings += _file_findings(manifest, entries)
    signer, signature_findings = _signature_findings(raw_manifest, entries, trusted)
    findings += signature_findings
    if not has_errors(findings):
        findings += _container_findings(data, entries, archive.comment)
    return BundleCheck(Bundle(label, digest, entries, manifest), tuple(findings), signer)


def _seal_findings(raw_manifest: bytes, comment: bytes) -> list[Finding]:
    sealed = sealed_digest(comment)
    actual = sha256_hex(raw_manifest)
    if sealed is None:
        return [_problem("BUN-011", "the bundle's seal (its zip comment) is missing or altered")]
    if sealed != actual:
        return [
            _problem(
                "BUN-011",
                f"manifest.json was altered: its sha256 is {actual}, the seal records {sealed}",
                MANIFEST_NAME,
            )
        ]
    return []


def _file_findings(manifest: dict[str, Any], entries: dict[str, bytes]) -> list[Finding]:
    findings: list[Finding] = []
    listed = {f["name"]: f for f in manifest["files"]}
    for entry, expected in listed.items():
        content = entries.get(entry)
        if content is None or entry in (MANIFEST_NAME, SIGNATURE_NAME):
            findings.append(_problem("BUN-021", f"{entry} is missing from the bundle", entry))
            continue
        actual = sha256_hex(content)
        if actual != expected["sha256"] or len(content) != expected["size"]:
            findings.append(
                _problem(
                    "BUN-020",
                    f"{entry} was altered: sha256 {actual} ({len(content)} bytes), the manifest "
                    f"records {expected['sha256']} ({expected['size']} bytes)",
                    entry,
                )
            )
    for entry in sorted(set(entries) - set(listed) - {MANIFEST_NAME, SIGNATURE_NAME}):
        findings.append(
            _problem("BUN-022", f"{entry} was added: the manifest does not list it", entry)
        )
    return findings


def _signature_findings(
    raw_manifest: bytes, entries: dict[str, bytes], trusted: Collection[str]
) -> tuple[str | None, list[Finding]]:
    signature = entries.get(SIGNATURE_NAME)
    if signature is None:
        if trusted:
            return None, [
                _problem(
                    "BUN-032",
                    "the bundle is not signed, but a signature by "
                    f"{' or '.join(sorted(trusted))} is required",
                )
            ]
        return None, [finding("BUN-050", "the bundle is not signed", "")]
    signer, problem = check_signature(raw_manifest, signature)
    if problem:
        return None, [_problem("BUN-030", problem, SIGNATURE_NAME)]
    assert signer is not None
    if trusted and signer not in trusted:
        return None, [
            _problem(
                "BUN-031",
                f"signed by key {signer}, which is not a trusted key "
                f"(expected {' or '.join(sorted(trusted))})",
                SIGNATURE_NAME,
            )
        ]
    note = "" if trusted else " (not checked against a trusted key: give the provider's key)"
    return signer, [finding("BUN-050", f"signed by key {signer}{note}", "")]


def _container_findings(data: bytes, entries: dict[str, bytes], comment: bytes) -> list[Finding]:
    canonical = write_archive(entries, comment)
    if canonical == data:
        return []
    offset = first_difference(canonical, data)
    return [
        _problem(
            "BUN-040",
            f"the zip itself was altered at byte {offset} (in {region(canonical, offset)}), "
            "though every file inside matches the manifest: it was re-packed or edited",
        )
    ]
