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
| BUN-031 | UNVERIFIED ORIGIN: signed by a key other than the provider's       |
| BUN-032 | UNVERIFIED ORIGIN: not signed                                      |
| BUN-033 | UNVERIFIED ORIGIN: signed, but no key is trusted for the provider  |
| BUN-034 | UNVERIFIED ORIGIN: signed with ANOTHER provider's key              |
| BUN-035 | (warning) an unverified origin accepted by --allow-... on request  |
| BUN-040 | the zip's own bytes (headers, order, comment) were altered         |
| BUN-050 | (info) who signed the bundle, and why that key is trusted          |

Trust by default: a bundle whose origin cannot be shown is refused. Its
origin is shown when it is signed with a key trusted for the provider it
claims to be from (`Trust`): a key given on the command line, the key the
funder's provider list names for that provider, or, inside a workspace, the
workspace's own key for its own provider code. `allow_unsigned` and
`allow_unknown_keys` accept an unsigned bundle, or one signed by a key no one
vouched for, with a warning, but only when no key is known for the provider:
a provider whose key is known must sign with it, and a bundle signed with
another provider's key is refused whatever is allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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
from peerreport.findings import Finding, Location, Severity, has_errors
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
        """True when nothing was altered and the origin is shown (or accepted on request)."""
        return not has_errors(list(self.findings))

    @property
    def unverified_origin(self) -> bool:
        """True when the files are intact but nothing trusted shows who wrote them."""
        errors = {f.code for f in self.findings if f.severity is Severity.ERROR}
        return bool(errors) and errors <= ORIGIN_CODES

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "bundle": self.bundle.name,
            "sha256": self.bundle.sha256,
            "ok": self.ok,
            "signer": self.signer,
            "findings": [f.to_dict() for f in self.findings],
        }


#: The findings that refuse a bundle for its origin, not for an alteration.
ORIGIN_CODES = frozenset({"BUN-031", "BUN-032", "BUN-033", "BUN-034"})


@dataclass(frozen=True)
class Trust:
    """Which keys show a bundle's origin, and which unverified origins to accept anyway."""

    keys: frozenset[str] = frozenset()  # trusted whichever provider the bundle claims
    providers: Mapping[str, frozenset[str]] = field(default_factory=dict)  # code -> its keys
    sources: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> why trusted
    allow_unsigned: bool = False
    allow_unknown_keys: bool = False

    @classmethod
    def of(cls, trusted: Collection[str] | Trust) -> Trust:
        """A `Trust` from fingerprints given on the command line (or a `Trust` as it is)."""
        if isinstance(trusted, Trust):
            return trusted
        keys = frozenset(trusted)
        return cls(keys, sources={k: "given as trusted" for k in keys})

    def for_provider(self, code: str | None) -> frozenset[str]:
        """The keys a bundle claiming provider `code` may be signed with."""
        return self.keys | (self.providers.get(code, frozenset()) if code else frozenset())

    def owners(self, fingerprint: str) -> list[str]:
        """The providers whose key `fingerprint` is."""
        return sorted(code for code, keys in self.providers.items() if fingerprint in keys)


def _problem(code: str, message: str, entry: str | None = None) -> Finding:
    return finding(code, message, location=Location(file=entry))


def read_bytes(path: Path) -> bytes:
    """A bundle file's bytes, or `InputFileError`."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def verify_bundle(
    source: Path | bytes, trusted: Collection[str] | Trust = (), name: str | None = None
) -> BundleCheck:
    """Check a bundle file (or its bytes) and its origin.

    `trusted` holds the acceptable key fingerprints, or a `Trust`. With
    nothing trusted and nothing allowed, every bundle is refused as of
    UNVERIFIED ORIGIN: trust is never assumed.
    """
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
    claimed = _claimed_provider(manifest)
    signer, signature_findings = _signature_findings(
        raw_manifest, entries, Trust.of(trusted), claimed
    )
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


def _claimed_provider(manifest: dict[str, Any] | None) -> str | None:
    """The provider code the bundle says it is from."""
    ret = manifest.get("return") if manifest else None
    org = ret.get("organisation") if isinstance(ret, dict) else None
    code = org.get("code") if isinstance(org, dict) else org
    return code if isinstance(code, str) else None


def _signature_findings(
    raw_manifest: bytes, entries: dict[str, bytes], trust: Trust, claimed: str | None
) -> tuple[str | None, list[Finding]]:
    expected = trust.for_provider(claimed)
    who = f"provider {claimed}" if claimed else "the bundle"
    signature = entries.get(SIGNATURE_NAME)
    if signature is None:
        if expected:
            return None, [
                _problem(
                    "BUN-032",
                    "UNVERIFIED ORIGIN: the bundle is not signed, but a signature by "
                    f"{' or '.join(sorted(expected))} is required",
                )
            ]
        if trust.allow_unsigned:
            return None, [
                _problem(
                    "BUN-035",
                    "UNVERIFIED ORIGIN, accepted because --allow-unsigned was given: the "
                    f"bundle is not signed, so nothing shows it comes from {who}",
                )
            ]
        return None, [
            _problem(
                "BUN-032",
                "UNVERIFIED ORIGIN: the bundle is not signed, so nothing shows it comes "
                f"from {who}",
            )
        ]
    signer, problem = check_signature(raw_manifest, signature)
    if problem:
        return None, [_problem("BUN-030", problem, SIGNATURE_NAME)]
    assert signer is not None
    if signer in expected:
        why = trust.sources.get(signer, "trusted")
        return signer, [finding("BUN-050", f"signed by key {signer} ({why})", "")]
    others = [code for code in trust.owners(signer) if code != claimed]
    if others:
        return None, [
            _problem(
                "BUN-034",
                f"UNVERIFIED ORIGIN: the bundle says it is from {who}, but it is signed with "
                f"{' and '.join(others)}'s key {signer}",
                SIGNATURE_NAME,
            )
        ]
    if expected:
        return None, [
            _problem(
                "BUN-031",
                f"UNVERIFIED ORIGIN: signed by key {signer}, which is not a trusted key for "
                f"{who} (expected {' or '.join(sorted(expected))})",
                SIGNATURE_NAME,
            )
        ]
    if trust.allow_unknown_keys:
        return signer, [
            _problem(
                "BUN-035",
                "UNVERIFIED ORIGIN, accepted because --allow-unknown-keys was given: signed "
                f"by key {signer}, which no one has vouched for as {who}'s",
                SIGNATURE_NAME,
            )
        ]
    return None, [
        _problem(
            "BUN-033",
            f"UNVERIFIED ORIGIN: signed by key {signer}, but no key is trusted for {who}: "
            "anyone can make a key and sign",
            SIGNATURE_NAME,
        )
    ]


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
