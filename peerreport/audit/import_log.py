"""The import log: every file imported into an organisation's records, by hash, with its counts.

Each import writes one `import_run` row (file name, SHA-256 of its bytes, when
it finished, how many records it added, updated, left unchanged or
rejected), so an auditor can match the records to the files they came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from peerreport.ledger.model import as_utc
from peerreport.store.schema import import_run


@dataclass(frozen=True)
class ImportRun:
    """One file imported."""

    id: int
    file_name: str
    file_sha256: str
    finished_at: dt.datetime  # UTC
    added: int
    updated: int
    unchanged: int
    rejected: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "id": self.id,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "finished_at": self.finished_at.isoformat(),
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def import_runs(engine: Engine, org: str) -> list[ImportRun]:
    """Every import into `org`'s records, oldest first."""
    c = import_run.c
    query = (
        select(
            c.id,
            c.file_name,
            c.file_sha256,
            c.finished_at,
            c.added,
            c.updated,
            c.unchanged,
            c.rejected,
        )
        .where(c.org == org)
        .order_by(c.finished_at, c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        ImportRun(
            int(r.id),
            r.file_name,
            r.file_sha256,
            as_utc(r.finished_at),
            int(r.added),
            int(r.updated),
            int(r.unchanged),
            int(r.rejected),
        )
        for r in rows
    ]
