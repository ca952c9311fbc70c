"""What an import reports, file by file, and the settings it runs with; and the import's log
(`import_run`), a row a file, kept even when the import is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, update

from peerreport.findings import Finding
from peerreport.intake.limits import InputLimits
from peerreport.store.records import ImportCounts
from peerreport.store.schema import import_run
from peerreport.workspace import Workspace

MAX_PROBLEMS_KEPT = 1000  # beyond this, problems are counted, not kept


@dataclass
class FileReport:
    """What happened to one input file."""

    path: Path
    counts: ImportCounts = field(default_factory=ImportCounts)
    problems: list[Finding] = field(default_factory=list)
    problem_count: int = 0
    notices: list[str] = field(default_factory=list)
    rejects_paths: list[Path] = field(default_factory=list)
    #: Refused as a whole (past a limit, UTF-16): nothing of the import is stored,
    #: even with skip_invalid.
    refused: bool = False

    @property
    def rejects_path(self) -> Path | None:
        """The (first) rejects file, if rows were rejected."""
        return self.rejects_paths[0] if self.rejects_paths else None

    def add_problem(self, finding: Finding) -> None:
        """Keep a problem (up to a cap; the count is always exact)."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(finding)


@dataclass
class ImportReport:
    """What an import did, file by file."""

    files: list[FileReport]
    stored: bool
    skip_invalid: bool
    revision: int | None = None  # the revision of the records this import made, if any

    @property
    def counts(self) -> ImportCounts:
        """Totals over all files."""
        total = ImportCounts()
        for report in self.files:
            total += report.counts
        return total

    @property
    def problem_count(self) -> int:
        """How many problems were found in all files."""
        return sum(f.problem_count for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the report."""
        return {
            "stored": self.stored,
            "skip_invalid": self.skip_invalid,
            "revision": self.revision,
            "totals": vars(self.counts),
            "files": [
                {
                    "file": str(f.path),
                    **vars(f.counts),
                    "problem_count": f.problem_count,
                    "problems": [p.to_dict() for p in f.problems],
                    "notices": f.notices,
                    "rejects_file": str(f.rejects_path) if f.rejects_path else None,
                    "rejects_files": [str(p) for p in f.rejects_paths],
                }
                for f in self.files
            ],
        }


@dataclass(frozen=True)
class ImportSettings:
    """Who is importing and how."""

    org: str
    org_name: str
    date_order: str = "day-first"
    token_secret: bytes | None = None
    skip_invalid: bool = False
    record_type: str | None = None
    drop_forbidden: bool = False  # discard forbidden columns unread instead of refusing the file
    # Store the activities' notes? The workspace says no unless `keep_notes = true`
    # (the CLI passes it); code that imports without a workspace keeps them.
    keep_notes: bool = True
    # How much of a file is read before it is refused (peerreport.intake.limits).
    limits: InputLimits = field(default_factory=InputLimits)
    # Read large files in a second process while this one writes (`intake.read_ahead`): the
    # command line asks for it; a server's threads do not (a process with threads is not
    # forked).
    read_ahead: bool = False

    @classmethod
    def for_workspace(cls, workspace: Workspace, **options: Any) -> ImportSettings:
        """The settings of `workspace` (its organisation, date order, secret, notes), plus
        the caller's `options` (skip_invalid, record_type, drop_forbidden)."""
        return cls(
            org=workspace.provider_code,
            org_name=workspace.organisation_name,
            date_order=workspace.date_order,
            token_secret=workspace.token_secret(),
            keep_notes=workspace.keep_notes,
            **options,
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MAX_PROBLEMS_STORED = 200  # an import's log keeps its first problems, values masked


def start_run(conn: Connection, org: str, path: Path) -> int:
    result = conn.execute(
        insert(import_run).values(
            org=org,
            file_name=path.name,
            file_sha256=file_sha256(path) if path.is_file() else "",
            finished_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            added=0,
            updated=0,
            unchanged=0,
            rejected=0,
            status="running",
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def finish_run(conn: Connection, run_id: int, report: FileReport, status: str) -> None:
    problems = [p.to_dict() for p in report.problems[:MAX_PROBLEMS_STORED]]
    counts = report.counts
    conn.execute(
        update(import_run)
        .where(import_run.c.id == run_id)
        .values(
            finished_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            added=counts.added if status == "stored" else 0,
            updated=counts.updated if status == "stored" else 0,
            unchanged=counts.unchanged if status == "stored" else 0,
            rejected=counts.rejected,
            status=status,
            problem_count=report.problem_count,
            problems=json.dumps(problems, ensure_ascii=False) if problems else None,
        )
    )
