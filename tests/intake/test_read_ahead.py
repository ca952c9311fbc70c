"""Reading an import's files in a second process (`intake.read_ahead`) says and stores
exactly what reading them in the importer's own process does: every finding, notice and
count, the rejects files and the stored versions. And when the reading process fails, the
import fails with it and stores nothing."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from peerreport.cli.main import cli
from peerreport.errors import InputFileError
from peerreport.intake import columnar, read_ahead
from peerreport.intake.importer import Importer
from peerreport.intake.limits import InputLimits
from peerreport.intake.reading import FileDone, Flush, Notice, ReadingStage
from peerreport.intake.rejects import RejectsFile
from peerreport.intake.reports import ImportReport
from peerreport.intake.rows import RowOutcome
from peerreport.store.schema import activity
from tests.helpers import make_workspace, settings_for, write_csv, write_workbook
from tests.intake.test_columnar_imports import (
    ACTIVITIES,
    BREAKDOWNS,
    CLEAN_BATCHES,
    CLEAN_BREAKDOWNS,
    MESSY_WORKBOOK,
    SAMPLES,
    _another_database,
    _import,
    _jsonl,
    _same_reports,
    _stored,
)

ONE_THREAD = read_ahead._one_thread  # the real rule, before a test replaces it
BEHIND = read_ahead._BEHIND  # likewise


@pytest.fixture(autouse=True)
def reads_ahead(monkeypatch: pytest.MonkeyPatch) -> list[read_ahead.ReadAhead | None]:
    """Every import that asks reads ahead, however small its files; and the processes
    started (None where none could be) are listed, so a test can check one was."""
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", 0)
    # The reading process always works out the batches' digests and hashed tokens (as it
    # does whenever the importer is behind): what it writes must be what the importer's
    # own would be. `test_the_importer_works_out_what_the_reader_did_not` checks the mix.
    monkeypatch.setattr(read_ahead, "_BEHIND", 0)
    # Another test of this worker may have left a thread running (a web server): these
    # tests fork anyway. `test_a_process_with_threads_is_not_forked` checks the real rule.
    monkeypatch.setattr(read_ahead, "_one_thread", lambda: True)
    started: list[read_ahead.ReadAhead | None] = []
    start = read_ahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type[read_ahead.ReadAhead], *args: Any) -> read_ahead.ReadAhead | None:
        process: read_ahead.ReadAhead | None = start(cls, *args)
        started.append(process)
        return process

    monkeypatch.setattr(read_ahead.ReadAhead, "start", classmethod(spy))
    return started


def _compare(
    engine: Engine,
    backend: str,
    db_url: str,
    root: Path,
    paths: list[Path],
    started: list[read_ahead.ReadAhead | None],
    slow: bool = False,
    **options: Any,
) -> ImportReport:
    """Import in this process into one database, reading ahead into another, and compare
    (`slow`: every row read by the row reader, both times)."""
    workspace = make_workspace(root / "ws", db_url)
    here = _import(engine, workspace, paths, slow, read_ahead=False, **options)
    assert started == []
    with _another_database(backend, root / "other") as other:
        ahead = _import(other, workspace, paths, slow, read_ahead=True, **options)
        assert _stored(other) == _stored(engine)
    assert len(started) == 1 and started[0] is not None  # it did read in another process
    assert started[0].pid == 0  # and that process is gone
    _same_reports(ahead, here)
    assert not list(root.rglob("*.tmp"))  # no rejects file left half-written
    started.clear()
    return ahead[0]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 3 rows, written every 2: many actions, and batches split between them."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", 3)
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", 2)


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_the_messy_samplewrite_workbook(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    reads_ahead: list[Any],
    skip_invalid: bool,
) -> None:
    source = tmp_path / MESSY_WORKBOOK.name
    source.write_bytes(MESSY_WORKBOOK.read_bytes())
    report = _compare(
        engine, backend, db_url, tmp_path, [source], reads_ahead, skip_invalid=skip_invalid
    )
    assert report.problem_count >= 6


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("keep_notes", [False, True])
def test_messy_csv_and_json_lines(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
    skip_invalid: bool,
    keep_notes: bool,
) -> None:
    paths = [
        write_csv(tmp_path / "activities.csv", ACTIVITIES),
        write_csv(tmp_path / "activities-breakdowns.csv", BREAKDOWNS),
        _jsonl(tmp_path / "more-activities.jsonl", [ACTIVITIES[0], *CLEAN_BATCHES[1:]]),
        write_csv(tmp_path / "more-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    report = _compare(
        engine,
        backend,
        db_url,
        tmp_path,
        paths,
        reads_ahead,
        skip_invalid=skip_invalid,
        keep_notes=keep_notes,
    )
    codes = {p.code for f in report.files for p in f.problems}
    assert {"IMP-021", "IMP-022", "IMP-040", "IMP-041", "IMP-023", "PRV-002"} <= codes
    assert report.stored == skip_invalid
    # Breakdowns are read after every file of activities (`import_order`).
    order = [f.path.name for f in report.files]
    assert order == [
        "activities.csv",
        "more-activities.jsonl",
        "activities-breakdowns.csv",
        "more-breakdowns.csv",
    ]
    if skip_invalid:  # a breakdown of a rejected activity is held back, and said so
        assert any("not stored, because" in n for n in report.files[2].notices)


def test_files_refused_before_during_and_by_their_headings(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
) -> None:
    """Every way a file is refused, between files that are read: each file's actions
    still start where the importer expects them."""
    long_note = ["A20", "14/08/2026", "", "group", "3", "", "x" * 80, ""]
    forbidden = [["activity_id", "date", "kind", "attendance", "Full name"]]
    forbidden.append(["F1", "14/08/2026", "group", "3", "someone"])
    paths = [
        write_csv(tmp_path / "first.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "refused-part-way.csv", [*ACTIVITIES[:8], long_note]),
        write_csv(tmp_path / "names.csv", forbidden),
        write_csv(tmp_path / "too-big.csv", [ACTIVITIES[0], *ACTIVITIES[1:3] * 40]),
        write_csv(tmp_path / "empty.csv", [["nothing", "here"]]),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    limits = InputLimits(max_cell_chars=60, max_file_bytes=4000)
    report = _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, limits=limits)
    refused = [f.path.name for f in report.files if f.refused]
    assert refused == ["refused-part-way.csv", "too-big.csv"]
    assert report.files[2].problem_count  # the forbidden column
    assert report.files[-1].problem_count  # IMP-041: its activities are not stored


def test_dates_surveyed_first_with_skip_invalid(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
) -> None:
    """With skip_invalid the reading process surveys each file's dates before its rows."""
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "refused.csv", [*ACTIVITIES[:8], ["A20", "14/08/2026", "x" * 80]]),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    limits = InputLimits(max_cell_chars=60)
    report = _compare(
        engine, backend, db_url, tmp_path, paths, reads_ahead, skip_invalid=True, limits=limits
    )
    assert report.files[1].refused


def test_the_sample_organisations_year(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, reads_ahead: list[Any]
) -> None:
    paths = [
        SAMPLES / "kowhai-2025-26.csv",
        SAMPLES / "kowhai-2025-26-breakdowns.csv",
        SAMPLES / "kowhai-2025-26-workforce.csv",
        SAMPLES / "kowhai-2025-26-feedback.csv",
    ]
    report = _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, keep_notes=False)
    assert report.stored and report.counts.added > 3000


def test_the_importer_works_out_what_the_reader_did_not(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    reads_ahead: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reading process hashes the tokens and works out the digests of the batches it
    sends only while the importer is behind: batches it did and batches it did not (every
    other one, here) are stored alike, and alike with an import in one process."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", 50)
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", 100)  # rows a Flush
    calls = itertools.count()
    digest = Importer._digest
    done = tmp_path / "digested"  # written by the reading process: one line a batch it did

    def every_other(importer: Importer, action: object) -> None:
        if isinstance(action, Flush) and next(calls) % 2:
            digest(importer, action)
            with done.open("a") as lines:
                lines.write(f"{os.getpid()}\n")

    monkeypatch.setattr(Importer, "_digest", every_other)
    paths = [SAMPLES / "kowhai-2025-26.csv", SAMPLES / "kowhai-2025-26-breakdowns.csv"]
    report = _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, keep_notes=False)
    digested = done.read_text().split()
    assert report.stored and report.counts.added > 3000
    assert len(digested) > 15 and str(os.getpid()) not in digested  # by the reading process


def test_a_second_import_over_stored_records(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, reads_ahead: list[Any]
) -> None:
    """Over stored records, the reading process's digests tell unchanged, changed and new
    records apart as the importer's own do: the same versions are stored either way."""
    workspace = make_workspace(tmp_path / "ws", db_url)
    first = SAMPLES / "kowhai-2025-26.csv"
    rows = list(csv.reader(first.open(encoding="utf-8-sig", newline="")))
    header, records = rows[0], rows[1:]
    attendance = header.index("attendance")
    changed = [list(r) for r in records[::3]]  # a third kept as it was, every ninth changed
    for row in changed[::3]:
        row[attendance] = str(int(row[attendance]) + 1)
    added = [[f"N-{n:07d}", *r[1:]] for n, r in enumerate(records[:40])]
    second = write_csv(tmp_path / "second.csv", [header, *changed, *added])
    settings = {"keep_notes": False, "skip_invalid": True}
    _import(engine, workspace, [first], False, read_ahead=False, **settings)
    with _another_database(backend, tmp_path / "other") as other:
        _import(other, workspace, [first], False, read_ahead=False, **settings)
        here = _import(engine, workspace, [second], False, read_ahead=False, **settings)
        ahead = _import(other, workspace, [second], False, read_ahead=True, **settings)
        assert _stored(other) == _stored(engine)
    assert [p is not None for p in reads_ahead] == [True]
    _same_reports(ahead, here)
    counts = here[0].files[0].counts
    assert counts.added == 40 and counts.updated > 100 and counts.unchanged > 100


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_workbooks_of_several_sheets_and_files_of_no_records(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
    skip_invalid: bool,
) -> None:
    paths = [
        write_workbook(
            tmp_path / "log.xlsx",
            {
                "Breakdowns": BREAKDOWNS,  # read after the activities, wherever it is
                "Guidance": [["read me"], ["nothing here"]],
                "Activities": [["A title"], *ACTIVITIES[:-1]],
                "Problems": [["x", "y"]],
            },
        ),
        write_workbook(tmp_path / "nothing.xlsx", {"Guidance": [["read me"]]}),
        write_csv(tmp_path / "mystery.csv", [["a", "b"], ["1", "2"]]),
        write_csv(tmp_path / "more-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    report = _compare(
        engine, backend, db_url, tmp_path, paths, reads_ahead, skip_invalid=skip_invalid
    )
    assert {"IMP-001", "IMP-002"} <= {p.code for f in report.files for p in f.problems}


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_dropped_columns_stay_unread_by_the_importer(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
    skip_invalid: bool,
) -> None:
    """With --drop-forbidden, a breakdown the importer rejects when it writes it (IMP-041:
    made from cells the reading process sent) holds none of a dropped column's cells."""
    shown: list[list[str]] = []
    write = RejectsFile.write

    def spy(self: RejectsFile, table: Any, outcome: RowOutcome, reasons: list[Any]) -> None:
        shown.append(sorted(map(str, outcome.cells)))
        write(self, table, outcome, reasons)

    monkeypatch.setattr(RejectsFile, "write", spy)
    named = [[*CLEAN_BREAKDOWNS[0], "Full name"]]
    named += [[*row, "Someone Else"] for row in CLEAN_BREAKDOWNS[1:]]
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", named),
    ]
    report = _compare(
        engine,
        backend,
        db_url,
        tmp_path,
        paths,
        reads_ahead,
        skip_invalid=skip_invalid,
        drop_forbidden=True,
    )
    assert any(p.code == "IMP-041" for p in report.files[1].problems)
    assert not any("Full name" in cells for cells in shown)
    assert not skip_invalid or shown  # the rejects were written, and looked at


def test_the_row_reader_reads_the_same(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
) -> None:
    """Rows read one by one (the row reader's outcomes travel with them) as well."""
    paths = [
        write_csv(tmp_path / "activities.csv", ACTIVITIES),
        write_csv(tmp_path / "activities-breakdowns.csv", BREAKDOWNS),
        _jsonl(tmp_path / "more.jsonl", [ACTIVITIES[0], *CLEAN_BATCHES[1:]]),
        write_csv(tmp_path / "more-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, True, skip_invalid=True)


def test_a_refused_file_leaves_no_held_back_rows_to_the_next(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    reads_ahead: list[Any],
) -> None:
    """A breakdown held back in a file refused part way is not listed under the next file."""
    breakdowns = [["activity_id", "dimension", "category", "count"]]
    breakdowns += [["A3", "gender", "female", "2"], ["A1", "gender", "male", "1"]]
    breakdowns += [["A1", "ethnicity", "x" * 80, "1"]]  # past the cell limit: refused
    paths = [
        write_csv(tmp_path / "activities.csv", ACTIVITIES[:4]),  # A3 is rejected
        write_csv(tmp_path / "activities-breakdowns.csv", breakdowns),
        # Breakdowns are read after the activities (`import_order`): the next file is another.
        write_csv(tmp_path / "more-breakdowns.csv", [breakdowns[0], ["A1", "age", "25-44", "1"]]),
    ]
    report = _compare(
        engine,
        backend,
        db_url,
        tmp_path,
        paths,
        reads_ahead,
        skip_invalid=True,
        limits=InputLimits(max_cell_chars=60),
    )
    assert [f.path.name for f in report.files] == [p.name for p in paths]
    assert report.files[1].refused
    assert not any("not stored, because" in n for n in report.files[2].notices)


ROWS = st.lists(st.sampled_from(range(1, len(ACTIVITIES))), max_size=14)
BREAKDOWN_ROWS = st.lists(st.sampled_from(range(1, len(CLEAN_BREAKDOWNS))), max_size=10)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    activities=ROWS,
    clean=st.lists(st.sampled_from(range(1, len(CLEAN_BATCHES))), max_size=14),
    breakdowns=BREAKDOWN_ROWS,
    batch_rows=st.integers(1, 6),
    batch_size=st.integers(1, 5),
    skip_invalid=st.booleans(),
)
def test_any_mix_of_rows_reads_the_same_either_way(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
    activities: list[int],
    clean: list[int],
    breakdowns: list[int],
    batch_rows: int,
    batch_size: int,
    skip_invalid: bool,
) -> None:
    """Rows of the messy and clean files in any order, repeats included, in batches of any
    size: the same import either way (SQLite; the cases above run on both databases)."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", batch_size)
    root = tmp_path_factory.mktemp("mix")
    paths = [
        write_csv(root / "activities.csv", [ACTIVITIES[0], *(ACTIVITIES[i] for i in activities)]),
        write_csv(root / "clean.csv", [CLEAN_BATCHES[0], *(CLEAN_BATCHES[i] for i in clean)]),
        write_csv(
            root / "activities-breakdowns.csv",
            [CLEAN_BREAKDOWNS[0], *(CLEAN_BREAKDOWNS[i] for i in breakdowns)],
        ),
    ]
    with _another_database("sqlite", root / "here") as engine:
        _compare(
            engine,
            "sqlite",
            str(engine.url),
            root,
            paths,
            reads_ahead,
            skip_invalid=skip_invalid,
        )


# -- when the reading process fails -----------------------------------------------------------


def _activities(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(activity)).scalar_one())


def test_an_error_in_the_reading_process_is_raised_and_nothing_is_stored(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    parent = os.getpid()
    table_actions = ReadingStage.table_actions

    def fails(self: ReadingStage, reader: Any) -> Any:
        if reader.record_type == "breakdowns":
            assert os.getpid() != parent  # only the reading process reads rows
            raise ValueError("a cell the reader could not take")
        return table_actions(self, reader)

    monkeypatch.setattr(ReadingStage, "table_actions", fails)
    workspace = make_workspace(tmp_path / "ws", db_url)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    with pytest.raises(ValueError, match="a cell the reader could not take") as raised:
        Importer(engine, settings_for(workspace, read_ahead=True, skip_invalid=True)).run(paths)
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "reading process" in notes and "in fails" in notes  # the child's traceback
    assert _activities(engine) == 0  # the activities written before it are rolled back
    assert reads_ahead[0] is not None and reads_ahead[0].pid == 0


def test_a_reading_process_that_dies_fails_the_import(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    table_actions = ReadingStage.table_actions

    def dies(self: ReadingStage, reader: Any) -> Any:
        if reader.record_type == "breakdowns":
            os._exit(3)  # as if killed part way
        return table_actions(self, reader)

    monkeypatch.setattr(ReadingStage, "table_actions", dies)
    workspace = make_workspace(tmp_path / "ws", db_url)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    with pytest.raises(RuntimeError, match="exit status 3"):
        Importer(engine, settings_for(workspace, read_ahead=True, skip_invalid=True)).run(paths)
    assert _activities(engine) == 0


def test_a_process_with_threads_is_not_forked(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    """A server's import, with its other threads, reads in its own process."""
    monkeypatch.setattr(read_ahead, "_one_thread", ONE_THREAD)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        workspace = make_workspace(tmp_path / "ws", db_url)
        path = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES)
        settings_ = settings_for(workspace, read_ahead=True, skip_invalid=True)
        report = Importer(engine, settings_).run([path])
    finally:
        stop.set()
        other.join()
    assert reads_ahead == [None] and report.stored and _activities(engine) == 14


def test_small_files_are_read_in_the_importers_own_process(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    size = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES).stat().st_size
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", size + 1)
    workspace = make_workspace(tmp_path / "ws", db_url)
    settings_ = settings_for(workspace, read_ahead=True, skip_invalid=True)
    Importer(engine, settings_).run([tmp_path / "activities.csv"])
    assert reads_ahead == []  # not even tried
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", size)
    Importer(engine, settings_).run([tmp_path / "activities.csv"])
    assert len(reads_ahead) == 1 and reads_ahead[0] is not None


def test_the_command_line_reads_ahead(db_url: str, tmp_path: Path, reads_ahead: list[Any]) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    made = runner.invoke(
        cli, ["init", str(folder), "--name", "Harbour", "--provider-code", "HPC001", "--db", db_url]
    )
    assert made.exit_code == 0, made.output
    path = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES)
    result = runner.invoke(cli, ["import", str(path), "-w", str(folder), "--skip-invalid"])
    assert result.exit_code == 1, result.output  # some rows are rejected, the rest stored
    assert "14 added" in result.output and "rejected" in result.output
    assert len(reads_ahead) == 1 and reads_ahead[0] is not None


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("bad", ["old.xls", "damaged.xlsx", "folder.csv"])
def test_an_unreadable_file_among_others_fails_the_same_way(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    reads_ahead: list[Any],
    skip_invalid: bool,
    bad: str,
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    first = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES)
    path = tmp_path / bad
    if bad == "folder.csv":
        path.mkdir()
    else:
        path.write_bytes(b"not a workbook")
    last = write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS)
    errors = []
    for ahead in (False, True):
        settings_ = settings_for(workspace, read_ahead=ahead, skip_invalid=skip_invalid)
        with pytest.raises(InputFileError) as raised:
            Importer(engine, settings_).run([first, path, last])
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1]
    assert _activities(engine) == 0
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.rejects.csv"))
    assert len(reads_ahead) == 1 and reads_ahead[0] is not None and reads_ahead[0].pid == 0


def test_progress_is_reported_the_same(
    engine: Engine, db_url: str, tmp_path: Path, small_batches: None, reads_ahead: list[Any]
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    calls: list[list[int]] = [[], []]
    for ahead, seen in zip((False, True), calls, strict=True):
        Importer(engine, settings_for(workspace, read_ahead=ahead), seen.append).run(paths)
    assert calls[0] == calls[1] and calls[0]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_the_importer_failing_while_the_reader_waits(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
    error: type[BaseException],
) -> None:
    """The writing stage fails (a database gone, Ctrl-C) while the reading process waits on
    a full pipe: it is stopped and reaped, nothing is stored, no rejects file is left."""
    monkeypatch.setattr(read_ahead, "_BUFFER", 1 << 12)
    monkeypatch.setattr(read_ahead, "_QUEUED", 2)
    rows = [CLEAN_BATCHES[0], *([f"X{i}", "14/08/2026", "group", "4", "", ""] for i in range(6000))]
    workspace = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(tmp_path / "activities.csv", rows)
    flushed = 0

    def progress(written: int) -> None:
        nonlocal flushed
        flushed += 1
        if flushed == 2:
            time.sleep(0.5)  # the reader fills the queue and the pipe
            raise error("the database went away")

    settings_ = settings_for(workspace, read_ahead=True, skip_invalid=True)
    with pytest.raises(error):
        Importer(engine, settings_, progress).run([path])
    assert reads_ahead[0] is not None and reads_ahead[0].pid == 0
    assert _activities(engine) == 0
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.rejects.csv"))


class _Stage:
    """A reading stage that does what `act` says, in the reading process."""

    def __init__(self, act: Any) -> None:
        self.act = act

    def actions_of(self, path: Path) -> Any:
        yield from self.act()


def test_a_reader_killed_mid_write_is_an_error_naming_the_signal() -> None:
    """Killed (the out-of-memory killer) while writing an action: the importer gets a cut
    pickle, and says the reading process stopped, with its signal."""

    def act() -> Any:
        yield Notice("x" * (4 << 20))  # far more than the pipe holds
        time.sleep(0.3)  # the writing thread is part way through it
        os.kill(os.getpid(), signal.SIGKILL)
        yield FileDone()

    process = read_ahead.ReadAhead.start(_Stage(act), [Path("any")])  # type: ignore[arg-type]
    assert process is not None
    try:
        time.sleep(0.6)
        with pytest.raises(RuntimeError, match=f"stopped \\(signal {int(signal.SIGKILL)}\\)"):
            list(process.file(0))
    finally:
        process.close()
    assert process.pid == 0


def test_an_error_that_cannot_travel_still_says_what_it_was() -> None:
    """An exception whose class cannot be rebuilt from its pickle comes as its text."""

    class Picky(Exception):
        def __init__(self, field: str, message: str) -> None:
            super().__init__(f"{field}: {message}")

    def act() -> Any:
        raise Picky("date", "a problem of its own")
        yield FileDone()  # a generator

    process = read_ahead.ReadAhead.start(_Stage(act), [Path("any")])  # type: ignore[arg-type]
    assert process is not None
    try:
        with pytest.raises(RuntimeError, match="date: a problem of its own"):
            list(process.file(0))
    finally:
        process.close()


class _Actions:
    """Stands in for the reading stage: numbered actions, as fast as they are asked for."""

    def actions_of(self, path: Path) -> Iterator[int]:
        yield from range(200)


class _SlowPipe(io.BytesIO):
    """A pipe an importer that is behind reads from: each write waits."""

    def write(self, data: Any) -> int:
        time.sleep(0.002)
        return super().write(data)


def test_the_reader_takes_work_off_an_importer_that_is_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Actions are prepared (the importer's work done by the reader) only once enough of
    them wait to be written: never the first, and then, with a pipe that is slow to empty,
    most of them."""
    monkeypatch.setattr(read_ahead, "_BEHIND", BEHIND)
    prepared: list[int] = []
    out = _SlowPipe()
    prepare = cast(Callable[[object], None], prepared.append)
    read_ahead._send_all(cast(ReadingStage, _Actions()), [Path("x")], out, prepare)
    sent = []
    out.seek(0)
    with contextlib.suppress(EOFError):
        while True:
            sent.append(pickle.load(out)[1])
    assert sent == list(range(200))  # every action, in order
    assert 0 not in prepared and len(prepared) > 100
    assert prepared == sorted(prepared)


def test_a_reader_whose_importer_dies_stops() -> None:
    """An importer killed outright (no clean-up): its reading process is killed with it, not
    left reading on until it next has something to send."""
    script = """
import os, sys, time
from pathlib import Path
from peerreport.intake import read_ahead
from peerreport.intake.reading import Notice

class Stage:
    def actions_of(self, path):
        time.sleep(60)  # reading a long file, with nothing to send yet
        yield Notice("read")

process = read_ahead.ReadAhead.start(Stage(), [Path("any")])
print(process.pid, flush=True)
os.kill(os.getpid(), 9)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """Is process `pid` running (not gone, nor a zombie waiting to be reaped by init)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
