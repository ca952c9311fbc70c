"""The rejects file: the input's own columns plus `problem`, safe to open, imports as it is."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select

from peerreport.intake.values import neutralise_formula, restore_formula
from peerreport.store.schema import activity_breakdown
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv

HEADINGS = ["Activity ID", "Date", "Start time", "Kind", "Attendance", "Topic", "Notes", "Colour"]


def _book(path: Path, rows: list[list[Any]], breakdowns: list[list[Any]] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    if breakdowns is not None:
        other = book.create_sheet("Breakdowns")
        other.append(["Activity ID", "Breakdown by", "Category", "Count"])
        for row in breakdowns:
            other.append(row)
    book.save(path)
    return path


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text("utf-8-sig").splitlines()))


AUG = dt.date(2026, 8, 14)
EVENING = dt.time(18, 30)
ROWS: list[list[Any]] = [
    ["A1", AUG, EVENING, "group", 9, "Sleep", None, "blue"],
    ["A2", "31/02/2026", EVENING, "group", 4, " =1+1", "@SUM(A1)", "+cmd|' /C calc'!A0"],
    ["A3", AUG, None, "gorup", 5, '\u00a0=HYPERLINK("x")', "\uff1d1+2", "-2+3"],
    ["A4", AUG, EVENING, "group", -2, "Follow up ZAA0067", "ring 021 555 0123", "kim@example.org"],
]


def test_rejects_have_the_inputs_own_columns_masked_and_inert_cell_by_cell(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = _book(tmp_path / "log.xlsx", ROWS)

    report = run_import(engine, ws, path, skip_invalid=True)

    assert set(stored_activities(engine, ws.provider_code)) == {"A1"}
    assert report.files[0].rejects_paths == [tmp_path / "log.xlsx.rejects.csv"]
    got = _read(tmp_path / "log.xlsx.rejects.csv")
    assert got[0] == [*HEADINGS, "problem"]
    assert [row[:8] for row in got[1:]] == [
        ["A2", "31/02/2026", "18:30", "group", "4", "' =1+1", "'@SUM(A1)", "'+cmd|' /C calc'!A0"],
        ["A3", "2026-08-14", "", "gorup", "5", "'\u00a0=HYPERLINK(\"x\")", "'\uff1d1+2", "'-2+3"],
        ["A4", "2026-08-14", "18:30", "group", "-2", "Follow up Z******", "ring 0** *** ****",
         "k**@*******.***"],
    ]  # fmt: skip
    problems = [row[8] for row in got[1:]]
    assert problems[0] == ('column "Date": "31/02/2026" is not a date: February 2026 has no day 31')
    assert problems[1].startswith('column "Kind": "gorup" is not on the kind of activity list')
    assert problems[2].startswith('column "Topic": looks like an NZ NHI number (Z******)')
    assert 'column "Notes": looks like a' in problems[2]
    assert 'column "Attendance": "-2" is too small' in problems[2]
    assert len(got) == 4 and all(len(row) == 9 for row in got)
    text = (tmp_path / "log.xlsx.rejects.csv").read_text("utf-8-sig")
    assert "ZAA0067" not in text and "555 0123" not in text and "kim@" not in text
    assert len(messages(report)) == report.problem_count == 5


def test_a_corrected_rejects_file_imports_as_it_is(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = _book(tmp_path / "log.xlsx", ROWS)
    rejects = run_import(engine, ws, path, skip_invalid=True).files[0].rejects_path
    assert rejects is not None
    rows = _read(rejects)
    rows[1][1] = "28/02/2026"
    rows[2][3] = "group"
    rows[3][4:7] = ["2", "Follow up next week", "ring back"]
    write_csv(rejects, rows)

    again = run_import(engine, ws, rejects)

    assert again.stored, messages(again)
    assert again.counts.added == 3
    # The coordinator's own unknown column is named; `problem` is recognised and ignored.
    assert again.files[0].notices == [
        'log.xlsx.rejects.csv: peerreport does not know the column "Colour", so it is not stored'
    ]
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A2"]["date"] == dt.date(2026, 2, 28)
    assert stored["A2"]["start_time"] == EVENING
    assert stored["A2"]["topic"] == "=1+1"  # the apostrophe came off again
    assert stored["A2"]["notes"] == "@SUM(A1)"
    assert stored["A3"]["topic"] == '=HYPERLINK("x")'
    assert stored["A3"]["notes"] == "\uff1d1+2"
    assert stored["A4"]["attendance"] == 2


def test_a_rejects_file_rejected_again_keeps_one_problem_column(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = _book(tmp_path / "log.xlsx", ROWS[:2])
    rejects = run_import(engine, ws, path, skip_invalid=True).files[0].rejects_path
    assert rejects is not None
    rows = _read(rejects)
    rows[1][1] = "30/02/2026"  # still wrong
    write_csv(rejects, rows)
    second = run_import(engine, ws, rejects, skip_invalid=True)
    again = _read(tmp_path / "log.xlsx.rejects.csv.rejects.csv")
    assert second.counts.rejected == 1
    assert again[0] == [*HEADINGS, "problem"]
    assert again[1][8] == 'column "Date": "30/02/2026" is not a date: February 2026 has no day 30'


def test_each_sheet_with_rejects_gets_its_own_file(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = _book(
        tmp_path / "log.xlsx",
        ROWS[:2],
        breakdowns=[
            ["A1", "Ethnicity (level 1)", "Māori", 4],
            ["A2", "Ethnicity (level 1)", "Māori", 2],
            ["A1", "Gender", "Klingon", 1],
        ],
    )
    report = run_import(engine, ws, path, skip_invalid=True)
    assert report.files[0].rejects_paths == [
        tmp_path / "log.xlsx.Activities.rejects.csv",
        tmp_path / "log.xlsx.Breakdowns.rejects.csv",
    ]
    breakdowns = _read(tmp_path / "log.xlsx.Breakdowns.rejects.csv")
    assert breakdowns[0] == ["Activity ID", "Breakdown by", "Category", "Count", "problem"]
    assert breakdowns[1][:4] == ["A2", "Ethnicity (level 1)", "Māori", "2"]
    assert breakdowns[1][4] == (
        'not stored, because its activity "A2" was rejected: import this row again with the '
        "corrected activity"
    )
    assert breakdowns[2][:4] == ["A1", "Gender", "Klingon", "1"]
    assert breakdowns[2][4] == (
        'column "Category": "Klingon" is not on the gender list: choose "Female", "Male", '
        '"Another gender" or "Not stated"'
    )
    with engine.connect() as conn:
        assert len(conn.execute(select(activity_breakdown)).all()) == 1
    assert 'log.xlsx, sheet "Breakdowns": row 3 is not stored, because its activity was ' in (
        " ".join(report.files[0].notices)
    )


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),  # a plain number is not a formula
        ("-2", "-2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1", "'  =1"),
        ("\u00a0=1", "'\u00a0=1"),
        ("\u3000+A1", "'\u3000+A1"),
        ("\uff1d1", "'\uff1d1"),
        ("\uff20x", "'\uff20x"),
        ("\tx", "'\tx"),
        ("'=1", "''=1"),
        ("Sleep", "Sleep"),
        ("", ""),
    ],
)
def test_formulas_are_made_inert_and_read_back(text: str, inert: str) -> None:
    assert neutralise_formula(text) == inert
    assert restore_formula(inert) == text
