"""Importing files into the store: all-or-nothing by default, idempotent, streaming.

Rows are read, checked and written in batches inside ONE transaction. If any
row is invalid, the transaction is rolled back and nothing is stored, and every
problem is reported (`FILE, sheet "S", cell B5 (column "date"): message`, or
`FILE, row 5, column "date": ...` for CSV). With `skip_invalid`, valid rows are
stored and rejected rows are written, with their reasons, to a rejects file
beside the input (`peerreport.intake.rejects`).

Before any row is read, every table's headings are planned
(`peerreport.intake.columns`): a forbidden column refuses the whole file,
unless `drop_forbidden` asks for such columns to be discarded unread.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.collector import fewer_collections
from peerreport.intake.columnar import (
    Accepted,
    AcceptedBatch,
    ColumnarReader,
    record_columns_of,
    record_values_of,
)
from peerreport.intake.dates import DateOrder, Place, survey
from peerreport.intake.limits import InputRefused
from peerreport.intake.rejects import RejectsFile
from peerreport.intake.reports import (
    FileReport,
    ImportReport,
    ImportSettings,
    finish_run,
    start_run,
)
from peerreport.intake.rows import RowOutcome, RowReader
from peerreport.intake.seen import SeenKeys
from peerreport.intake.sources import Table, open_tables
from peerreport.intake.wording import duplicate_message, plural
from peerreport.store import chain
from peerreport.store.records import (
    ImportCounts,
    RecordWriter,
    Source,
    ensure_organisation,
    refresh_statistics,
)
from peerreport.store.schema import import_run

BATCH_SIZE = 1000
TYPE_ORDER = {"activities": 0, "breakdowns": 1, "workforce": 2, "feedback": 3}


NOTES_NOT_STORED = (
    "the notes column is not stored; no return uses it; "
    "set keep_notes = true in peerreport.toml to keep it"
)


def _key_hash(record_type: str, natural_key: tuple[str, ...], fields: dict[str, Any]) -> int:
    """The row's record (its natural key's values) as an unsigned 64-bit number, for the
    import's duplicate check (`SeenKeys`).

    Python's own hash of the values: SipHash for text, keyed afresh in every process
    (unless PYTHONHASHSEED fixes it), so no file can be written to make two records
    collide; a false duplicate needs a 64-bit collision (about 1 in 10^7 at a million
    rows). A quarter of the cost of a blake2b of the key's text, and equal values (not
    only equal spellings: None is not "None") are one key.
    """
    return hash((record_type, *[fields[name] for name in natural_key])) & _MASK64


_MASK64 = (1 << 64) - 1


def _withdrawn_notice(keys: list[str]) -> str:
    shown = ", ".join(f'"{k}"' for k in keys[:5]) + (
        f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    )
    were = "was" if len(keys) == 1 else "were"
    return (
        f"{plural(len(keys), 'record')} in this file {were} withdrawn earlier and "
        f"{'is' if len(keys) == 1 else 'are'} not imported again ({shown}); give a record a new "
        "id if it is a different one"
    )


class Importer:
    """Runs one import of several files in one transaction."""

    def __init__(
        self,
        engine: Engine,
        settings: ImportSettings,
        progress: Callable[[int], None] | None = None,
        *,
        slow_path: bool = False,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.progress = progress
        self.rejected_ids: set[str] = set()  # activities refused in this import
        self.held_back: list[int] = []  # rows of a table not stored because their activity was not
        #: Read every row with the row reader (no column batches): to compare the two.
        self.slow_path = slow_path

    def run(self, paths: list[Path]) -> ImportReport:
        """Import every file; commit only if allowed (no problems, or skip_invalid)."""
        with fewer_collections():
            return self._run(paths)

    def _run(self, paths: list[Path]) -> ImportReport:
        reports: list[FileReport] = []
        rejects: list[tuple[FileReport, RejectsFile]] = []
        seen = SeenKeys()  # natural keys of this import, across its files (bounded memory)
        revision: int | None = None
        with self.engine.connect() as conn:
            transaction = conn.begin()
            writer: RecordWriter | None = None
            try:
                ensure_organisation(conn, self.settings.org, self.settings.org_name)
                # Each record is written at most once: a repeated row is refused (IMP-040).
                writer = RecordWriter(
                    conn, self.settings.org, self.settings.token_secret, keys_once=True
                )
                writer.statements.copy_behind()
                runs: list[int] = []
                for path in paths:
                    report = FileReport(path)
                    reports.append(report)
                    sink = RejectsFile(path) if self.settings.skip_invalid else None
                    if sink:
                        rejects.append((report, sink))
                    before = ImportCounts(**vars(writer.counts))
                    run_id = start_run(conn, self.settings.org, path)
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
                    finish_run(conn, run_id, report, "stored")
                failed = any(r.problem_count for r in reports)
                refused = any(r.refused for r in reports)
                if refused or (failed and not self.settings.skip_invalid):
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
            finally:
                if writer is not None:
                    writer.statements.stop_behind()
        if stored:
            refresh_statistics(self.engine)
        else:
            for _, sink in rejects:
                sink.discard()
            rejects = []
            self._record_refused(reports)
        for report, sink in rejects:
            report.rejects_paths = sink.finish()
        return ImportReport(
            reports, stored, self.settings.skip_invalid, revision if stored else None
        )

    def _record_refused(self, reports: list[FileReport]) -> None:
        """Keep a record of a refused import: which files, their hashes and their problems."""
        with self.engine.begin() as conn:
            ensure_organisation(conn, self.settings.org, self.settings.org_name)
            for report in reports:
                run_id = start_run(conn, self.settings.org, report.path)
                finish_run(conn, run_id, report, "refused")

    def _import_file(
        self,
        path: Path,
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        seen: set[int],
        run_id: int,
    ) -> None:
        try:
            self._read_file(path, writer, report, sink, seen, run_id)
        except InputRefused as refusal:
            # Past a limit, or unreadable as text: one plain finding, and the whole
            # import is rolled back (rows read before the limit are not kept).
            report.add_problem(refusal.finding)
            report.refused = True

    def _read_file(
        self,
        path: Path,
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        seen: set[int],
        run_id: int,
    ) -> None:
        dates = DateOrder(self.settings.date_order)
        if self.settings.skip_invalid:
            # Valid rows are stored as they are read: know the file's date order first.
            survey(dates, self._date_cells(path))
        with open_tables(path, self.settings.record_type, self.settings.limits) as tables:
            if not tables:
                report.add_problem(
                    finding(
                        "IMP-001",
                        "no sheet with record headings was found",
                        "Name the sheets Activities, Breakdowns, Workforce and Feedback, with the "
                        "headings in the first row.",
                        Location(file=path.name),
                    )
                )
            readers = self._readers(tables, report, dates)
            if readers is None:
                return  # refused: a forbidden column, and no --drop-forbidden
            for table in sorted(tables, key=lambda t: TYPE_ORDER.get(t.record_type or "", 9)):
                reader = readers.get(id(table))
                if reader is not None:
                    self._import_table(reader, writer, report, sink, seen, run_id)
                report.notices.extend(table.notices)
                if reader is not None:
                    report.notices.extend(reader.notices())
        for problem in dates.late_findings():
            report.add_problem(problem)

    def _readers(
        self, tables: list[Table], report: FileReport, dates: DateOrder
    ) -> dict[int, RowReader] | None:
        """A reader per table of records; None if a forbidden column refuses the file."""
        readers: dict[int, RowReader] = {}
        for table in tables:
            if table.record_type is None:
                report.add_problem(
                    finding(
                        "IMP-002",
                        "cannot tell which records this file holds",
                        "Name the file after its records (activities.csv, workforce.csv, ...), "
                        "give --type, or use the headings of one record type.",
                        Location(file=table.where),
                    )
                )
                continue
            readers[id(table)] = RowReader(
                table, table.record_type, self.settings.date_order, dates
            )
        refusals = [
            f for r in readers.values() for f in r.plan.refusals(self.settings.drop_forbidden)
        ]
        if refusals:
            for problem in refusals:
                report.add_problem(problem)
            return None  # never read a row of a file with a forbidden column
        for reader in readers.values():
            reader.plan.drop_forbidden()
            for problem in reader.plan.column_problems.values():
                report.add_problem(problem)
        return readers

    def _date_cells(self, path: Path) -> Iterator[tuple[object, Place]]:
        """Every date cell of a file, read ahead (forbidden columns are never read)."""
        with open_tables(path, self.settings.record_type, self.settings.limits) as tables:
            for table in tables:
                if table.record_type is None:
                    continue
                reader = RowReader(table, table.record_type, self.settings.date_order)
                if reader.plan.refusals(self.settings.drop_forbidden):
                    return
                reader.plan.drop_forbidden()
                keys = [k for k, f in reader.plan.fields.items() if reader.kinds[f] == "date"]
                if not keys:
                    continue
                for number, row in table.rows:
                    for key in keys:
                        value = row.get(key)
                        if isinstance(value, str):
                            column = table.column(key)
                            heading = column.heading if column else key
                            yield (
                                value,
                                Place(table.where, number, heading, table.address(key, number)),
                            )

    def _import_table(
        self,
        reader: RowReader,
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        seen: set[int],
        run_id: int,
    ) -> None:
        table = reader.table
        record_type = reader.record_type
        natural_key = reader.model.natural_key
        # Rows to write, and whole batches (or parts of them), in file order; written every
        # BATCH_SIZE rows (`_flush`, which finds the breakdowns of missing activities).
        batch: list[Accepted | AcceptedBatch] = []
        waiting = 0  # rows in `batch`
        notes_dropped = False
        drop_notes = record_type == "activities" and not self.settings.keep_notes
        for read in ColumnarReader(reader, slow=self.slow_path).rows():
            reads: Iterable[RowOutcome | Accepted]
            if isinstance(read, AcceptedBatch):
                notes = read.columns.get("notes")
                if drop_notes and notes is not None and any(notes):
                    read.columns["notes"] = [None] * len(read)
                    if not notes_dropped:  # one notice, however many notes
                        report.notices.append(f"{table.where}: {NOTES_NOT_STORED}")
                        notes_dropped = True
                if self._take_whole(read, reader, seen):
                    # Flushed where row by row would flush: after every BATCH_SIZE rows.
                    start = 0
                    while start < len(read):
                        part = read.part(start, start + BATCH_SIZE - waiting)
                        batch.append(part)
                        waiting += len(part)
                        start += len(part)
                        if waiting >= BATCH_SIZE:
                            self._flush(reader, writer, batch, report, sink, run_id)
                            waiting = 0
                    continue
                reads = read.rows()  # some row needs a word of its own
            else:
                reads = (read,)
            for read in reads:
                if isinstance(read, RowOutcome):  # a row the row reader did not accept
                    if read.rejected:
                        self._reject(table, read, read.problems, report, sink)
                    continue  # or nothing left to read in the row (a rejects file's reason alone)
                fields = read.fields
                if drop_notes and fields.get("notes"):
                    fields["notes"] = None
                    if not notes_dropped:  # one notice, however many notes
                        report.notices.append(f"{table.where}: {NOTES_NOT_STORED}")
                        notes_dropped = True
                key = _key_hash(record_type, natural_key, fields)
                if key in seen:
                    outcome = read.outcome()
                    outcome.problems.append(
                        finding(
                            "IMP-040",
                            duplicate_message(natural_key, fields, reader.plan.generated_ids),
                            "Each record has one row; delete or renumber the repeated row.",
                            Location(file=table.where, row=read.row),
                        )
                    )
                    self._reject(table, outcome, outcome.problems, report, sink)
                    continue
                seen.add(key)
                if record_type == "breakdowns" and fields["activity_id"] in self.rejected_ids:
                    self._hold_back(table, fields["activity_id"], read.outcome(), report, sink)
                else:
                    batch.append(read)
                    waiting += 1
                if waiting >= BATCH_SIZE:
                    self._flush(reader, writer, batch, report, sink, run_id)
                    waiting = 0
        self._flush(reader, writer, batch, report, sink, run_id)
        if self.held_back:
            rows = self.held_back
            more = f" and {len(rows) - 10:,} more" if len(rows) > 10 else ""
            shown = ", ".join(map(str, rows[:10])) + more
            report.notices.append(
                f"{table.where}: {'row' if len(rows) == 1 else 'rows'} {shown} "
                f"{'is' if len(rows) == 1 else 'are'} not stored, because "
                f"{'its activity was' if len(rows) == 1 else 'their activities were'} rejected"
            )
            self.held_back = []

    def _flush(
        self,
        reader: RowReader,
        writer: RecordWriter,
        batch: list[Accepted | AcceptedBatch],
        report: FileReport,
        sink: RejectsFile | None,
        run_id: int,
    ) -> None:
        """Write the rows and whole batches waiting, in order (a breakdown whose activity is
        missing is rejected: IMP-041), and empty `batch`."""
        if not batch:
            return
        table = reader.table
        record_type = table.record_type
        assert record_type is not None
        if record_type == "breakdowns":
            missing = writer.missing_activities(
                itertools.chain.from_iterable(
                    w.columns["activity_id"]
                    if isinstance(w, AcceptedBatch)
                    else [w.fields["activity_id"]]
                    for w in batch
                )
            )
            if missing:
                self._reject_missing(reader, batch, missing, report, sink)
        org = self.settings.org
        tokens = record_type == "activities"
        source = Source(run_id, table.sheet)
        written = 0
        for whole, waiting in itertools.groupby(batch, key=lambda w: isinstance(w, AcceptedBatch)):
            if whole:
                for part in waiting:
                    assert isinstance(part, AcceptedBatch)
                    hashed = [writer.hash_tokens(t) for t in part.member_tokens] if tokens else []
                    columns = record_columns_of(record_type, part.columns)
                    writer.write_columns(record_type, columns, hashed, source, part.numbers)
                    written += len(part)
                continue
            rows = [a for a in waiting if isinstance(a, Accepted)]
            writer.write_values(
                record_type,
                [record_values_of(org, record_type, a.fields) for a in rows],
                [writer.hash_tokens(a.member_tokens) if tokens else [] for a in rows],
                [Source(run_id, table.sheet, a.row) for a in rows],
            )
            written += len(rows)
        if self.progress:
            self.progress(written)
        batch.clear()

    def _reject_missing(
        self,
        reader: RowReader,
        batch: list[Accepted | AcceptedBatch],
        missing: set[str],
        report: FileReport,
        sink: RejectsFile | None,
    ) -> None:
        """Reject the breakdowns of `batch` whose activity is missing (IMP-041), in row order;
        a whole batch holding one is taken row by row."""
        table = reader.table
        kept: list[Accepted | AcceptedBatch] = []
        for waiting in batch:
            if isinstance(waiting, AcceptedBatch):
                if missing.isdisjoint(waiting.columns["activity_id"]):
                    kept.append(waiting)
                    continue
                rows: list[Accepted] = waiting.rows()
            else:
                rows = [waiting]
            for accepted in rows:
                activity_id = accepted.fields["activity_id"]
                if activity_id not in missing:
                    kept.append(accepted)
                    continue
                outcome = accepted.outcome()
                problem = finding(
                    "IMP-041",
                    f'there is no activity "{activity_id}" to break down',
                    "Import the activity first (or in the same workbook), or correct the id.",
                    Location(
                        file=table.where,
                        row=outcome.row,
                        column=outcome.columns.get("activity_id", "activity_id"),
                    ),
                )
                self._reject(table, outcome, [reader.placed(problem)], report, sink)
        batch[:] = kept

    def _take_whole(self, whole: AcceptedBatch, reader: RowReader, seen: set[int]) -> bool:
        """Whether a batch of valid rows can be written whole: none of its records was given
        before, in it or earlier in the import (IMP-040), and no breakdown in it is of a
        rejected activity. Then its records are remembered as given; otherwise nothing is,
        and the caller takes the rows one by one, which says what each needs."""
        record_type = reader.record_type
        columns = whole.columns
        natural = [columns[name] for name in reader.model.natural_key]
        keys = [hash((record_type, *values)) & _MASK64 for values in zip(*natural, strict=True)]
        if len(set(keys)) < len(keys) or any(key in seen for key in keys):
            return False
        if record_type == "breakdowns" and not self.rejected_ids.isdisjoint(columns["activity_id"]):
            return False
        for key in keys:
            seen.add(key)
        return True

    def _hold_back(
        self,
        table: Table,
        activity_id: str,
        outcome: RowOutcome,
        report: FileReport,
        sink: RejectsFile | None,
    ) -> None:
        """A breakdown of a rejected activity: not stored, and no second message about it."""
        self.held_back.append(outcome.row)
        report.counts.rejected += 1
        if sink is not None:
            reason = finding(
                "IMP-042",
                f'not stored, because its activity "{activity_id}" was rejected: '
                "import this row again with the corrected activity",
                hint="",
            )
            sink.write(table, outcome, [reason])

    def _reject(
        self,
        table: Table,
        outcome: RowOutcome,
        problems: list[Finding],
        report: FileReport,
        sink: RejectsFile | None,
    ) -> None:
        for problem in problems:
            report.add_problem(problem)  # column-level problems (blocked_by) are counted once
        report.counts.rejected += 1
        if table.record_type == "activities":
            activity_id = outcome.cells.get(outcome.columns.get("activity_id", "activity_id"))
            if isinstance(activity_id, str | int) and not outcome.masked:
                self.rejected_ids.add(str(activity_id).strip())
        if sink is not None:
            sink.write(table, outcome, [*outcome.blocked_by, *problems])


def import_files(
    engine: Engine,
    paths: list[Path],
    settings: ImportSettings,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import files into the store (see the module docstring for the guarantees)."""
    return Importer(engine, settings, progress).run(paths)
