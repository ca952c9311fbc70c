"""Importing files into the store: all-or-nothing by default, idempotent, streaming.

Rows are read, checked and written in batches inside ONE transaction. If any
row is invalid, the transaction is rolled back and nothing is stored, and every
problem is reported (`FILE, row N, column "X": message`). With `skip_invalid`,
valid rows are stored and rejected rows are written, with their reasons, to
`<file>.rejects.csv` beside the input (identifiers masked).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from peerreport.findings import Finding, Location, Severity
from peerreport.intake.rows import RowOutcome, RowReader
from peerreport.intake.sources import Table, open_tables
from peerreport.records.models import Activity, BreakdownCount, Record
from peerreport.store import chain
from peerreport.store.records import (
    ImportCounts,
    RecordWriter,
    Source,
    ensure_organisation,
    prepare_bulk_load,
)
from peerreport.store.schema import import_run

BATCH_SIZE = 1000
MAX_PROBLEMS_KEPT = 1000  # beyond this, problems are counted, not kept
TYPE_ORDER = {"activities": 0, "breakdowns": 1, "workforce": 2, "feedback": 3}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class FileReport:
    """What happened to one input file."""

    path: Path
    counts: ImportCounts = field(default_factory=ImportCounts)
    problems: list[Finding] = field(default_factory=list)
    problem_count: int = 0
    notices: list[str] = field(default_factory=list)
    rejects_path: Path | None = None

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
    # Store the activities' notes? The workspace says no unless `keep_notes = true`
    # (the CLI passes it); code that imports without a workspace keeps them.
    keep_notes: bool = True


NOTES_NOT_STORED = (
    "the notes column is not stored; no return uses it; "
    "set keep_notes = true in peerreport.toml to keep it"
)


def _key_hash(record: Record) -> int:
    # 8-byte digests keep the duplicate check's memory small for million-row files;
    # a false duplicate needs a 64-bit collision (about 1 in 10^7 at a million rows).
    key = "\x1f".join(str(getattr(record, name)) for name in record.natural_key)
    digest = hashlib.blake2b(f"{record.record_type}\x1e{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MAX_PROBLEMS_STORED = 200  # an import's log keeps its first problems, values masked


def _start_run(conn: Connection, org: str, path: Path) -> int:
    result = conn.execute(
        insert(import_run).values(
            org=org,
            file_name=path.name,
            file_sha256=_file_sha256(path) if path.is_file() else "",
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


def _finish_run(conn: Connection, run_id: int, report: FileReport, status: str) -> None:
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


def _withdrawn_notice(keys: list[str]) -> str:
    shown = ", ".join(f'"{k}"' for k in keys[:5]) + (
        f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    )
    return (
        f"{len(keys)} record(s) in this file were withdrawn earlier and were not imported again "
        f"({shown}); give a record a new id if it is a different one"
    )


class _Rejects:
    """Rejected rows, written beside the input with their reasons (values masked)."""

    def __init__(self, source: Path) -> None:
        self.path = source.with_name(source.name + ".rejects.csv")
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self._handle: Any = None
        self._writer: Any = None
        self._headings: list[str] = []

    def write(self, table: Table, outcome: RowOutcome, reasons: list[Finding]) -> None:
        if self._writer is None:
            self._handle = self.tmp.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
        shown = outcome.shown
        headings = list(shown)
        if headings != self._headings:
            self._headings = headings
            self._writer.writerow(["sheet", "row", *headings, "problems"])
        cells = [_safe_cell(shown.get(h)) for h in headings]
        problems = "; ".join(
            (f'column "{p.location.column}": ' if p.location.column else "") + p.message
            for p in reasons
        )
        self._writer.writerow([table.sheet or "", outcome.row, *cells, _safe_cell(problems)])

    def finish(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        self.tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.tmp.unlink(missing_ok=True)


def _safe_cell(value: object) -> object:
    """Neutralise text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


class Importer:
    """Runs one import of several files in one transaction."""

    def __init__(
        self,
        engine: Engine,
        settings: ImportSettings,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.progress = progress
        self.rejected_ids: set[str] = set()  # activities refused in this import

    def run(self, paths: list[Path]) -> ImportReport:
        """Import every file; commit only if allowed (no problems, or skip_invalid)."""
        reports: list[FileReport] = []
        rejects: list[tuple[FileReport, _Rejects]] = []
        seen: set[int] = set()  # natural keys of this import, across its files
        revision: int | None = None
        with self.engine.connect() as conn:
            transaction = conn.begin()
            try:
                prepare_bulk_load(conn)
                ensure_organisation(conn, self.settings.org, self.settings.org_name)
                writer = RecordWriter(conn, self.settings.org, self.settings.token_secret)
                runs: list[int] = []
                for path in paths:
                    report = FileReport(path)
                    reports.append(report)
                    sink = _Rejects(path) if self.settings.skip_invalid else None
                    if sink:
                        rejects.append((report, sink))
                    before = ImportCounts(**vars(writer.counts))
                    run_id = _start_run(conn, self.settings.org, path)
                    runs.append(run_id)
                    self._import_file(path, writer, report, sink, seen, run_id)
                    for name in ("added", "updated", "unchanged"):
                        setattr(
                            report.counts,
                            name,
                            getattr(writer.counts, name) - getattr(before, name),
                        )
                    if writer.withdrawn:
                        report.notices.append(_withdrawn_notice(writer.withdrawn))
                        writer.withdrawn = []
                    _finish_run(conn, run_id, report, "stored")
                failed = any(r.problem_count for r in reports)
                if failed and not self.settings.skip_invalid:
                    transaction.rollback()
                    stored = False
                    revision = None
                else:
                    revision = writer.revision.number
                    if revision is not None:
                        conn.execute(
                            update(import_run)
                            .where(import_run.c.id.in_(runs))
                            .values(revision=revision)
                        )
                    imports = conn.execute(
                        select(import_run)
                        .where(import_run.c.id.in_(runs))
                        .order_by(import_run.c.id)
                    ).all()
                    writer.finish([chain.import_payload(row) for row in imports])
                    transaction.commit()
                    stored = True
            except BaseException:
                transaction.rollback()
                for _, sink in rejects:
                    sink.discard()
                raise
        if not stored:
            self._record_refused(reports)
        for report, sink in rejects:
            report.rejects_path = sink.finish()
        return ImportReport(
            reports, stored, self.settings.skip_invalid, revision if stored else None
        )

    def _record_refused(self, reports: list[FileReport]) -> None:
        """Keep a record of a refused import: which files, their hashes and their problems."""
        with self.engine.begin() as conn:
            ensure_organisation(conn, self.settings.org, self.settings.org_name)
            for report in reports:
                run_id = _start_run(conn, self.settings.org, report.path)
                _finish_run(conn, run_id, report, "refused")

    def _import_file(
        self,
        path: Path,
        writer: RecordWriter,
        report: FileReport,
        sink: _Rejects | None,
        seen: set[int],
        run_id: int,
    ) -> None:
        with open_tables(path, self.settings.record_type) as tables:
            if not tables:
                report.add_problem(
                    Finding(
                        "no-records",
                        Severity.ERROR,
                        "no sheet with record headings was found",
                        "Name the sheets Activities, Breakdowns, Workforce and Feedback, with the "
                        "headings in the first row.",
                        Location(file=path.name),
                    )
                )
            for table in sorted(tables, key=lambda t: TYPE_ORDER.get(t.record_type or "", 9)):
                self._import_table(table, writer, report, sink, seen, run_id)
                report.notices.extend(table.notices)

    def _import_table(
        self,
        table: Table,
        writer: RecordWriter,
        report: FileReport,
        sink: _Rejects | None,
        seen: set[int],
        run_id: int,
    ) -> None:
        if table.record_type is None:
            report.add_problem(
                Finding(
                    "unknown-record-type",
                    Severity.ERROR,
                    "cannot tell which records this file holds",
                    "Name the file after its records (activities.csv, workforce.csv, ...), give "
                    "--type, or use the headings of one record type.",
                    Location(file=table.where),
                )
            )
            return
        reader = RowReader(table, table.record_type, self.settings.date_order)
        heading_problems = reader.heading_problems()
        if heading_problems:
            for problem in heading_problems:
                report.add_problem(problem)
            return  # never read rows under a refused column
        batch: list[tuple[Record, RowOutcome]] = []
        notes_dropped = False
        for number, row in table.rows:
            outcome = reader.read(number, row)
            record = outcome.record
            if isinstance(record, Activity) and record.notes and not self.settings.keep_notes:
                record = outcome.record = record.model_copy(update={"notes": None})
                if not notes_dropped:  # one notice, however many notes
                    report.notices.append(f"{table.where}: {NOTES_NOT_STORED}")
                    notes_dropped = True
            if record is not None and not outcome.problems:
                key = _key_hash(record)
                if key in seen:
                    outcome.problems.append(
                        Finding(
                            "duplicate-record",
                            Severity.ERROR,
                            f"{', '.join(record.natural_key)} "
                            f"{' / '.join(str(getattr(record, k)) for k in record.natural_key)} "
                            "appears more than once in this import",
                            "Each record has one row; delete or renumber the repeated row.",
                            Location(file=table.where, row=number),
                        )
                    )
                else:
                    seen.add(key)
            if outcome.problems:
                self._reject(table, outcome, outcome.problems, report, sink)
            else:
                assert record is not None
                batch.append((record, outcome))
            if len(batch) >= BATCH_SIZE:
                self._flush(table, writer, batch, report, sink, run_id)
        self._flush(table, writer, batch, report, sink, run_id)

    def _flush(
        self,
        table: Table,
        writer: RecordWriter,
        batch: list[tuple[Record, RowOutcome]],
        report: FileReport,
        sink: _Rejects | None,
        run_id: int,
    ) -> None:
        if not batch:
            return
        record_type = table.record_type
        assert record_type is not None
        if record_type == "breakdowns":
            missing = writer.missing_activities(
                r.activity_id for r, _ in batch if isinstance(r, BreakdownCount)
            )
            kept = []
            for record, outcome in batch:
                if isinstance(record, BreakdownCount) and record.activity_id in self.rejected_ids:
                    # Its activity's own problem is reported already: one message per mistake.
                    report.notices.append(
                        f"{table.where}, row {outcome.row}: not stored, because its activity "
                        f'"{record.activity_id}" was rejected'
                    )
                    report.counts.rejected += 1
                    if sink is not None:
                        sink.write(table, outcome, [])
                    continue
                if isinstance(record, BreakdownCount) and record.activity_id in missing:
                    problem = Finding(
                        "unknown-activity",
                        Severity.ERROR,
                        f'there is no activity "{record.activity_id}" to break down',
                        "Import the activity first (or in the same workbook), or correct the id.",
                        Location(
                            file=table.where,
                            row=outcome.row,
                            column=outcome.columns.get("activity_id", "activity_id"),
                        ),
                    )
                    self._reject(table, outcome, [problem], report, sink)
                else:
                    kept.append((record, outcome))
            batch[:] = kept
        writer.write(
            record_type,
            [record for record, _ in batch],
            [Source(run_id, table.sheet, outcome.row) for _, outcome in batch],
        )
        if self.progress:
            self.progress(len(batch))
        batch.clear()

    def _reject(
        self,
        table: Table,
        outcome: RowOutcome,
        problems: list[Finding],
        report: FileReport,
        sink: _Rejects | None,
    ) -> None:
        for problem in problems:
            report.add_problem(problem)
        report.counts.rejected += 1
        if table.record_type == "activities":
            activity_id = outcome.cells.get(outcome.columns.get("activity_id", "activity_id"))
            if isinstance(activity_id, str | int) and not outcome.masked:
                self.rejected_ids.add(str(activity_id).strip())
        if sink is not None:
            sink.write(table, outcome, problems)


def import_files(
    engine: Engine,
    paths: list[Path],
    settings: ImportSettings,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import files into the store (see the module docstring for the guarantees)."""
    return Importer(engine, settings, progress).run(paths)
