"""Importing with column batches says and stores exactly what importing row by row does:
every finding (code, message, hint, location), notice and count, the rejects files, and
the stored versions, on the messy sample workbook, messy CSV and JSON Lines files and
the clean samples."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from peerreport.intake import columnar
from peerreport.intake.importer import NOTES_NOT_STORED, Importer
from peerreport.intake.limits import InputLimits
from peerreport.intake.reports import ImportReport
from peerreport.store.database import open_engine
from peerreport.store.records import RecordWriter
from peerreport.store.schema import RECORD_TABLES, import_run, member_token
from peerreport.workspace import Workspace
from tests.conftest import empty_database
from tests.helpers import make_workspace, settings_for, write_csv
from tests.migrated import migrate

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MESSY_WORKBOOK = SAMPLES / "messy-activity-log.xlsx"

ACTIVITIES = [
    [
        "Activity ID",
        "Date",
        "Start time",
        "Kind",
        "Attendance",
        "First time",
        "Notes",
        "Calls missed",
    ],
    ["A1", "04/05/2026", "18:30", "group", "9", "2", "Moved rooms", ""],
    ["A2", "14/08/2026", "6:30 pm", "Peer support group session", "3", "", "", ""],
    ["A3", "31/02/2026", "18:30", "group", "9", "", "", ""],  # no such date
    ["A4", "14/08/2026", "18:30", "gorup", "9", "", "", ""],  # a misspelt kind
    ["A5", "14/08/2026", "18:30", "group", "-2", "", "", ""],  # too small
    ["A6", "14/08/2026", "18:30", "group", "3", "5", "", ""],  # first time > attendance
    ["A7", "14/08/2026", "18:30", "group", "3", "", "", "2"],  # calls missed, not a call
    ["A8", "14/08/2026", "18:30", "warm line", "1", "", "", "2"],
    ["A9", "14/08/2026", "18:30", "group", "3", "", "Call ZAA0067 back", ""],  # an NHI
    ["A1", "14/08/2026", "18:30", "group", "4", "", "", ""],  # a duplicate id
    ["", "", "", "", "", "", "a stray note", ""],
    ["A10", "05/04/2026", "25:00", "group", "3", "", "", ""],  # not a time
    ["A11", "08/14/2026", "18:30", "group", "3", "", "", ""],  # month first: tells
    ["A12", "04/05/2026", "18:30", "group", "3", "", "", ""],  # now ambiguous
    ["A13", "2026-05-04", "", "drop in", "12", "", "Quiet day", ""],
    ["A14", "14/08/2026", "18:30", "group", "3", "", "", "", "no heading"],
    ["A15", "14/08/2026", "18:30", "group", "a\x00b", "", "", ""],  # a NUL
]
BREAKDOWNS = [
    ["activity_id", "dimension", "category", "count"],
    ["A1", "ethnicity", "Māori", "3"],
    ["A2", "gender", "not stated", "1"],
    ["A3", "gender", "female", "2"],  # its activity was rejected: held back
    ["A13", "age band", "25 to 44", "4"],
    ["A13", "age band", "25 to 44", "4"],  # a duplicate
    ["A13", "ethnicity", "martian", "1"],  # not in the dimension
    ["NOPE", "gender", "female", "1"],  # no such activity
    ["A2", "gender", "female", "ZAA0067"],
]


def _jsonl(path: Path, rows: list[list[str]]) -> Path:
    header, *body = rows
    lines = [json.dumps(dict(zip(header, r, strict=False))) for r in body]
    path.write_text("\n".join([*lines, "[1]", "{oops"]) + "\n", "utf-8")
    return path


def _import(
    engine: Engine, workspace: Workspace, paths: list[Path], slow: bool, **options: Any
) -> tuple[ImportReport, dict[Path, str]]:
    report = Importer(engine, settings_for(workspace, **options), slow_path=slow).run(paths)
    rejects = {p: p.read_text("utf-8-sig") for f in report.files for p in f.rejects_paths}
    for path in rejects:
        path.unlink()  # the other import writes its own
    return report, rejects


def _stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored version, token and import, as text (times of day left out)."""
    shown: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in [*RECORD_TABLES.values(), member_token, import_run]:
            columns = [c for c in table.c if c.name not in ("finished_at", "started_at")]
            rows = conn.execute(select(*columns)).all()
            shown[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return shown


@contextmanager
def _another_database(backend: str, folder: Path) -> Iterator[Engine]:
    folder.mkdir()
    with empty_database(backend, folder) as url:
        migrate(url)
        engine = open_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _compare(
    engine: Engine,
    backend: str,
    db_url: str,
    root: Path,
    paths: list[Path],
    **options: Any,
) -> ImportReport:
    """Import row by row into one database, in column batches into another, and compare."""
    workspace = make_workspace(root / "ws", db_url)
    slow, slow_rejects = _import(engine, workspace, paths, True, **options)
    with _another_database(backend, root / "other") as other:
        fast, fast_rejects = _import(other, workspace, paths, False, **options)
        assert _stored(other) == _stored(engine)
    _same_reports((fast, fast_rejects), (slow, slow_rejects))
    return fast


def _same_reports(
    one: tuple[ImportReport, dict[Path, str]], other: tuple[ImportReport, dict[Path, str]]
) -> None:
    """Two imports' reports and rejects files (`_import`'s) say the same, to the letter."""
    assert one[0].to_dict() == other[0].to_dict()
    for one_file, other_file in zip(one[0].files, other[0].files, strict=True):
        # Every finding field by field: code, severity, message, hint, location, details.
        assert [p.to_dict() for p in one_file.problems] == [
            p.to_dict() for p in other_file.problems
        ]
        assert one_file.notices == other_file.notices
    assert one[1] == other[1]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 3 rows, so the rows on both sides of batches' ends are compared."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", 3)


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_the_messy_sample_workbook(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, skip_invalid: bool
) -> None:
    source = tmp_path / MESSY_WORKBOOK.name
    source.write_bytes(MESSY_WORKBOOK.read_bytes())
    report = _compare(engine, backend, db_url, tmp_path, [source], skip_invalid=skip_invalid)
    assert report.problem_count >= 6  # one per planted mistake


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("keep_notes", [False, True])
def test_messy_csv_files(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    skip_invalid: bool,
    keep_notes: bool,
) -> None:
    paths = [
        write_csv(tmp_path / "activities.csv", ACTIVITIES),
        write_csv(tmp_path / "activities-breakdowns.csv", BREAKDOWNS),
    ]
    report = _compare(
        engine, backend, db_url, tmp_path, paths, skip_invalid=skip_invalid, keep_notes=keep_notes
    )
    codes = {p.code for f in report.files for p in f.problems}
    assert {"IMP-021", "IMP-022", "IMP-030", "IMP-040", "IMP-041", "PRV-002"} <= codes
    assert {"IMP-055"} <= codes
    assert report.stored == skip_invalid


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_messy_json_lines(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    skip_invalid: bool,
) -> None:
    paths = [
        _jsonl(tmp_path / "activities.jsonl", ACTIVITIES),
        _jsonl(tmp_path / "breakdowns.jsonl", BREAKDOWNS),
    ]
    report = _compare(engine, backend, db_url, tmp_path, paths, skip_invalid=skip_invalid)
    assert {"IMP-023", "IMP-040", "PRV-002"} <= {p.code for f in report.files for p in f.problems}


def test_a_file_refused_part_way(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, small_batches: None
) -> None:
    """The rows before a cell past the limits are read (and their problems kept) first."""
    rows = [*ACTIVITIES[:8], ["A20", "14/08/2026", "", "group", "3", "", "x" * 80, ""]]
    path = write_csv(tmp_path / "activities.csv", [*rows, *ACTIVITIES[8:]])
    limits = InputLimits(max_cell_chars=60)
    report = _compare(engine, backend, db_url, tmp_path, [path], limits=limits)
    codes = [p.code for p in report.files[0].problems]
    assert codes[-1] == "IMP-054" and "IMP-021" in codes and report.files[0].refused


def test_the_sample_organisations_year(
    engine: Engine, backend: str, db_url: str, tmp_path: Path
) -> None:
    """Thousands of valid rows of every record type store the same versions either way."""
    paths = [
        SAMPLES / "kowhai-2025-26.csv",
        SAMPLES / "kowhai-2025-26-breakdowns.csv",
        SAMPLES / "kowhai-2025-26-workforce.csv",
        SAMPLES / "kowhai-2025-26-feedback.csv",
    ]
    report = _compare(engine, backend, db_url, tmp_path, paths, keep_notes=False)
    assert report.stored and report.counts.added > 3000


def test_a_csv_without_ids_makes_the_same_ids(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, small_batches: None
) -> None:
    rows = [row[1:7] for row in ACTIVITIES if row[0].startswith("A") or row[0] == "Activity ID"]
    rows += [rows[1], rows[2], rows[1]]  # the same activity again: second and third
    path = write_csv(tmp_path / "activities.csv", rows)
    _compare(engine, backend, db_url, tmp_path, [path], skip_invalid=True)
    with path.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle))[0] == "Date"


# Batches of three rows whose cells are all valid, so each comes as one `AcceptedBatch`, and
# each trips one of the checks the importer makes of a whole batch, or of its rows later.
CLEAN_BATCHES = [
    ["activity_id", "date", "kind", "attendance", "notes", "member_tokens"],
    ["B1", "04/05/2026", "group", "4", "", ""],  # reads either way in a month-first file
    ["B2", "14/08/2026", "group", "5", "", "m1;m2"],
    ["B3", "15/08/2026", "drop in", "6", "Moved rooms", ""],  # a note, not kept
    ["B4", "16/08/2026", "group", "4", "", ""],
    ["B5", "17/08/2026", "group", "4", "", ""],
    ["B1", "18/08/2026", "group", "4", "", ""],  # stored: its first row was rejected
    ["B6", "19/08/2026", "group", "4", "", ""],
    ["B7", "20/08/2026", "group", "4", "", ""],
    ["B7", "21/08/2026", "group", "4", "", ""],  # twice in one batch
    ["B8", "22/08/2026", "group", "4", "", ""],
    ["B9", "08/23/2026", "group", "4", "", ""],  # month first: rejected, and the file tells
    ["B10", "23/08/2026", "group", "4", "", ""],
    ["B11", "24/08/2026", "group", "4", "", ""],
    ["B12", "05/06/2026", "group", "4", "", ""],  # reads either way: its batch is cut here
    ["B13", "25/08/2026", "group", "4", "", "m3"],
    ["B14", "26/08/2026", "group", "4", "", ""],
    ["B15", "27/08/2026", "group", "4", "", ""],
    ["B16", "28/08/2026", "group", "4", "", ""],
]
CLEAN_BREAKDOWNS = [
    ["activity_id", "dimension", "category", "count", "dimension2", "category2"],
    ["B1", "gender", "female", "2", "", ""],
    ["B2", "gender", "male", "1", "", ""],
    ["B3", "age band", "25 to 44", "1", "ethnicity", "Māori"],  # put in the stored order
    ["B9", "gender", "female", "1", "", ""],  # its activity was rejected: held back
    ["B2", "ethnicity", "maori", "1", "", ""],
    ["B4", "gender", "female", "1", "", ""],
    ["NOPE", "gender", "female", "1", "", ""],  # no such activity
    ["B5", "gender", "female", "1", "", ""],
    ["B6", "gender", "female", "1", "", ""],
    ["B13", "gender", "female", "1", "", ""],
    ["B14", "gender", "female", "1", "", ""],
    ["B15", "gender", "female", "1", "", ""],
    ["B1", "gender", "female", "2", "", ""],  # a count of an earlier batch, again
    ["B16", "gender", "female", "1", "", ""],
    ["B16", "gender", "male", "1", "", ""],
]


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("every", [2, 4, 1000])
def test_whole_batches_say_and_store_what_rows_one_by_one_do(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    monkeypatch: pytest.MonkeyPatch,
    skip_invalid: bool,
    every: int,
) -> None:
    """Batches written a column at a time, and batches that must fall back to row by row (a
    record given again, in its batch or an earlier one; a breakdown of a rejected or
    missing activity; a date after the file told its order), against the row reader;
    written every `every` rows, so a batch is split where row by row writes."""
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", every)
    whole: list[int] = []
    write_columns = RecordWriter.write_columns

    def spy(self: RecordWriter, record_type: str, columns: Any, *args: Any) -> None:
        whole.append(len(columns["activity_id"]))
        write_columns(self, record_type, columns, *args)

    monkeypatch.setattr(RecordWriter, "write_columns", spy)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    report = _compare(
        engine, backend, db_url, tmp_path, paths, skip_invalid=skip_invalid, keep_notes=False
    )
    codes = [p.code for f in report.files for p in f.problems]
    assert codes.count("IMP-040") >= 2 and "IMP-041" in codes and "IMP-022" in codes
    assert report.counts.added == 14 + 11 and report.stored == skip_invalid
    assert any(NOTES_NOT_STORED in n for n in report.files[0].notices)
    # Written whole, in parts of at most `every` rows: activities B4, B5, B1; B11 (before the
    # cut); B14-B16; and breakdowns of B13-B15 at least (the batch of the missing activity
    # is taken row by row when it is written).
    assert sum(whole) >= 10 and max(whole) <= min(every, 3)
