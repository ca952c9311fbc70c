"""Empty rows are one line per sheet; a stray cell far below the data is one finding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine

from tests.helpers import make_workspace, messages, run_import, stored_activities

HEADINGS = ["Activity ID", "Date", "Kind", "Attendance", "Programme", "Notes"]


def _sheet(path: Path, cells: dict[int, list[Any]], formatted_to: int = 0) -> Path:
    """A workbook whose Activities sheet has `cells` by row number (row 1 the headings)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    for number, row in {1: HEADINGS, **cells}.items():
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    for number in range(2, formatted_to + 1):  # formatting stretches the used range
        sheet.cell(row=number, column=2).number_format = "DD/MM/YYYY"
    book.save(path)
    return path


def _activity(n: int) -> list[Any]:
    return [f"A{n}", dt.date(2026, 8, 1 + n % 28), "group", 5, "Peer groups", None]


def test_a_lone_stray_cell_far_below_is_one_finding_and_one_line(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    cells = {n: _activity(n) for n in range(2, 45)}
    cells[301] = [None, None, None, None, None, "checked 30 Sept"]
    path = _sheet(tmp_path / "log.xlsx", cells, formatted_to=5000)

    report = run_import(engine, ws, path)

    assert not report.stored
    assert messages(report) == [
        'log.xlsx, sheet "Activities", cell F301 (column "Notes"): is the only filled cell in '
        'row 301, which has no "Activity ID", "Date" or "Kind of activity": delete it if it is '
        "stray, or complete the row"
    ]
    assert report.problem_count == 1
    assert report.files[0].problems[0].code == "IMP-030"
    assert report.files[0].notices == [
        'log.xlsx, sheet "Activities": rows 45 to 300 are empty: skipped'
    ]  # and nothing about rows 302 to 5000, formatted but empty below the data


def test_the_stray_cell_is_rejected_and_the_rest_stored_with_skip_invalid(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    cells = {n: _activity(n) for n in range(2, 6)}
    cells[90] = [None, None, None, 14, None, "total"]
    path = _sheet(tmp_path / "log.xlsx", cells)
    report = run_import(engine, ws, path, skip_invalid=True)
    assert report.stored and report.counts.added == 4 and report.counts.rejected == 1
    assert len(stored_activities(engine, ws.provider_code)) == 4
    assert messages(report) == [
        'log.xlsx, sheet "Activities", row 90: this row has values only in "Attendance" and '
        '"Notes" (D90 and F90), and no "Activity ID", "Date" or "Kind of activity": delete '
        "them if they are stray, or complete the row"
    ]


def test_several_gaps_are_still_one_line(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [2, 3, 5, 9, 10, 20, 22, 24, 26, 28, 30]  # gaps: 4, 6-8, 11-19, 21, 23, 25, 27, 29
    path = _sheet(tmp_path / "log.xlsx", {n: _activity(n) for n in rows}, formatted_to=400)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.files[0].notices == [
        'log.xlsx, sheet "Activities": rows 4, 6 to 8, 11 to 19, 21, 23 and 3 more are empty: '
        "skipped"
    ]


def test_blank_lines_in_a_csv_are_summarised_too(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.csv"
    lines = ["activity_id,date,kind,attendance", "A1,14/08/2026,group,3", ",,,", "", " , ,,"]
    lines += ["A2,15/08/2026,group,4", ",,,", ",,,"]  # Excel's trailing empty rows: silent
    path.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.counts.added == 2
    assert report.files[0].notices == ["activities.csv: rows 3 to 5 are empty: skipped"]


def test_a_stray_identifier_is_still_reported_and_masked(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    cells = {2: _activity(2), 60: [None, None, None, None, None, "ZAA0067"]}
    report = run_import(engine, ws, _sheet(tmp_path / "log.xlsx", cells))
    assert [p.code for p in report.files[0].problems] == ["PRV-002", "IMP-030"]
    assert "ZAA0067" not in " ".join(messages(report))
