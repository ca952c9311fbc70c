"""A workbook filled in through its own drop-downs and checks imports, on both databases.

The rows are filled the way Excel lets a coordinator fill them: list cells
take values read from the workbook's own drop-down ranges (labels such as
"Warm-line call"), number cells stay within the bounds of their validations,
date cells get dates. Each label is stored as its code.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import Engine, select

from peerreport.intake import ImportSettings, import_files
from peerreport.records.vocabulary import vocabulary
from peerreport.store.database import open_engine, upgrade
from peerreport.store.schema import activity, activity_breakdown, feedback, workforce
from peerreport.templates_intake import write_intake_workbook
from tests.helpers import make_workspace, messages, run_import, stored_activities
from tests.templates_intake.reading import drop_downs, fill, validations

Rows = dict[str, list[dict[str, Any]]]
YES = {"yes": True, "no": False}


def _code(vocab: str, choice: str | None) -> str | None:
    """The code a drop-down choice is stored as (None stays None)."""
    if choice is None:
        return None
    code = vocabulary(vocab).resolve(choice)
    assert code is not None, (vocab, choice)
    return code


def _bounds(book: Workbook, sheet: str, field: str) -> tuple[Decimal, Decimal]:
    """The lowest and highest value a number column's validation lets through."""
    validation = validations(book[sheet])[field]
    return Decimal(str(validation.formula1)), Decimal(str(validation.formula2))


def _save(book: Workbook, rows: Rows, path: Path) -> Path:
    for sheet, values in rows.items():
        fill(book[sheet], values)
    book.save(path)
    return path


def _filled_through_every_choice(book: Workbook) -> Rows:
    """Rows that use every value of every drop-down at least once."""
    lists = drop_downs(book, "Activities")
    count = max(len(values) for values in lists.values())
    activities = []
    for i in range(count):
        row: dict[str, Any] = {
            "activity_id": f"ACT-{i:04d}",
            "date": dt.date(2026, 7, 1) + dt.timedelta(days=i),
            "start_time": dt.time(9 + i % 12, 15 * (i % 4)),
            "duration_minutes": 30 + i,
            "programme": "Peer support groups",
            "group_id": "Tuesday evening group",
            "topic": "Sleep and wellbeing",
            "attendance": 5 + i,
            "first_time": i % 5,
            "peer_workers": 1,
            "volunteers": i % 3,
            "member_tokens": "kereru7; tui42",
            "notes": "Moved to the small room",
        }
        row |= {field: values[i % len(values)] for field, values in lists.items()}
        activities.append(row)

    breakdown_lists = drop_downs(book, "Breakdowns")
    breakdowns = [
        {"activity_id": "ACT-0000", "dimension": dimension, "category": category, "count": n}
        for dimension in breakdown_lists["dimension"]
        for n, category in enumerate(breakdown_lists["category"])
        # The category drop-down offers every dimension's categories; keep this one's.
        if vocabulary(_code("dimension", dimension) or "").resolve(category) is not None
    ]
    roles = drop_downs(book, "Workforce")["role"]
    workforce_rows = [
        {
            "period_start": dt.date(2026, 7, 1),
            "period_end": dt.date(2026, 9, 30),
            "programme": "Peer support groups",
            "role": role,
            "paid_fte": Decimal("1.25"),
            "paid_headcount": 2,
            "volunteer_count": n,
            "volunteer_hours": Decimal("12.5"),
            "supervision_hours": 4,
            "training_hours": Decimal("7.75"),
        }
        for n, role in enumerate(roles)
    ]
    feedback_rows = [
        {
            "period_start": dt.date(2026, 7, 1),
            "period_end": dt.date(2026, 9, 30),
            "question": "I feel more hopeful",
            "response": str(level),
            "count": 10 - level,
        }
        for level in range(1, 6)
    ]
    return {
        "Activities": activities,
        "Breakdowns": breakdowns,
        "Workforce": workforce_rows,
        "Feedback": feedback_rows,
    }


def test_every_drop_down_choice_imports_and_is_stored_as_its_code(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    book = load_workbook(write_intake_workbook(tmp_path / "intake.xlsx"))
    rows = _filled_through_every_choice(book)
    path = _save(book, rows, tmp_path / "filled.xlsx")
    workspace = make_workspace(tmp_path / "ws", db_url)

    report = run_import(engine, workspace, path)

    assert report.stored, messages(report)
    assert report.problem_count == 0
    assert report.files[0].notices == []  # 5000 validated rows, the empty ones unnoticed
    assert report.counts.added == sum(len(values) for values in rows.values())
    stored = stored_activities(engine, workspace.provider_code)
    assert set(stored) == {r["activity_id"] for r in rows["Activities"]}
    for row in rows["Activities"]:
        got = stored[row["activity_id"]]
        for field in ("kind", "mode", "setting", "population_focus"):
            assert got[field] == _code(field, row[field]), (row["activity_id"], field)
        for field in ("member_led", "co_facilitated", "community_session"):
            assert got[field] is YES[row[field]], (row["activity_id"], field)
        for field in ("date", "start_time", "duration_minutes", "attendance", "first_time"):
            assert got[field] == row[field], (row["activity_id"], field)
        assert got["notes"] == row["notes"]
    org = workspace.provider_code
    with engine.connect() as conn:
        breakdowns = conn.execute(
            select(activity_breakdown).where(activity_breakdown.c.org == org)
        ).mappings()
        assert {(b["dimension"], b["category"], b["count"]) for b in breakdowns} == {
            (d, vocabulary(d).resolve(r["category"]), r["count"])
            for r in rows["Breakdowns"]
            for d in [_code("dimension", r["dimension"]) or ""]
        }
        staff = conn.execute(select(workforce).where(workforce.c.org == org)).mappings().all()
        assert sorted(s["role"] for s in staff) == sorted(
            _code("role", r["role"]) for r in rows["Workforce"]
        )
        assert {s["paid_fte"] for s in staff} == {Decimal("1.25")}
        assert {s["training_hours"] for s in staff} == {Decimal("7.75")}
        answers = conn.execute(select(feedback).where(feedback.c.org == org)).mappings().all()
        assert sorted((a["response"], a["count"]) for a in answers) == [
            (str(level), 10 - level) for level in range(1, 6)
        ]
    every_kind = {r["kind"] for r in rows["Activities"]}
    assert every_kind == {t.label for t in vocabulary("kind").terms}  # labels are offered


# --- any choices, any valid numbers and dates --------------------------------------------

HYPOTHESIS_ROWS = 30


@pytest.fixture(scope="module")
def small_template() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield write_intake_workbook(Path(folder) / "intake.xlsx", rows=HYPOTHESIS_ROWS)


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/round-trip.db")
        upgrade(engine)
        yield engine
        engine.dispose()


def _optional(strategy: st.SearchStrategy[Any], required: bool) -> st.SearchStrategy[Any]:
    return strategy if required else st.none() | strategy


def _number(book: Workbook, sheet: str, field: str, whole: bool) -> st.SearchStrategy[Any]:
    low, high = _bounds(book, sheet, field)
    if whole:
        return st.integers(int(low), int(high))
    # Two decimal places: the model's precision (Excel's decimal check cannot limit places).
    return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)


DATES = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))  # the date validation's range
TIMES = st.times().map(lambda t: t.replace(microsecond=0))


def _activity(book: Workbook, data: st.DataObject, number: int) -> dict[str, Any]:
    lists = drop_downs(book, "Activities")
    row: dict[str, Any] = {"activity_id": f"A-{number:03d}", "date": data.draw(DATES)}
    for field, values in lists.items():
        row[field] = data.draw(_optional(st.sampled_from(values), field == "kind"))
    row["start_time"] = data.draw(_optional(TIMES, False))
    for field in ("duration_minutes", "peer_workers", "volunteers"):
        row[field] = data.draw(_optional(_number(book, "Activities", field, True), False))
    row["attendance"] = data.draw(_number(book, "Activities", "attendance", True))
    row["first_time"] = data.draw(_optional(st.integers(0, row["attendance"]), False))
    return row


def _hypothesis_rows(book: Workbook, data: st.DataObject) -> Rows:
    activities = [_activity(book, data, n) for n in range(data.draw(st.integers(1, 6)))]
    lists = drop_downs(book, "Breakdowns")
    pairs = [
        (dimension, category)
        for dimension in lists["dimension"]
        for category in lists["category"]
        if vocabulary(_code("dimension", dimension) or "").resolve(category) is not None
    ]
    chosen = data.draw(st.lists(st.sampled_from(pairs), max_size=6, unique=True))
    breakdowns = [
        {
            "activity_id": activities[0]["activity_id"],
            "dimension": dimension,
            "category": category,
            "count": data.draw(_number(book, "Breakdowns", "count", True)),
        }
        for dimension, category in chosen
    ]
    roles = data.draw(st.lists(st.sampled_from(drop_downs(book, "Workforce")["role"]), max_size=4))
    start = data.draw(DATES)
    end = min(start + dt.timedelta(days=data.draw(st.integers(0, 400))), dt.date(2099, 12, 31))
    staff = []
    for role in dict.fromkeys(roles):
        row: dict[str, Any] = {"period_start": start, "period_end": end, "role": role}
        for field in ("paid_headcount", "volunteer_count"):
            row[field] = data.draw(_optional(_number(book, "Workforce", field, True), False))
        for field in ("paid_fte", "volunteer_hours", "supervision_hours", "training_hours"):
            row[field] = data.draw(_optional(_number(book, "Workforce", field, False), False))
        staff.append(row)
    answers = [
        {
            "period_start": start,
            "period_end": end,
            "question": "I feel more hopeful",
            "response": response,
            "count": data.draw(_number(book, "Feedback", "count", True)),
        }
        for response in data.draw(
            st.lists(st.sampled_from(["1", "2", "3", "4", "5"]), max_size=5, unique=True)
        )
    ]
    return {
        "Activities": activities,
        "Breakdowns": breakdowns,
        "Workforce": staff,
        "Feedback": answers,
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_drop_down_choices_and_valid_values_import_cleanly(
    small_template: Path, shared_engine: Engine, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "filled.xlsx"
        shutil.copyfile(small_template, path)
        book = load_workbook(path)
        rows = _hypothesis_rows(book, data)
        _save(book, rows, path)
        org = "H" + uuid.uuid4().hex[:8]
        settings_ = ImportSettings(org=org, org_name="Round trip", token_secret=b"k" * 32)
        report = import_files(shared_engine, [path], settings_)

    assert report.stored, [str(p) for p in report.files[0].problems]
    assert report.files[0].notices == []
    assert report.counts.added == sum(len(values) for values in rows.values())
    with shared_engine.connect() as conn:
        stored = {
            r["activity_id"]: r
            for r in conn.execute(select(activity).where(activity.c.org == org)).mappings()
        }
    for row in rows["Activities"]:
        got = stored[row["activity_id"]]
        assert got["kind"] == _code("kind", row["kind"])
        assert got["mode"] == _code("mode", row["mode"])
        assert got["member_led"] is YES.get(row["member_led"], False)
        assert got["date"] == row["date"]
        # Any time of day the workbook accepts imports, kept to the minute.
        written = row["start_time"]
        assert got["start_time"] == (None if written is None else written.replace(second=0))
