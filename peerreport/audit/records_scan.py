"""Scanning the stored records for identifiers: what intake would refuse today.

Intake refuses a cell that holds an identifier, but the detectors grow
(personal names, ages and street addresses joined later), and records stored
before a detector existed were never checked by it. `scan_records` runs every
detector of `peerreport.privacy.scan_text` over the free-text fields of an
organisation's current records (the record model's free-text fields, the
ones intake scans), so a coordinator can find and correct them.

A finding names the record and the field, and shows the value masked; the
record's own id is masked too, in case it is what holds the identifier.

| code     | what was found                                                    |
| -------- | ----------------------------------------------------------------- |
| SCN-004  | an identifier, diagnosis, name, age or address in a stored record |
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.privacy import mask_text, scan_text
from peerreport.records.models import RECORD_TYPES, free_text_fields
from peerreport.store.schema import RECORD_TABLES

HINT = (
    "Correct the cell in your log and import the file again: the corrected record "
    "replaces this one. (Earlier versions stay in the records' history.)"
)


@dataclass
class RecordScan:
    """What `scan_records` found, and how much it looked at."""

    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether nothing was found."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the scan."""
        return {
            "records": self.records,
            "clean": self.clean,
            "findings": [f.to_dict() for f in self.findings],
        }


def scan_records(engine: Engine, org: str) -> RecordScan:
    """Every identifier, diagnosis, name, age or address in `org`'s current records."""
    result = RecordScan()
    with engine.connect() as conn:
        for record_type, table in RECORD_TABLES.items():
            fields = free_text_fields(RECORD_TYPES[record_type])
            key = RECORD_TYPES[record_type].natural_key
            columns = dict.fromkeys((*key, *fields))
            query = (
                select(*(table.c[name] for name in columns))
                .where(table.c.org == org, table.c.valid_to.is_(None))
                .order_by(*(table.c[name] for name in key))
            )
            for row in conn.execution_options(yield_per=1000).execute(query).mappings():
                result.records += 1
                result.findings += _scan_row(record_type, key, fields, row)
    return result


def _scan_row(
    record_type: str, key: tuple[str, ...], fields: tuple[str, ...], row: Any
) -> Iterator[Finding]:
    shown = None
    for name in fields:
        value = row[name]
        if not isinstance(value, str) or not value:
            continue
        for detection in scan_text(value):
            if shown is None:
                shown = " / ".join(mask_text(str(row[k])) for k in key if row[k] not in (None, ""))
            yield finding(
                "SCN-004",
                f'{record_type} {shown}, field "{name}": {detection.describe()}',
                HINT,
                Location(key=f"{record_type} {shown}", column=name),
                {"kind": detection.kind, "record_type": record_type, "field": name},
            )
