"""Messages a coordinator can act on: the cell, what to enter, the date they meant."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from peerreport.intake import ImportReport
from peerreport.intake.values import CellValueError, parse_date, swapped_reading
from peerreport.intake.wording import what_to_enter
from peerreport.records.models import RECORD_TYPES
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv


def _activities_book(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Activity ID", "Date", "Kind", "Attendance", "Notes"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_workbook_messages_give_the_cell_and_csv_messages_the_row(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = _activities_book(
        tmp_path / "activity-log.xlsx",
        [["A1", dt.date(2026, 8, 14), "group", 9, None]] * 3
        + [["A4", "14/08/2026", "group", -1, None]],
    )
    found = messages(run_import(engine, ws, book))
    assert found[-1] == (
        'activity-log.xlsx, sheet "Activities", cell D5 (column "Attendance"): "-1" is too '
        "small: it must be 0 or more"
    )
    csv_file = write_csv(
        tmp_path / "activities.csv",
        [["activity_id", "date", "kind", "attendance"], ["A1", "14/08/2026", "group", "-1"]],
    )
    assert messages(run_import(engine, ws, csv_file)) == [
        'activities.csv, row 2, column "attendance": "-1" is too small: it must be 0 or more'
    ]


def test_a_blank_required_cell_says_what_to_enter(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = _activities_book(
        tmp_path / "log.xlsx",
        [["A1", None, "group", 9, None], ["A2", dt.date(2026, 8, 14), None, None, "note"]],
    )
    assert messages(run_import(engine, ws, book)) == [
        'log.xlsx, sheet "Activities", cell B2 (column "Date"): is empty: enter the date of the '
        "session, e.g. 14/08/2026",
        'log.xlsx, sheet "Activities", cell C3 (column "Kind"): is empty: enter the kind of '
        "activity, e.g. One-to-one peer support",
        'log.xlsx, sheet "Activities", cell D3 (column "Attendance"): is empty: enter how many '
        "people took part, e.g. 9",
    ]


@pytest.mark.parametrize("record_type", list(RECORD_TYPES))
def test_every_required_field_says_what_to_enter_with_an_example(record_type: str) -> None:
    model = RECORD_TYPES[record_type]
    for name, info in model.model_fields.items():
        if info.is_required():
            words = what_to_enter(record_type, name)
            assert re.fullmatch(r"enter [a-z].*, e\.g\. \S.*", words), (name, words)
            assert "_" not in words.split(", e.g.")[0], (name, words)  # no field names


def test_a_month_first_date_suggests_the_corrected_value(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = _activities_book(tmp_path / "log.xlsx", [["A1", "08/14/2026", "group", 3, None]])
    assert messages(run_import(engine, ws, book)) == [
        'log.xlsx, sheet "Activities", cell B2 (column "Date"): "08/14/2026" is not a date: did '
        "you mean 14/08/2026 (14 August 2026)? Dates are read day first (DD/MM/YYYY); if this "
        "file writes the month first, set date_order in peerreport.toml (peerreport never "
        "swaps day and month on its own)"
    ]


def test_ambiguous_dates_in_a_month_first_file_get_their_own_suggestion(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "kind", "attendance"],
            ["A1", "04/05/2026", "group", "3"],  # above the telling date: found at the end
            ["A2", "2026-04-06", "group", "3"],  # unambiguous
            ["A3", "08/14/2026", "group", "3"],  # tells: this file writes the month first
            ["A4", "09/10/2026", "group", "3"],
            ["A5", "07/07/2026", "group", "3"],  # the same either way
        ],
    )
    found = messages(run_import(engine, ws, path))
    assert found == [
        'activities.csv, row 4, column "date": "08/14/2026" is not a date: did you mean '
        "14/08/2026 (14 August 2026)? Dates are read day first (DD/MM/YYYY); if this file "
        "writes the month first, set date_order in peerreport.toml (peerreport never swaps day "
        "and month on its own)",
        'activities.csv, row 5, column "date": "09/10/2026" is ambiguous in this file, which '
        'writes some dates month first (row 4, "08/14/2026"): did you mean 10/09/2026 '
        "(10 September 2026)? If it is 9 October 2026, write 2026-10-09",
        'activities.csv, row 2, column "date": "04/05/2026" is ambiguous in this file, which '
        'writes some dates month first (row 4, "08/14/2026"): did you mean 05/04/2026 '
        "(5 April 2026)? If it is 4 May 2026, write 2026-05-04",
    ]


def test_with_skip_invalid_an_ambiguous_date_above_the_telling_one_is_not_stored(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """The file's dates are surveyed first, so no row is stored with day and month swapped."""
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "kind", "attendance"],
            ["A1", "04/05/2026", "group", "3"],
            ["A2", "2026-04-06", "group", "3"],
            ["A3", "08/14/2026", "group", "3"],
        ],
    )
    report = run_import(engine, ws, path, skip_invalid=True)
    assert set(stored_activities(engine, ws.provider_code)) == {"A2"}
    assert report.counts.rejected == 2
    assert [p.location.row for p in report.files[0].problems] == [2, 4]


def test_a_month_first_workspace_suggests_the_other_way_round() -> None:
    with pytest.raises(CellValueError, match=r"did you mean 08/14/2026 \(14 August 2026\)\?"):
        parse_date("14/08/2026", "month-first")
    assert parse_date("08/14/2026", "month-first") == dt.date(2026, 8, 14)
    assert swapped_reading("31/02/2026", "day-first") is None  # no date either way
    assert swapped_reading("8-14-2026", "day-first") is not None
    assert swapped_reading("8-14-2026", "day-first").text == "14-8-2026"  # type: ignore[union-attr]


BAD_ROWS = [
    ["activity_id", "date", "kind", "attendance", "first_time", "member_led", "start_time"],
    ["", "", "", "", "", "", ""],
    ["A1", "31/02/2026", "gorup", "-2", "x", "maybe", "25:99"],
    ["A2", "08/14/2026", "advocacy (systemic)", "1e9", "3", "yes", "6:30 pm"],
    ["A3", "14/08/26", "drop in", "2", "5", "", ""],
    ["A3", "14/08/2026", "drop in", "2", "", "", ""],
    ["A3", "14/08/2026", "drop in", "2", "", "", ""],
]


def _all_words(report: ImportReport) -> str:
    words = [str(p) for f in report.files for p in f.problems] + [
        n for f in report.files for n in f.notices
    ]
    return "\n".join(words)


def test_intake_messages_use_proper_articles_and_plurals(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    text = _all_words(run_import(engine, ws, write_csv(tmp_path / "activities.csv", BAD_ROWS)))
    text += _all_words(
        run_import(
            engine,
            ws,
            write_csv(tmp_path / "breakdowns.csv", [["activity id", "dimension", "oops"], ["A"]]),
        )
    )
    assert text
    assert not re.search(r"\ba [aeiou]", text, re.IGNORECASE), text
    assert not re.search(r"\(s\)|\b1 \w+s\b", text), text


def test_intake_source_has_no_bare_a_before_a_placeholder() -> None:
    """'a {record_type}' made "a activities"; words around a placeholder are written out."""
    root = Path(__file__).resolve().parents[2] / "peerreport"
    paths = [*(root / "intake").glob("*.py"), *(root / "templates_intake").glob("*.py")]
    for path in [*paths, root / "cli" / "import_cmd.py"]:
        text = path.read_text("utf-8")
        assert not re.search(r"\ban? \{", text), path
        assert not re.search(r"\"[^\"\n]*[a-z]\(s\)[^\"\n]*\"", text), path  # "problem(s)"
