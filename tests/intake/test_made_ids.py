"""Without an activity_id column, each activity's id is made from the row, stably."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine, select

from peerreport.intake.ids import IDENTITY_FIELDS, PREFIX, made_id
from peerreport.privacy import scan_text
from peerreport.store.schema import activity
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv

HEADER = ["Date", "Start time", "Kind of activity", "Programme", "Attendance", "Notes"]
ROWS = [
    ["14/08/2026", "18:00", "Peer support group session", "Groups", "9", ""],
    ["14/08/2026", "", "Warm-line call", "Warm line", "1", ""],
    ["14/08/2026", "", "Warm-line call", "Warm line", "1", "second call, same evening"],
    ["14/08/2026", "", "warm_line_call", "Warm line", "1", ""],
    ["15/08/2026", "10:00", "drop in", "Drop-in", "12", ""],
]


def _ids(engine: Engine, org: str) -> dict[str, dict[str, object]]:
    return stored_activities(engine, org)


def test_ids_are_made_and_the_same_file_imports_again_unchanged(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(tmp_path / "activities.csv", [HEADER, *ROWS])

    first = run_import(engine, ws, path)

    assert first.stored, messages(first)
    assert first.counts.added == 5  # the three identical warm-line calls are three activities
    assert first.files[0].notices == [
        "activities.csv: there is no Activity ID column, so each row's id is made from its "
        "date, start time, kind of activity, programme, group, topic, delivery mode and "
        "setting, and which of the rows with all of those the same it is (first, second, "
        "...): importing this file again finds the same activities. Breakdowns cannot refer "
        "to these ids; add an Activity ID column if you keep breakdowns"
    ]
    stored = _ids(engine, ws.provider_code)
    assert all(key.startswith(PREFIX) and len(key) == len(PREFIX) + 16 for key in stored)
    calls = sorted(
        (str(r["notes"] or ""), key) for key, r in stored.items() if r["kind"] == "warm_line_call"
    )
    assert len(calls) == 3 and len({key for _, key in calls}) == 3

    again = run_import(engine, ws, path)
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 5)
    assert _ids(engine, ws.provider_code).keys() == stored.keys()


def test_a_corrected_count_updates_the_same_activity(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(tmp_path / "activities.csv", [HEADER, *ROWS])
    run_import(engine, ws, path)
    before = _ids(engine, ws.provider_code)
    rows = [list(r) for r in ROWS]
    rows[0][4] = "10"  # attendance corrected
    rows[4][5] = "busy morning"  # a note added
    rows = [rows[4], *rows[:4]]  # and the rows sorted differently
    report = run_import(engine, ws, write_csv(path, [HEADER, *rows]))
    assert (report.counts.added, report.counts.updated, report.counts.unchanged) == (0, 2, 3)
    after = _ids(engine, ws.provider_code)
    assert after.keys() == before.keys()
    group = next(r for r in after.values() if r["kind"] == "group")
    assert group["attendance"] == 10


def test_labels_codes_and_spellings_make_the_same_id(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """Ids are made from stored values: "Warm-line call" and "warm_line_call" are one kind."""
    ws = make_workspace(tmp_path / "ws", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(HEADER)
    sheet.append([dt.date(2026, 8, 14), dt.time(18), "group", "Groups", 9, None])
    book.save(tmp_path / "log.xlsx")
    run_import(engine, ws, tmp_path / "log.xlsx")
    csv_path = write_csv(tmp_path / "activities.csv", [HEADER, ROWS[0]])  # label, text date
    report = run_import(engine, ws, csv_path)
    assert (report.counts.added, report.counts.unchanged) == (0, 1)


def test_the_same_activity_in_two_files_of_one_import_is_a_duplicate(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    one = write_csv(tmp_path / "q1-activities.csv", [HEADER, ROWS[0]])
    two = write_csv(tmp_path / "q2-activities.csv", [HEADER, ROWS[0], ROWS[4]])
    report = run_import(engine, ws, one, two)
    assert not report.stored
    assert messages(report) == [
        "q2-activities.csv, row 2: this row is the same activity as an earlier row of another "
        "file in this import (the same date, start time, kind, programme, group, topic, mode "
        "and setting)"
    ]


def test_made_ids_keep_their_source_rows(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(engine, ws, write_csv(tmp_path / "activities.csv", [HEADER, *ROWS]))
    with engine.connect() as conn:
        rows = conn.execute(select(activity.c.source_row)).scalars().all()
    assert sorted(rows) == [2, 3, 4, 5, 6]


texts = st.text(max_size=12)


@given(
    identity=st.lists(texts, min_size=len(IDENTITY_FIELDS), max_size=len(IDENTITY_FIELDS)),
    occurrence=st.integers(1, 10_000),
)
def test_made_ids_never_look_like_an_identifier(identity: list[str], occurrence: int) -> None:
    made = made_id("\x1f".join(identity), occurrence)
    assert scan_text(made) == []
    assert made.startswith(PREFIX) and made[len(PREFIX) :].isalpha()
    assert made != made_id("\x1f".join(identity), occurrence + 1)
