"""Purchase units, resources linked and given, missed calls and the Australian breakdowns,
from CSV, XLSX and JSON Lines, with plain messages for bad cells."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import Engine, select

from peerreport.store.schema import activity_breakdown, workforce
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv

HEADER = ["Activity ID", "Date", "Kind", "Attendance", "Contract", "People linked",
          "Resources given out", "Missed calls"]  # fmt: skip


def _new(stored: dict[str, dict[str, object]]) -> dict[str, tuple[object, ...]]:
    names = ("purchase_unit", "resources_linked", "resources_given", "calls_missed")
    return {k: tuple(v[n] for n in names) for k, v in stored.items()}


def test_csv_reads_the_new_fields_by_their_synonyms(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [
        ["C1", "14/08/2026", "warm line call", "1", "mhc36f", "1", "", "4"],
        ["C2", "14/08/2026", "group", "8", " MHC37 ", "2", "10", ""],
        ["C3", "14/08/2026", "drop in", "5", "", "", "", ""],
    ]
    report = run_import(engine, ws, write_csv(tmp_path / "activities.csv", [HEADER, *rows]))
    assert report.stored, messages(report)
    assert _new(stored_activities(engine, ws.provider_code)) == {
        "C1": ("MHC36F", 1, None, 4),
        "C2": ("MHC37", 2, 10, None),
        "C3": (None, None, None, None),
    }


def test_bad_cells_name_file_row_and_column(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [
        ["C1", "14/08/2026", "group", "8", "MHC 36", "", "", ""],
        ["C2", "14/08/2026", "group", "8", "", "-1", "", ""],
        ["C3", "14/08/2026", "group", "8", "", "", "", "3"],
    ]
    report = run_import(engine, ws, write_csv(tmp_path / "log.csv", [HEADER, *rows]))
    found = messages(report)
    assert not report.stored
    assert len(found) == 3, found
    assert found[0].startswith('log.csv, row 2, column "Contract"')
    assert found[1].startswith('log.csv, row 3, column "People linked"')
    assert found[2] == (
        'log.csv, row 4, column "Missed calls": calls_missed is for warm-line calls; this '
        "activity is 'group': leave it blank or record the activity as a warm-line call"
    )


def test_xlsx_new_fields_and_australian_breakdowns(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Activity ID", "Date", "Kind", "Attendance", "Purchase unit",
                  "Resources linked", "Resources given", "Calls missed"])  # fmt: skip
    sheet.append(["X1", "14/08/2026", "group", 6, "AU-CS1", 2, 30, None])
    breakdowns = book.create_sheet("Breakdowns")
    breakdowns.append(["Activity ID", "Breakdown by", "Category", "Count"])
    breakdowns.append(["X1", "Indigenous status", "Aboriginal", 2])
    breakdowns.append(["X1", "atsi", "4", 3])
    breakdowns.append(["X1", "indigenous_status", "not stated", 1])
    breakdowns.append(["X1", "CALD", "yes", 2])
    breakdowns.append(["X1", "cald", "No", 4])
    path = tmp_path / "log.xlsx"
    book.save(path)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert _new(stored_activities(engine, ws.provider_code)) == {"X1": ("AU-CS1", 2, 30, None)}
    with engine.connect() as conn:
        rows = conn.execute(
            select(activity_breakdown.c.dimension, activity_breakdown.c.category)
        ).all()
    assert sorted(map(tuple, rows)) == [
        ("cald", "cald"),
        ("cald", "not_cald"),
        ("indigenous_status", "aboriginal"),
        ("indigenous_status", "neither"),
        ("indigenous_status", "not_stated"),
    ]


def test_a_category_outside_the_new_dimension_is_named(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(
        engine,
        ws,
        write_csv(tmp_path / "activities.csv", [HEADER[:4], ["A1", "14/08/2026", "group", "5"]]),
    )
    path = write_csv(
        tmp_path / "breakdowns.csv",
        [["activity_id", "dimension", "category", "count"],
         ["A1", "indigenous_status", "Aboriginal origin only", "2"]],
    )  # fmt: skip
    found = messages(run_import(engine, ws, path))
    assert len(found) == 1 and found[0].startswith('breakdowns.csv, row 2, column "category"')
    assert "is not on the Aboriginal and Torres Strait Islander status list" in found[0]


def test_jsonl_new_fields_and_workforce_purchase_unit(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    activities = tmp_path / "activities.jsonl"
    line = {"activity_id": "J1", "date": "2026-08-14", "kind": "warm_line_call",
            "attendance": 1, "PU": "MHC36F", "calls_missed": 2, "resources_given": 0}  # fmt: skip
    activities.write_text(json.dumps(line) + "\n", "utf-8")
    report = run_import(engine, ws, activities)
    assert report.stored, messages(report)
    assert _new(stored_activities(engine, ws.provider_code)) == {"J1": ("MHC36F", None, 0, 2)}
    entries = tmp_path / "workforce.jsonl"
    entry = {"period_start": "2026-07-01", "period_end": "2026-09-30",
             "role": "peer worker", "paid_fte": "1.0", "purchase_unit": "mhc36f"}  # fmt: skip
    entries.write_text(json.dumps(entry) + "\n", "utf-8")
    report = run_import(engine, ws, entries)
    assert report.stored, messages(report)
    with engine.connect() as conn:
        assert conn.execute(select(workforce.c.purchase_unit)).scalars().all() == ["MHC36F"]
