"""Intake of each format: CSV encodings, XLSX dates and layout, JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import Engine

from tests.helpers import (
    ACTIVITY_HEADER,
    make_workspace,
    messages,
    run_import,
    stored_activities,
    write_csv,
)


def test_utf8_csv_keeps_macrons(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "14/08/2026", "group", "9", "Rōpū kōrero Māori", "Hui at the whare"],
        ],
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["programme"] == "Rōpū kōrero Māori"
    assert stored["A1"]["notes"] == "Hui at the whare"
    assert stored["A1"]["date"] == dt.date(2026, 8, 14)


def test_utf8_csv_with_bom(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "2026-08-14", "drop in", "12", "Whānau ora", ""],
        ],
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["kind"] == "drop_in"
    assert stored["A1"]["programme"] == "Whānau ora"


def test_windows_1252_csv_from_older_excel(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "01/09/2026", "education", "20", "Café talk – ‘wellbeing’", ""],
        ],
        encoding="cp1252",
    )
    with __import__("pytest").raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert stored_activities(engine, ws.provider_code)["A1"]["programme"] == (
        "Café talk – ‘wellbeing’"
    )
    assert any("Windows-1252" in n for n in report.files[0].notices)


def test_stray_windows_1252_line_does_not_garble_macrons(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """A UTF-8 file with one line pasted from an old program keeps its macrons everywhere."""
    ws = make_workspace(tmp_path / "ws", db_url)
    header = ",".join(ACTIVITY_HEADER).encode() + b"\r\n"
    utf8_line = "A1,14/08/2026,group,9,Kōrero Māori,\r\n".encode()
    cp1252_line = "A2,15/08/2026,group,7,Café ‘group’,\r\n".encode("cp1252")
    path = tmp_path / "activities.csv"
    path.write_bytes(header + utf8_line + cp1252_line)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["programme"] == "Kōrero Māori"
    assert stored["A2"]["programme"] == "Café ‘group’"


def test_semicolon_delimited_csv(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.csv"
    path.write_text("Activity ID;Date;Kind;Attendance\nA1;14/08/2026;Group session;5\n", "utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert stored_activities(engine, ws.provider_code)["A1"]["kind"] == "group"


def _workbook(
    path: Path,
    rows: list[list[object]],
    title: str = "Activities",
    title_row: str | None = None,
    date_format: str | None = None,
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    if title_row:
        sheet.append([title_row])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    for row in rows:
        sheet.append(row)
    if date_format:
        for cell in sheet["B"]:
            if isinstance(cell.value, dt.date | int) and not isinstance(cell.value, bool):
                cell.number_format = date_format
    guidance = workbook.create_sheet("How to fill this in")
    guidance.append(["Put one activity on each row."])
    workbook.save(path)
    return path


def test_xlsx_real_and_serial_dates(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    serial = (dt.date(2026, 8, 14) - dt.date(1899, 12, 30)).days  # 46248
    path = _workbook(
        tmp_path / "log.xlsx",
        [
            ["Activity ID", "Date", "Kind", "Attendance"],
            ["A1", dt.datetime(2026, 8, 13), "Group", 9],
            ["A2", serial, "drop-in", 14.0],
            ["A3", "15/08/2026", "Warm line", 1],
            [None, None, None, None],
            [None, None, None, None],
        ],
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["date"] == dt.date(2026, 8, 13)
    assert stored["A2"]["date"] == dt.date(2026, 8, 14)
    assert stored["A2"]["attendance"] == 14
    assert stored["A3"]["kind"] == "warm_line_call"
    assert report.files[0].counts.added == 3
    assert not any("empty row" in n for n in report.files[0].notices)  # trailing blanks: silent


def test_xlsx_title_row_above_headings_and_blank_row_between(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = _workbook(
        tmp_path / "log.xlsx",
        [
            ["activity_id", "date", "kind", "attendance"],
            ["A1", dt.date(2026, 8, 13), "group", 9],
            [None, None, None, None],
            ["A2", dt.date(2026, 8, 14), "group", 8],
        ],
        title_row="Activity log: July-September 2026",
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert set(stored_activities(engine, ws.provider_code)) == {"A1", "A2"}
    notices = report.files[0].notices
    assert any("row 1" in n and "above the headings" in n for n in notices)
    assert 'log.xlsx, sheet "Activities": row 4 is empty: skipped' in notices


def test_xlsx_sheets_by_name_breakdowns_before_activities(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    workbook = Workbook()
    breakdowns = workbook.active
    assert breakdowns is not None
    breakdowns.title = "Breakdowns"
    breakdowns.append(["activity_id", "dimension", "category", "count"])
    breakdowns.append(["A1", "ethnicity", "Māori", 4])
    breakdowns.append(["A1", "ethnicity", "Pākehā", 5])
    activities = workbook.create_sheet("Activities")
    activities.append(["activity_id", "date", "kind", "attendance"])
    activities.append(["A1", dt.date(2026, 8, 13), "group", 9])
    path = tmp_path / "log.xlsx"
    workbook.save(path)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.counts.added == 3


def test_jsonl(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.jsonl"
    lines = [
        {
            "activity_id": "A1",
            "date": "2026-08-14",
            "kind": "group",
            "attendance": 9,
            "member_led": True,
            "programme": "Tāmaki rōpū",
        },
        {"activity_id": "A2", "date": "15/08/2026", "kind": "outreach", "attendance": 2},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", "utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["member_led"] is True
    assert stored["A1"]["programme"] == "Tāmaki rōpū"
    assert stored["A2"]["date"] == dt.date(2026, 8, 15)


def test_jsonl_bad_line_names_the_line(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.jsonl"
    path.write_text(
        '{"activity_id": "A1", "date": "2026-08-14", "kind": "group", '
        '"attendance": 9}\n{not json\n[1,2]\n',
        "utf-8",
    )
    report = run_import(engine, ws, path)
    assert not report.stored
    found = messages(report)
    assert any(m.startswith("activities.jsonl, row 2") and "not valid JSON" in m for m in found)
    assert any(m.startswith("activities.jsonl, row 3") and "JSON object" in m for m in found)
    assert stored_activities(engine, ws.provider_code) == {}


def test_jsonl_not_named_after_its_records(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"record_type": "activities", "activity_id": "A1", "date": "2026-08-14", '
        '"kind": "group", "attendance": 9}\n',
        "utf-8",
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert set(stored_activities(engine, ws.provider_code)) == {"A1"}
