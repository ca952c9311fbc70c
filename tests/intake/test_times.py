"""Start times from every format: real time cells, 14:30, 2:30 pm, 9am; kept to the minute."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from peerreport.intake.values import CellValueError, parse_time
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("14:30", dt.time(14, 30)),
        ("2:30 pm", dt.time(14, 30)),
        ("2.30PM", dt.time(14, 30)),
        ("9am", dt.time(9)),
        ("9 a.m.", dt.time(9)),
        ("12 pm", dt.time(12)),
        ("12am", dt.time(0)),
        ("07:05", dt.time(7, 5)),
    ],
)
def test_times_people_write(text: str, want: dt.time) -> None:
    assert parse_time(text) == want


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9", '"9" is not a time; write times as HH:MM'),
        ("25:00", '"25:00" is not a time of day'),
        ("13pm", "13 is not an hour on a 12-hour clock"),
        ("half past two", "is not a time"),
    ],
)
def test_what_is_not_a_time(text: str, words: str) -> None:
    with pytest.raises(CellValueError, match=words):
        parse_time(text)


HEADER = ["activity_id", "date", "kind", "attendance", "start_time"]


def test_csv_times_are_read_and_kept_to_the_minute(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [
        ["C1", "14/08/2026", "warm_line_call", "1", "14:30"],
        ["C2", "14/08/2026", "warm_line_call", "1", "2:30 pm"],
        ["C3", "14/08/2026", "warm_line_call", "1", "9am"],
        ["C4", "14/08/2026", "warm_line_call", "1", "21:15:40"],
        ["C5", "14/08/2026", "warm_line_call", "1", ""],
    ]
    report = run_import(engine, ws, write_csv(tmp_path / "activities.csv", [HEADER, *rows]))
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert {k: v["start_time"] for k, v in stored.items()} == {
        "C1": dt.time(14, 30),
        "C2": dt.time(14, 30),
        "C3": dt.time(9),
        "C4": dt.time(21, 15),
        "C5": None,
    }


def test_a_bad_time_names_file_row_and_column(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["C1", "14/08/2026", "warm_line_call", "1", "5 o'clock"]]
    report = run_import(engine, ws, write_csv(tmp_path / "calls.csv", [HEADER, *rows]))
    assert messages(report) == [
        'calls.csv, row 2, column "start_time": "5 o\'clock" is not a time; write times as '
        "HH:MM (e.g. 18:30)"
    ]
    assert not report.stored


def test_xlsx_time_cells_and_text(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Activity ID", "Date", "Kind", "Attendance", "Start time"])
    sheet.append(["X1", dt.date(2026, 8, 14), "warm line call", 1, dt.time(17, 45)])
    sheet.append(["X2", dt.date(2026, 8, 14), "warm line call", 1, "6:30 pm"])
    sheet.append(["X3", dt.date(2026, 8, 14), "warm line call", 1, None])
    sheet.append(["X4", dt.date(2026, 8, 14), "warm line call", 1, "later"])
    path = tmp_path / "calls.xlsx"
    book.save(path)
    report = run_import(engine, ws, path)
    assert messages(report) == [
        'calls.xlsx, sheet "Activities", cell E5 (column "Start time"): "later" is not a '
        "time; write times as HH:MM (e.g. 18:30)"
    ]
    sheet.delete_rows(5)
    book.save(path)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert [stored[k]["start_time"] for k in ("X1", "X2", "X3")] == [
        dt.time(17, 45),
        dt.time(18, 30),
        None,
    ]


def test_jsonl_times(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.jsonl"
    lines = [
        {
            "activity_id": "J1",
            "date": "2026-08-14",
            "kind": "warm_line_call",
            "attendance": 1,
            "start_time": "08:10",
        },
        {
            "activity_id": "J2",
            "date": "2026-08-14",
            "kind": "warm_line_call",
            "attendance": 1,
            "start_time": "11pm",
        },
        {
            "activity_id": "J3",
            "date": "2026-08-14",
            "kind": "warm_line_call",
            "attendance": 1,
            "start_time": 1830,
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    found = messages(run_import(engine, ws, path))
    assert len(found) == 1
    assert found[0].startswith('activities.jsonl, row 3, column "start_time": "1830" is not a time')
    path.write_text("\n".join(json.dumps(x) for x in lines[:2]) + "\n", "utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["J1"]["start_time"] == dt.time(8, 10)
    assert stored["J2"]["start_time"] == dt.time(23)
