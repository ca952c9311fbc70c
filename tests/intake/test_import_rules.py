"""The import's guarantees: all-or-nothing, idempotent, plain messages, refused columns."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select, text

from peerreport.store.schema import activity, import_run, member_token
from tests.helpers import (
    ACTIVITY_HEADER,
    make_workspace,
    messages,
    run_import,
    stored_activities,
    write_csv,
)

GOOD = ["A1", "14/08/2026", "group", "9", "Peer groups", ""]


def test_one_bad_row_stores_nothing_and_every_problem_is_listed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            GOOD,
            ["A2", "31/02/2026", "group", "9", "", ""],
            ["A3", "15/08/2026", "gorup", "-2", "", ""],
            ["A4", "16/08/2026", "drop_in", "", "", ""],
        ],
    )
    report = run_import(engine, ws, path)
    assert not report.stored
    assert stored_activities(engine, ws.provider_code) == {}
    found = messages(report)
    assert (
        'activities.csv, row 3, column "date": "31/02/2026" is not a date: '
        "February 2026 has no day 31" in found
    )
    assert any(
        m.startswith('activities.csv, row 4, column "kind": "gorup" is not on the kind of')
        and 'did you mean "Peer support group session"?' in m
        for m in found
    )
    assert any(
        m.startswith('activities.csv, row 4, column "attendance": "-2" is too small') for m in found
    )
    assert any(m.startswith('activities.csv, row 5, column "attendance": is empty') for m in found)
    assert report.problem_count == 4
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(activity)).scalar_one() == 0
        # The refused import is in the import log, with its problems (values masked).
        runs = conn.execute(select(import_run)).all()
        assert [(r.file_name, r.status, r.problem_count, r.revision) for r in runs] == [
            ("activities.csv", "refused", 4, None)
        ]
        assert "31/02/2026" in runs[0].problems


def test_skip_invalid_stores_valid_rows_and_writes_rejects(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            GOOD,
            ["A2", "04/13/2026", "group", "9", "", ""],
            ["A3", "15/08/2026", "group", "4", "", "Ring her on 021 555 0123"],
        ],
    )
    report = run_import(engine, ws, path, skip_invalid=True)
    assert report.stored
    assert set(stored_activities(engine, ws.provider_code)) == {"A1"}
    assert report.counts.added == 1 and report.counts.rejected == 2
    rejects = report.files[0].rejects_path
    assert rejects == tmp_path / "activities.csv.rejects.csv"
    content = rejects.read_text("utf-8-sig")
    assert "04/13/2026" in content and "did you mean 13/04/2026 (13 April 2026)?" in content
    assert "phone number" in content
    assert "555 0123" not in content and "021 555" not in content  # masked, never echoed


def test_reimport_is_idempotent_and_a_corrected_file_updates(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [ACTIVITY_HEADER, GOOD, ["A2", "15/08/2026", "drop in", "12", "", ""]]
    path = write_csv(tmp_path / "activities.csv", rows)
    first = run_import(engine, ws, path)
    assert (first.counts.added, first.counts.updated, first.counts.unchanged) == (2, 0, 0)
    before = stored_activities(engine, ws.provider_code)
    second = run_import(engine, ws, path)
    assert (second.counts.added, second.counts.updated, second.counts.unchanged) == (0, 0, 2)
    assert stored_activities(engine, ws.provider_code) == before
    rows[2][3] = "13"
    rows.append(["A3", "16/08/2026", "outreach", "2", "", ""])
    third = run_import(engine, ws, write_csv(path, rows))
    assert (third.counts.added, third.counts.updated, third.counts.unchanged) == (1, 1, 1)
    assert stored_activities(engine, ws.provider_code)["A2"]["attendance"] == 13
    assert str(third.counts) == "1 added, 1 updated, 1 unchanged, 0 rejected"


def test_forbidden_columns_are_refused_with_the_reason(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            [*ACTIVITY_HEADER, "Client Name", "DOB", "NHI"],
            [*GOOD, "Aroha", "01/02/1990", "ZAA0067"],
        ],
    )
    report = run_import(engine, ws, path, skip_invalid=True)
    assert stored_activities(engine, ws.provider_code) == {}
    problems = report.files[0].problems
    assert {p.location.column for p in problems} == {"Client Name", "DOB", "NHI"}
    assert all(p.code == "PRV-001" for p in problems)
    assert all("peerreport" in p.message for p in problems)
    text_all = " ".join(messages(report))
    assert "Aroha" not in text_all and "ZAA0067" not in text_all


def test_unknown_columns_are_not_stored_and_named_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            [*ACTIVITY_HEADER, "attendence", "colour"],
            [*GOOD, "3", "blue"],
            ["A2", "15/08/2026", "group", "4", "", "", "5", "green"],
        ],
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert report.problem_count == 0
    assert report.files[0].notices == [
        "activities.csv: peerreport does not know 2 columns, so they are not stored: "
        '"attendence" (did you mean "Attendance"?) and "colour"'
    ]
    stored = stored_activities(engine, ws.provider_code)
    assert set(stored) == {"A1", "A2"} and stored["A1"]["attendance"] == 9
    with engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(select(activity)).all())
    assert "blue" not in dump and "green" not in dump


def test_identifier_in_a_text_cell_is_masked_and_refused(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "14/08/2026", "one to one", "1", "", "Follow up ZAA0067 next week"],
            ["A2", "14/08/2026", "one to one", "1", "", "email kim@example.org"],
        ],
    )
    report = run_import(engine, ws, path)
    assert not report.stored
    found = messages(report)
    assert len(found) == 2
    assert found[0].startswith('activities.csv, row 2, column "notes": looks like an NZ NHI')
    assert "ZAA0067" not in found[0]
    assert "kim@example.org" not in found[1]
    assert report.files[0].problems[0].details["kinds"] == ["nhi"]


def test_duplicate_ids_in_one_file(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(tmp_path / "activities.csv", [ACTIVITY_HEADER, GOOD, GOOD])
    report = run_import(engine, ws, path)
    assert not report.stored
    assert messages(report) == [
        "activities.csv, row 3: activity_id A1 appears more than once in this import"
    ]


def test_breakdown_for_an_unknown_activity(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(engine, ws, write_csv(tmp_path / "activities.csv", [ACTIVITY_HEADER, GOOD]))
    path = write_csv(
        tmp_path / "breakdowns.csv",
        [
            ["activity_id", "dimension", "category", "count"],
            ["A1", "ethnicity", "Māori", "4"],
            ["A9", "ethnicity", "Pacific", "2"],
            ["A1", "age", "25-44", "3"],
            ["A1", "ethnicity", "Klingon", "1"],
        ],
    )
    report = run_import(engine, ws, path)
    assert not report.stored
    found = messages(report)
    assert (
        'breakdowns.csv, row 3, column "activity_id": there is no activity "A9" to break down'
        in found
    )
    assert any(m.startswith('breakdowns.csv, row 5, column "category"') for m in found)
    assert len(found) == 2


def test_member_tokens_are_stored_only_as_keyed_hashes(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "kind", "attendance", "member tokens"],
            ["A1", "14/08/2026", "group", "3", "kereru7; tui42; kea1"],
        ],
    )
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    with engine.connect() as conn:
        hashes = conn.execute(select(member_token.c.token_hash)).scalars().all()
        dump = " ".join(str(r) for r in conn.execute(select(activity)).all())
    assert len(hashes) == 3
    assert all(len(h) == 64 and "kereru" not in h for h in hashes)
    assert "kereru7" not in dump


def test_organisations_sharing_a_database_never_mix(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    first = make_workspace(tmp_path / "one", db_url, code="ORG-ONE")
    second = make_workspace(tmp_path / "two", db_url, code="ORG-TWO")
    run_import(
        engine,
        first,
        write_csv(tmp_path / "a.csv", [ACTIVITY_HEADER, GOOD]),
        record_type="activities",
    )
    changed = [*GOOD]
    changed[3] = "2"
    run_import(
        engine,
        second,
        write_csv(tmp_path / "b.csv", [ACTIVITY_HEADER, changed]),
        record_type="activities",
    )
    assert stored_activities(engine, "ORG-ONE")["A1"]["attendance"] == 9
    assert stored_activities(engine, "ORG-TWO")["A1"]["attendance"] == 2
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from activity")).scalar_one() == 2


def test_breakdowns_of_a_rejected_activity_add_no_second_message(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    ws = make_workspace(tmp_path / "ws", db_url)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["activity_id", "date", "kind", "attendance"])
    sheet.append(["A1", "14/08/2026", "group", -3])
    breakdowns = workbook.create_sheet("Breakdowns")
    breakdowns.append(["activity_id", "dimension", "category", "count"])
    breakdowns.append(["A1", "ethnicity", "maori", 2])
    path = tmp_path / "log.xlsx"
    workbook.save(path)
    report = run_import(engine, ws, path)
    assert not report.stored
    assert len(messages(report)) == 1 and 'column "attendance"' in messages(report)[0]
    assert (
        'log.xlsx, sheet "Breakdowns": row 2 is not stored, because its activity was rejected'
        in (report.files[0].notices)
    )
    typed = run_import(engine, ws, path, record_type="activities")
    assert len(messages(typed)) == 1  # --type does not trip over the other sheets
