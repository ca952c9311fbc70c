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

An import has two stages: reading (`peerreport.intake.reading`: the rows read,
checked and refused where repeated, as *actions*) and writing (here: the actions
carried out against the database and the report). The reading stage runs in this
process, or, for large files when the settings allow it, in a second process
that reads ahead while this one writes (`peerreport.intake.read_ahead`); the
import is the same either way.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, select, update

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.collector import fewer_collections
from peerreport.intake.columnar import (
    Accepted,
    AcceptedBatch,
    record_columns_of,
    record_values_of,
)
from peerreport.intake.dates import DateOrder
from peerreport.intake.limits import InputRefused
from peerreport.intake.read_ahead import READ_AHEAD_BYTES, ReadAhead
from peerreport.intake.reading import (
    NOTES_NOT_STORED,
    Action,
    FileDone,
    Flush,
    HoldBack,
    Notice,
    ReadingStage,
    Reject,
    Surveyed,
    TableDone,
    import_order,
    table_order,
)
from peerreport.intake.rejects import RejectsFile
from peerreport.intake.reports import (
    FileReport,
    ImportReport,
    ImportSettings,
    finish_run,
    start_run,
)
from peerreport.intake.rows import RowOutcome, RowReader
from peerreport.intake.sources import Table, open_tables
from peerreport.intake.wording import plural
from peerreport.store import chain
from peerreport.store.records import (
    ImportCounts,
    RecordWriter,
    Source,
    TokenHasher,
    ensure_organisation,
    refresh_statistics,
)
from peerreport.store.schema import import_run

__all__ = ["NOTES_NOT_STORED", "Importer", "import_files"]

_A = TypeVar("_A", bound=Action)


def _expect(action: Action, kind: type[_A]) -> _A:
    """`action`, which must be a `kind` where the import is (the stage's order of actions)."""
    if not isinstance(action, kind):
        sent = type(action).__name__
        raise RuntimeError(f"the import's reading sent {sent}, not {kind.__name__}")
    return action


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
        self.held_back: list[int] = []  # rows of a table not stored because their activity was not
        #: The reading stage; `slow_path` reads every row with the row reader (no column
        #: batches), to compare the two.
        self.stage = ReadingStage(settings, slow_path=slow_path)
        #: The reading stage in a second process, when it runs there (`read_ahead`).
        self.ahead: ReadAhead | None = None
        #: Hashes member tokens for the reading process's `_digest` (a copy of it there).
        secret = settings.token_secret
        self._hasher = TokenHasher(secret) if secret is not None else None

    def run(self, paths: list[Path]) -> ImportReport:
        """Import every file; commit only if allowed (no problems, or skip_invalid). The files
        are read in `import_order`: breakdowns after the activities they break down."""
        paths = import_order(paths, self.settings)
        with fewer_collections():
            # Before any connection is taken or thread started: the reading process is forked.
            self.ahead = (
                ReadAhead.start(self.stage, paths, self._digest)
                if self._reads_ahead(paths)
                else None
            )
            try:
                return self._run(paths)
            finally:
                if self.ahead is not None:
                    self.ahead.close()
                    self.ahead = None

    def _digest(self, action: object) -> None:
        """In the reading process, before an action is sent: hash the member tokens of the
        whole batches to write and work out their records' digests (`AcceptedBatch.digest`),
        so that the importer, which has the database's work to wait on, need not."""
        if isinstance(action, Flush):
            for item in action.batch:
                if isinstance(item, AcceptedBatch):
                    item.digest(self.settings.org, self.settings.token_secret, self._hasher)

    def _reads_ahead(self, paths: list[Path]) -> bool:
        """Read in a second process? When asked to (`ImportSettings.read_ahead`), and the
        files are large enough to gain from it (`READ_AHEAD_BYTES`)."""
        if not self.settings.read_ahead:
            return False
        total = 0
        for path in paths:
            try:
                total += path.stat().st_size
            except OSError:
                return False  # the import says what is wrong with it, in this process
        return total >= READ_AHEAD_BYTES

    def _run(self, paths: list[Path]) -> ImportReport:
        reports: list[FileReport] = []
        rejects: list[tuple[FileReport, RejectsFile]] = []
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
                for index, path in enumerate(paths):
                    report = FileReport(path)
                    reports.append(report)
                    sink = RejectsFile(path) if self.settings.skip_invalid else None
                    if sink:
                        rejects.append((report, sink))
                    before = ImportCounts(**vars(writer.counts))
                    run_id = start_run(conn, self.settings.org, path)
                    runs.append(run_id)
                    self._import_file(index, path, writer, report, sink, run_id)
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
        index: int,
        path: Path,
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        run_id: int,
    ) -> None:
        try:
            self._read_file(index, path, writer, report, sink, run_id)
        except InputRefused as refusal:
            # Past a limit, or unreadable as text: one plain finding, and the whole
            # import is rolled back (rows read before the limit are not kept).
            report.add_problem(refusal.finding)
            report.refused = True
            self.held_back = []  # rows of the refused table, not of the next one
        if self.ahead is not None:
            self.ahead.finish_file(index)  # what is left of this file's actions

    def _read_file(
        self,
        index: int,
        path: Path,
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        run_id: int,
    ) -> None:
        stage = self.stage
        dates = DateOrder(self.settings.date_order)
        ahead = self.ahead.file(index) if self.ahead is not None else None
        if ahead is None:
            stage.survey_dates(path, dates)
        elif self.settings.skip_invalid:
            _expect(next(ahead), Surveyed)  # or the file's refusal, raised
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
            readers, problems = stage.readers(tables, dates)
            for problem in problems:
                report.add_problem(problem)
            if readers is None:
                return  # refused: a forbidden column, and no --drop-forbidden
            actions = ahead if ahead is not None else stage.file_actions(tables, readers, dates)
            for table in table_order(tables):
                reader = readers.get(id(table))
                done = self._import_table(table, reader, actions, writer, report, sink, run_id)
                report.notices.extend(done.notices)
            late = _expect(next(actions), FileDone).late
        for problem in late:
            report.add_problem(problem)

    def _import_table(
        self,
        table: Table,
        reader: RowReader | None,
        actions: Iterator[Action],
        writer: RecordWriter,
        report: FileReport,
        sink: RejectsFile | None,
        run_id: int,
    ) -> TableDone:
        """Carry out a table's actions (`reading`), up to its `TableDone`."""
        for action in actions:
            if isinstance(action, Flush):
                assert reader is not None
                if self.ahead is not None:
                    for waiting in action.batch:
                        waiting.bind(reader)  # made in the other process
                self._flush(reader, writer, action.batch, report, sink, run_id)
            elif isinstance(action, Reject):
                self._reject(table, action.outcome, action.problems, report, sink)
            elif isinstance(action, HoldBack):
                self._hold_back(table, action.activity_id, action.outcome, report, sink)
            elif isinstance(action, Notice):
                report.notices.append(action.text)
            else:
                done = _expect(action, TableDone)
                break
        else:
            raise RuntimeError(f"{table.where}: the import's reading stopped within the table")
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
        return done

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
                    if part.hashed is not None:
                        hashed = part.hashed  # hashed by the reading process (`_digest`)
                    else:
                        hashed = (
                            [writer.hash_tokens(t) for t in part.member_tokens] if tokens else []
                        )
                    columns = record_columns_of(record_type, part.columns)
                    writer.write_columns(
                        record_type, columns, hashed, source, part.numbers, part.digests
                    )
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
                    "Import the activity first (or in the same import), or correct the id.",
                    Location(
                        file=table.where,
                        row=outcome.row,
                        column=outcome.columns.get("activity_id", "activity_id"),
                    ),
                )
                self._reject(table, outcome, [reader.placed(problem)], report, sink)
        batch[:] = kept

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
