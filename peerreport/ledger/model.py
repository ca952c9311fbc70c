"""A submission as read from the ledger."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from peerreport.returns.model import Return
from peerreport.store.times import as_utc

CURRENT, SUPERSEDED = "current", "superseded"


@dataclass(frozen=True)
class Submission:
    """One submitted return: version `version` of (org, rule_id, period)."""

    id: int
    org: str
    rule_id: str
    rule_version: str
    rule_digest: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    version: int
    supersedes_version: int | None
    reason: str | None
    submitted_at: dt.datetime
    records_digest: str
    bundle_sha256: str | None
    return_json: str
    current: bool
    records_revision: int | None = None
    due_date: dt.date | None = None
    late: bool = False

    @property
    def status(self) -> str:
        """`current` for the newest version of its period, else `superseded`."""
        return CURRENT if self.current else SUPERSEDED

    @property
    def ret(self) -> Return:
        """The return as it was submitted."""
        return Return.from_dict(json.loads(self.return_json))

    @classmethod
    def from_row(cls, row: Any, current: bool) -> Submission:
        """From a `submitted_return` row."""
        return cls(
            id=int(row.id),
            org=row.org,
            rule_id=row.rule_id,
            rule_version=row.rule_version,
            rule_digest=row.rule_digest,
            period_start=row.period_start,
            period_end=row.period_end,
            period_label=row.period_label,
            version=int(row.version),
            supersedes_version=row.supersedes_version,
            reason=row.reason,
            submitted_at=as_utc(row.submitted_at),
            records_digest=row.records_digest,
            bundle_sha256=row.bundle_sha256,
            return_json=row.return_json,
            current=current,
            records_revision=row.records_revision,
            due_date=row.due_date,
            late=bool(row.late),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (without the return itself)."""
        return {
            "id": self.id,
            "org": self.org,
            "rule_file": {
                "id": self.rule_id,
                "version": self.rule_version,
                "digest": self.rule_digest,
            },
            "period": {
                "label": self.period_label,
                "start": self.period_start.isoformat(),
                "end": self.period_end.isoformat(),
            },
            "version": self.version,
            "supersedes_version": self.supersedes_version,
            "status": self.status,
            "reason": self.reason,
            "submitted_at": self.submitted_at.isoformat(),
            "records_digest": self.records_digest,
            "records_revision": self.records_revision,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "late": self.late,
            "bundle_sha256": self.bundle_sha256,
        }
