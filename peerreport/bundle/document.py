"""The shape of a bundle's `manifest.json`, defined once: `ManifestDocument`.

`peerreport/render/manifest.schema.json` is generated from it (`python -m
peerreport.bundle.schemas`), and `parse_manifest` validates every manifest it
reads with it, so a damaged or forged manifest becomes a finding naming the
bad key, never a traceback. The return it carries is a `ReturnDocument`.
`rule_file` and `ledger` were added after the format's first release: they
may be absent (or null), so older bundles still read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from peerreport.returns.document import ReturnDocument
from peerreport.returns.document_types import (
    SHA256_HEX,
    SHA256_PREFIXED,
    Count,
    Document,
    IsoDate,
    Omissible,
    Timestamp,
    omissible,
    published_schema,
)

FORMAT = "peerreport-bundle/1"
SCHEMA_ID = "https://peerreport.invalid/schema/manifest.json"


class FileEntry(Document):
    """One file in the bundle, as written."""

    name: str = Field(min_length=1, description="The file's name in the zip.")
    sha256: str = Field(pattern=SHA256_HEX, description="The file's sha256, in lower-case hex.")
    size: Count = Field(description="The file's size in bytes.")


class Submission(Document):
    """The ledger entry of a submitted return."""

    version: int = Field(ge=1, description="The version submitted: 1, or 2 and later.")
    supersedes_version: int | None = Field(
        ge=1, description="The version this one supersedes, or null for a first submission."
    )
    reason: str | None = Field(description="Why it was amended, or null.")
    submitted_at: Timestamp = Field(description="When it was submitted (ISO 8601, UTC).")
    due: IsoDate | None = Field(None, description="When the return was due, if known.")
    late: bool = Field(False, description="Whether it was submitted after the due date.")


class RuleFileCopy(Document):
    """The rule file the return was built from, resolved (extends included)."""

    id: str = Field(description="The rule file id.")
    version: str = Field(description="The rule file version.")
    digest: str = Field(description="The digest of the resolved rule file.")
    meaning: Omissible[str] = omissible(
        "The digest of the rule file's meaning (what decides the figures, not the wording); "
        "left out by bundles written before it existed."
    )
    resolved: str = Field(
        description="The resolved rule file as JSON text, keys in the rule file's order "
        "(a grouping's categories are published in that order, so the text is kept as written)."
    )


class LedgerLink(Document):
    """Where the submission sits in the ledger's hash chain."""

    seq: int = Field(ge=1, description="The entry's place in the chain, from 1.")
    head: str = Field(
        pattern=SHA256_PREFIXED, description="The chain's head after this entry: sha256:<hex>."
    )


class ManifestDocument(Document):
    """What a bundle holds: every file with its sha256 and size, the whole return, and, for a
    submitted return, its ledger entry."""

    format: Literal["peerreport-bundle/1"] = Field(description="The format and its version.")
    draft: bool = Field(description="Whether the files were written as a draft (not to file).")
    files: list[FileEntry] = Field(
        description="Every file in the bundle but manifest.json and signature.json."
    )
    ret: ReturnDocument = Field(alias="return", description="The return, as in return.json.")
    submission: Submission | None = Field(description="The ledger entry, or null when exported.")
    rule_file: RuleFileCopy | None = Field(
        None, description="The resolved rule file, when the bundle carries it."
    )
    ledger: LedgerLink | None = Field(
        None, description="The submission's place in the ledger's hash chain, when recorded."
    )

    @model_validator(mode="after")
    def _each_file_once(self) -> ManifestDocument:
        seen: set[str] = set()
        for index, entry in enumerate(self.files):
            if entry.name in seen:
                raise PydanticCustomError(
                    "files",
                    "{name} is listed twice",
                    {"path": f"files[{index}].name", "name": entry.name},
                )
            seen.add(entry.name)
        return self


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema of `manifest.json`, generated from `ManifestDocument`."""
    return published_schema(
        ManifestDocument,
        SCHEMA_ID,
        "peerreport bundle manifest",
        "manifest.json of a peerreport bundle: what the bundle holds (every file with its "
        "sha256 and size), the whole return, and, for a submitted return, its ledger entry. "
        "Generated from peerreport.bundle.document; do not edit by hand.",
    )
