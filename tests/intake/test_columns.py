"""Columns a coordinator's own spreadsheet has: unknown, forbidden, repeated or missing."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from peerreport.intake.sources import (
    Table,
    TableColumn,
    _blank_cells,
    _rows_with_data,
    _zipper,
    set_rows,
)
from peerreport.store.schema import RECORD_TABLES, activity, import_run
from tests.helpers import (
    ACTIVITY_HEADER,
    make_workspace,
    messages,
    run_import,
    stored_activities,
    write_csv,
    write_workbook,
)

GOOD = ["A1", "14/08/2026", "group", "9", "Peer groups", ""]


def _everything_stored(engine: Engine) -> str:
    """Every stored row of every record table and of the import log, as one text."""
    with engine.connect() as conn:
        tables = [*RECORD_TABLES.values(), import_run]
        return " ".join(str(row) for t in tables for row in conn.execute(select(t)).all())


def _holds_year(dump: str, year: str) -> bool:
    """Whether `year` is in the text as a number of its own: not inside a hash (the file's
    SHA-256 and the digests are hex, and vary with the workbook's timestamps) or in the
    digits of another number (a duration), where it turns up by chance about once in
    two hundred runs."""
    plain = re.sub(r"[0-9a-f]{16,}|[0-9]+\.[0-9]+", " ", dump)
    return re.search(rf"(?<![0-9]){year}(?![0-9])", plain) is not None


def _nothing_stored(engine: Engine) -> bool:
    with engine.connect() as conn:
        return all(
            conn.execute(select(func.count()).select_from(t)).scalar_one() == 0
            for t in RECORD_TABLES.values()
        )


# --- unknown columns ----------------------------------------------------------------------


def test_unknown_workbook_columns_are_named_once_with_their_letters(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["Activity ID", "Date", "Kind", "Attendance", "Facilitator on shift?", "Colour"]]
    rows += [
        [f"A{i}", dt.date(2026, 8, 1 + i % 28), "group", i, "yes", "blue"] for i in range(1, 40)
    ]
    path = write_workbook(tmp_path / "log.xlsx", {"Activities": rows})

    report = run_import(engine, ws, path)

    assert report.stored, messages(report)
    assert report.counts.added == 39
    assert report.files[0].notices == [
        'log.xlsx, sheet "Activities": peerreport does not know 2 columns, so they are not '
        'stored: "Facilitator on shift?" (column E) and "Colour" (column F)'
    ]
    assert "blue" not in _everything_stored(engine)


def test_a_column_without_a_heading_is_named_by_its_letter(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_workbook(
        tmp_path / "log.xlsx",
        {
            "Activities": [
                ["Activity ID", "Date", "Kind", "Attendance"],
                ["A1", dt.date(2026, 8, 1), "group", 4, None, "checked"],
                ["A2", dt.date(2026, 8, 2), "group", 5, None, "checked"],
            ]
        },
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.files[0].notices == [
        'log.xlsx, sheet "Activities": peerreport does not know the column '
        "column F, which has no heading, so it is not stored"
    ]


def test_an_identifier_in_a_heading_is_masked_in_the_notice(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [[*ACTIVITY_HEADER, "kim@example.org"], [*GOOD, "x"]],
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert "kim@example.org" not in json.dumps(report.to_dict())
    assert report.files[0].notices == [
        'activities.csv: peerreport does not know the column "k**@*******.***", so it is not stored'
    ]


def test_unknown_json_lines_keys_are_named_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.jsonl"
    lines = [
        {"activity_id": f"A{i}", "date": "2026-08-14", "kind": "group", "attendance": 3, "x": i}
        for i in range(5)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), "utf-8")
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.files[0].notices == [
        'activities.jsonl: peerreport does not know the column "x", so it is not stored'
    ]


# --- forbidden columns --------------------------------------------------------------------

FORBIDDEN_BOOK = {
    "Activities": [
        ["Activity ID", "Date", "Kind", "Attendance", "Client name", "DOB", "Notes"],
        ["A1", dt.date(2026, 8, 14), "group", 9, "Aroha Walker", dt.date(1990, 2, 1), "ok"],
        ["A2", dt.date(2026, 8, 15), "group", 7, "Tama Ngata", dt.date(1985, 5, 4), None],
    ],
    "Breakdowns": [
        ["Activity ID", "Breakdown by", "Category", "Count"],
        ["A1", "Ethnicity (level 1)", "Māori", 4],
    ],
}


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_forbidden_column_refuses_the_whole_file_with_the_reason(
    engine: Engine, db_url: str, tmp_path: Path, skip_invalid: bool
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_workbook(tmp_path / "log.xlsx", FORBIDDEN_BOOK)

    report = run_import(engine, ws, path, skip_invalid=skip_invalid)

    assert _nothing_stored(engine)  # not even the Breakdowns sheet, which is fine
    problems = report.files[0].problems
    assert [(p.code, p.location.column) for p in problems] == [
        ("PRV-001", "Client name"),
        ("PRV-001", "DOB"),
    ]
    assert problems[0].message.startswith('"Client name" looks like a name, which identifies')
    assert problems[1].message.startswith('"DOB" looks like a date of birth')
    assert all("--drop-forbidden" in p.hint for p in problems)
    assert report.files[0].rejects_paths == []  # no row was read, so none is rejected
    dump = json.dumps(report.to_dict()) + _everything_stored(engine)
    assert "Aroha" not in dump and not _holds_year(dump, "1990")
    with engine.connect() as conn:  # the refusal is in the import log
        runs = conn.execute(select(import_run)).all()
    assert [(r.file_name, r.problem_count) for r in runs] == [("log.xlsx", 2)]


def test_drop_forbidden_discards_the_columns_unread_and_says_so(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_workbook(tmp_path / "log.xlsx", FORBIDDEN_BOOK)

    report = run_import(engine, ws, path, drop_forbidden=True)

    assert report.stored, messages(report)
    assert report.counts.added == 3
    assert report.files[0].notices == [
        'log.xlsx, sheet "Activities": "Client name" (column E) and "DOB" (column F) look like '
        "identifying or clinical details, so they were discarded unread (--drop-forbidden): "
        "not one cell of them was read, stored or shown"
    ]
    dump = json.dumps(report.to_dict()) + _everything_stored(engine)
    assert "Aroha" not in dump and "Tama" not in dump and not _holds_year(dump, "1990")
    assert stored_activities(engine, ws.provider_code)["A1"]["notes"] == "ok"


def test_drop_forbidden_rejects_files_leave_the_columns_out(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            [*ACTIVITY_HEADER, "Surname", "NHI"],
            [*GOOD, "Walker", "ZAA0067"],
            ["A2", "31/02/2026", "group", "3", "", "", "Ngata", "ZAA0075"],
        ],
    )
    report = run_import(engine, ws, path, drop_forbidden=True, skip_invalid=True)
    assert set(stored_activities(engine, ws.provider_code)) == {"A1"}
    rejects = report.files[0].rejects_path
    assert rejects is not None
    rows = list(csv.reader(rejects.read_text("utf-8-sig").splitlines()))
    assert rows[0] == [*ACTIVITY_HEADER, "problem"]
    assert rows[1][:6] == ["A2", "31/02/2026", "group", "3", "", ""]
    text = rejects.read_text("utf-8-sig")
    assert "Ngata" not in text and "ZAA" not in text


def test_dropped_cells_are_never_looked_at() -> None:
    """The source skips a dropped column's cells, even when deciding if a row is empty."""

    class Untouchable:
        def __getattribute__(self, name: str) -> Any:
            raise AssertionError(f"a dropped cell was read ({name})")

        def __eq__(self, other: object) -> bool:
            raise AssertionError("a dropped cell was compared")

        __hash__ = None  # type: ignore[assignment]

    columns = [TableColumn("date", "date", 1), TableColumn("DOB", "DOB", 2)]
    table = Table("f.xlsx", "Activities", "activities", columns, iter(()), from_excel=True)
    table.dropped = {"DOB"}
    cells = [(2, ("14/08/2026", Untouchable())), (3, (None, Untouchable()))]
    raw = _rows_with_data(table, iter(cells), _blank_cells)
    set_rows(table, raw, _zipper(columns, True, csv_text=False))
    rows = list(table.rows)
    assert rows == [(2, {"date": "14/08/2026"})]  # row 3 holds only a dropped cell: empty


def test_drop_forbidden_json_lines(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = tmp_path / "activities.jsonl"
    lines = [
        {"activity_id": "A1", "date": "2026-08-14", "kind": "group", "attendance": 3},
        {"activity_id": "A2", "date": "2026-08-15", "kind": "group", "attendance": 4},
        {"activity_id": "A3", "date": "2026-08-16", "kind": "group", "attendance": 5,
         "client_name": "Aroha"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines), "utf-8")
    refused = run_import(engine, ws, path, skip_invalid=True)
    assert _nothing_stored(engine)  # the key is on the third line; the first two wait too
    assert [p.code for p in refused.files[0].problems] == ["PRV-001"]
    dropped = run_import(engine, ws, path, drop_forbidden=True)
    assert dropped.stored and dropped.counts.added == 3
    assert "Aroha" not in _everything_stored(engine)


# --- column-level problems ----------------------------------------------------------------


def test_two_columns_for_one_field_are_one_finding_not_one_per_row(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["Activity ID", "Date", "Kind", "Attendance", "Notes", "Comments"]]
    rows += [[f"A{i}", dt.date(2026, 8, i), "group", i, None, None] for i in range(1, 11)]
    rows[3][4], rows[3][5] = "in the hall", "moved to the hall"
    path = write_workbook(tmp_path / "log.xlsx", {"Activities": rows})

    refused = run_import(engine, ws, path)
    assert not refused.stored and _nothing_stored(engine)
    assert messages(refused) == [
        'log.xlsx, sheet "Activities": "Notes" (column E) and "Comments" (column F) are both '
        'headings for "Notes", so neither is read'
    ]

    skipped = run_import(engine, ws, path, skip_invalid=True)
    assert skipped.stored
    assert skipped.problem_count == 1  # the column problem, once
    assert (skipped.counts.added, skipped.counts.rejected) == (9, 1)
    assert set(stored_activities(engine, ws.provider_code)) == {
        f"A{i}" for i in range(1, 11) if i != 3
    }
    rejects = skipped.files[0].rejects_path
    assert rejects == tmp_path / "log.xlsx.rejects.csv"
    got = list(csv.reader(rejects.read_text("utf-8-sig").splitlines()))
    assert got[0] == ["Activity ID", "Date", "Kind", "Attendance", "Notes", "Comments", "problem"]
    assert got[1][:6] == ["A3", "2026-08-03", "group", "3", "in the hall", "moved to the hall"]
    assert got[1][6].startswith('"Notes" (column E) and "Comments" (column F) are both')


def test_a_missing_needed_column_rejects_every_row_once_and_the_fix_imports(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "Knid", "notes"],
            ["A1", "14/08/2026", "group", "first"],
            ["A2", "15/08/2026", "drop in", ""],
        ],
    )
    # "attendance" is missing; "Knid" is a typo of "kind".
    refused = run_import(engine, ws, path)
    assert not refused.stored
    assert messages(refused) == [
        'activities.csv: there is no "Kind of activity" column, and '
        'every row needs the kind of activity; "Knid" looks like it: rename it to '
        '"Kind of activity"',
        'activities.csv: there is no "Attendance" column, and every row needs how many people '
        "took part",
    ]
    assert refused.files[0].notices == [
        "activities.csv: peerreport does not know the column "
        '"Knid" (did you mean "Kind of activity"?), so it is not stored'
    ]
    skipped = run_import(engine, ws, path, skip_invalid=True)
    assert skipped.problem_count == 2 and skipped.counts.rejected == 2
    rejects = skipped.files[0].rejects_path
    assert rejects is not None
    rows = list(csv.reader(rejects.read_text("utf-8-sig").splitlines()))
    assert rows[0] == ["activity_id", "date", "Knid", "notes", "problem"]
    assert all("there is no" in row[4] for row in rows[1:])
    # The coordinator renames the column, adds attendance, and imports the rejects file as it is.
    fixed = [["activity_id", "date", "kind", "notes", "problem", "attendance"]]
    fixed += [[*row[:5], "4"] for row in rows[1:]]
    write_csv(rejects, fixed)
    again = run_import(engine, ws, rejects)
    assert again.stored, messages(again)
    assert again.files[0].notices == []  # `problem` is recognised, not an unknown column
    stored = stored_activities(engine, ws.provider_code)
    assert stored["A1"]["notes"] == "first" and stored["A2"]["kind"] == "drop_in"


def test_rows_are_stored_once_across_the_refusals(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """A refused file leaves nothing; the import log keeps it (history is intact)."""
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_workbook(tmp_path / "log.xlsx", FORBIDDEN_BOOK)
    run_import(engine, ws, path)
    run_import(engine, ws, path, drop_forbidden=True)
    with engine.connect() as conn:
        runs = conn.execute(select(import_run).order_by(import_run.c.id)).all()
        sources = conn.execute(
            select(activity.c.activity_id, activity.c.source_sheet, activity.c.source_row)
        ).all()
    assert [(r.status, r.revision) for r in runs] == [("refused", None), ("stored", 1)]
    assert sorted(sources) == [("A1", "Activities", 2), ("A2", "Activities", 3)]
