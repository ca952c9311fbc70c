"""Importers never crash: any file gives a report or a plain InputFileError.

Whatever the columns (known, readable, unknown, forbidden, repeated, blank or
any text at all) and whatever the cells, an import returns a report whose
problems name their file, never shows a forbidden column's cells when it
drops them, and writes a rejects file with the input's own columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine

from peerreport.errors import InputFileError
from peerreport.intake import ImportSettings, import_files
from peerreport.store.database import open_engine, upgrade

HEADINGS = [
    "activity_id",
    "date",
    "kind",
    "attendance",
    "first_time",
    "notes",
    "member_led",
    "start_time",
    "Client name",
    "colour",
    "",
    "Activity ID",
    "Kind of activity",
    "Duration (minutes)",
    "Session date",
    "DOB",
    "problem",
    "Comments",
    "kim@example.org",
]
headings = st.one_of(st.sampled_from(HEADINGS), st.text(max_size=12))

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "group",
            "Drop in",
            "14/08/2026",
            "2026-02-30",
            "31/31/2031",
            "-1",
            "1e9",
            "yes",
            "maybe",
            "ZAA0067",
            "18:30",
            "25:99",
            "NaN",
            "=1+1",
            "Kōrero Māori",
            "\x00",
            "1,200",
            "9.5",
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/fuzz.db")
        upgrade(engine)
        yield engine
        engine.dispose()


DROPPED_SECRET = "Zqxj-never-shown"  # the only value ever put under a dropped heading


def _import(engine: Engine, path: Path, skip_invalid: bool, drop_forbidden: bool = False) -> None:
    settings_ = ImportSettings(
        org="F" + uuid.uuid4().hex[:8],
        org_name="Fuzz",
        token_secret=b"k" * 32,
        skip_invalid=skip_invalid,
        drop_forbidden=drop_forbidden,
    )
    try:
        report = import_files(engine, [path], settings_)
    except InputFileError as exc:
        assert str(exc)  # a plain message, never empty
        return
    for problem in (p for f in report.files for p in f.problems):
        assert problem.message and problem.location.file
    assert all(isinstance(n, str) and n for f in report.files for n in f.notices)
    shown = json.dumps(report.to_dict(), ensure_ascii=False)
    for rejects in report.files[0].rejects_paths:
        shown += rejects.read_text("utf-8-sig")
        header = next(csv.reader(io.StringIO(rejects.read_text("utf-8-sig"))))
        assert header[-1] == "problem" or "problem" in header
    assert DROPPED_SECRET not in shown


def _cell(heading: str, value: str) -> str:
    """Forbidden columns hold only the secret, so a leak of their cells is visible."""
    return DROPPED_SECRET if heading in ("Client name", "DOB") else value


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(headings, min_size=1, max_size=8),
    body=st.lists(st.lists(cells, max_size=9), max_size=6),
    skip_invalid=st.booleans(),
    drop_forbidden=st.booleans(),
)
def test_random_csv_rows_never_crash(
    shared_engine: Engine,
    header: list[str],
    body: list[list[str]],
    skip_invalid: bool,
    drop_forbidden: bool,
) -> None:
    rows = [[_cell(header[i] if i < len(header) else "", v) for i, v in enumerate(r)] for r in body]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activities.csv"
        path.write_text(buffer.getvalue(), "utf-8")
        _import(shared_engine, path, skip_invalid, drop_forbidden)


xlsx_cells = st.one_of(
    cells,
    st.none(),
    st.integers(-5, 50_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
    st.times(),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sheets=st.lists(
        st.tuples(
            st.sampled_from(["Activities", "Breakdowns", "Workforce", "Sheet9", "Log"]),
            st.lists(headings, min_size=1, max_size=7),
            st.lists(st.tuples(st.integers(0, 40), st.lists(xlsx_cells, max_size=8)), max_size=5),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda sheet: sheet[0],
    ),
    skip_invalid=st.booleans(),
    drop_forbidden=st.booleans(),
)
def test_random_workbooks_never_crash(
    shared_engine: Engine,
    sheets: list[tuple[str, list[str], list[tuple[int, list[object]]]]],
    skip_invalid: bool,
    drop_forbidden: bool,
) -> None:
    """Any sheets, any headings, rows at any distance below each other (gaps, strays)."""
    with tempfile.TemporaryDirectory() as folder:
        path = save_workbook(sheets, Path(folder) / "log.xlsx")
        _import(shared_engine, path, skip_invalid, drop_forbidden)


def save_workbook(
    sheets: list[tuple[str, list[str], list[tuple[int, list[object]]]]], path: Path
) -> Path:
    """Write generated sheets (title, headings, rows each with its gap above) as a workbook."""
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        for column, heading in enumerate(header, start=1):
            sheet.cell(row=1, column=column, value=_excel_text(heading))
        number = 1
        for gap, values in rows:
            number += 1 + gap
            for column, value in enumerate(values, start=1):
                heading = header[column - 1] if column <= len(header) else ""
                if isinstance(value, str):
                    value = _excel_text(_cell(heading, value))
                sheet.cell(row=number, column=column, value=value)
    book.save(path)
    return path


def _excel_text(text: str) -> str:
    """Text as a cell can hold it: no control characters, and never a formula."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return "'" + cleaned if cleaned.startswith("=") else cleaned


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300))
def test_random_bytes_never_crash(shared_engine: Engine, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("activities.csv", "activities.jsonl", "activities.xlsx"):
            path = Path(folder) / name
            path.write_bytes(content)
            _import(shared_engine, path, skip_invalid=False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.dictionaries(headings, json_values, max_size=6), max_size=5),
    drop_forbidden=st.booleans(),
)
def test_random_json_lines_never_crash(
    shared_engine: Engine, lines: list[dict[str, object]], drop_forbidden: bool
) -> None:
    lines = [
        {k: _cell(k, v) if isinstance(v, str) else v for k, v in line.items()} for line in lines
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activities.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines), "utf-8")
        _import(shared_engine, path, skip_invalid=True, drop_forbidden=drop_forbidden)
