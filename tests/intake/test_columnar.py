"""Columnar intake gives what the row reader gives: the same values for the rows it
accepts, and the row reader's own outcome for every other row (it never accepts a row
the row reader rejects), with the same date-order findings and column notices."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from peerreport.intake import columnar
from peerreport.intake.columnar import (
    Accepted,
    AcceptedBatch,
    ColumnarReader,
    fast_model,
    record_values_of,
)
from peerreport.intake.dates import DateOrder
from peerreport.intake.headings import field_kinds, required_fields
from peerreport.intake.rows import RowOutcome, RowReader
from peerreport.intake.sources import open_tables
from peerreport.records.models import RECORD_TYPES
from peerreport.records.vocabulary import vocabularies, vocabulary
from peerreport.store.records import record_values
from tests.helpers import write_csv

ORG = "TEST01"
IDENTIFIERS = ["ZAA0067", "kim@example.org", "021 234 5678", "aged 52", "Dx: F32.1"]
COMMON = ["", " ", "  \t ", "N/A", "=1+1", "'=1+1", "-", *IDENTIFIERS]
TEXTS = ["Peer groups", "  padded  ", "Tuesday evening group", "Sleep and wellbeing", "x" * 501]
DATES = [
    "14/08/2026",
    "2026-08-14",
    "01/07/2025",  # reads either way
    "04/05/2026",
    "08/14/2026",  # only month first: tells the file's order
    "31/02/2026",
    "14 Aug 2026",
    "August 14, 2026",
    "2026-08-14 00:00",
    "14/08/26",
    " 02/03/2026 ",
]
TIMES = ["18:30", "6:30 pm", "9am", "9", "25:00", "18.30", "18:30:15", "00:00"]
BOOLS = ["yes", "no", "Y", "x", "kāo", "maybe", "1", "0", "TRUE"]
COUNTS = ["0", "3", " 12 ", "1,000", "-2", "2.5", "1e3", "abc", "1000001", "1440", "1441", "7"]
DECIMALS = ["0", "1.5", "0.333", "10001", "2,500.25", "-1", "99999999.99", "3"]
IDS = ["A1", "A2", " A3", "A 4", "G-0000001", "x" * 65, "A1"]
TOKENS = ["kereru7; tui42", "a,b", ";;", "tui42;tui42", "ZAA0067"]
UNITS = ["MHC36F", " mhc36f ", "bad code!", "X" * 33]
NUMBERS_FOR = {"paid_fte", "volunteer_hours", "supervision_hours", "training_hours"}


def _kind(record_type: str, name: str) -> str:
    # Intake reads an optional count as text (pydantic parses it): here it is a number.
    annotation = repr(RECORD_TYPES[record_type].model_fields[name].annotation)
    kind = field_kinds(record_type)[name]
    return "number" if kind == "text" and ("int" in annotation) else kind


def _spellings(name: str) -> list[str]:
    terms = vocabulary(name).terms
    found = [t.code for t in terms] + [t.label for t in terms[:3]]
    found += [t.label.upper() for t in terms[:2]] + [t.code.replace("_", " ") for t in terms[:2]]
    return [*found, *(s for t in terms[:3] for s in t.synonyms[:1]), "gorup", "other"]


def _candidates(record_type: str, name: str) -> list[str]:
    info = RECORD_TYPES[record_type].model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    kind = _kind(record_type, name)
    if isinstance(extra.get("vocabulary"), str):
        found = _spellings(str(extra["vocabulary"]))
    elif name == "category":
        found = [s for v in ("ethnicity", "age_band", "gender", "cald") for s in _spellings(v)]
    elif name == "activity_id":
        found = IDS
    elif name == "member_tokens":
        found = TOKENS
    elif name == "purchase_unit":
        found = UNITS
    elif name in NUMBERS_FOR:
        found = DECIMALS
    elif kind == "date":
        found = DATES
    elif kind == "time":
        found = TIMES
    elif kind == "bool":
        found = BOOLS
    elif kind == "number":
        found = COUNTS
    else:
        found = TEXTS
    return [*found, *COMMON]


def _good(record_type: str, name: str) -> list[str]:
    """Values that are valid alone (a row of them may still fail a check across fields)."""
    info = RECORD_TYPES[record_type].model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    kind = _kind(record_type, name)
    optional = [] if info.is_required() else ["", ""]
    if isinstance(extra.get("vocabulary"), str):
        terms = vocabulary(str(extra["vocabulary"])).terms
        return [*optional, *(t.code for t in terms[:4]), terms[0].label]
    found = {
        "category": ["not_stated", "Not stated"],  # in every dimension
        "activity_id": ["A1", "A2", "G-0000001"],
        "member_tokens": ["kereru7; tui42", "tui42"],
        "purchase_unit": ["MHC36F", " mhc36f "],
        "period_start": ["2026-07-01", "01/07/2026", "04/05/2026"],
        "period_end": ["2026-09-30", "30/09/2026", "05/04/2026"],
        "attendance": ["3", "7", " 12 "],
        "first_time": ["0", "1", "5"],
        "calls_missed": ["2"],
    }.get(name)
    if found is None:
        found = {
            "date": ["14/08/2026", "2026-08-14", "04/05/2026", "01/07/2025"],
            "time": ["18:30", "6:30 pm"],
            "bool": ["yes", "no"],
            "number": ["3", "0"] if name not in NUMBERS_FOR else ["1.5", "3"],
        }.get(kind, ["Peer groups", "  padded  ", "Sleep and wellbeing"])
    return [*optional, *found]


def _excel_value(value: str) -> st.SearchStrategy[Any]:
    """A workbook cell: the text, or a native value of the kind Excel stores."""
    return st.one_of(
        st.just(value),
        st.sampled_from(
            [
                None,
                45883,  # a date as Excel's day number
                45883.0,
                0.75,  # 18:00 as a fraction of a day
                dt.datetime(2026, 8, 14),
                dt.datetime(2026, 8, 14, 18, 30),
                dt.time(18, 30),
                True,
                False,
                3,
                2.5,
                -0.0,
                1234567890,
            ]
        ),
    )


def _json_value(value: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(value),
        st.sampled_from([None, 3, 0, 2.5, 1.0, True, False, ["a"], {"a": 1}, "a\x00b", 12345678]),
    )


@st.composite
def tables(draw: st.DrawFn, record_type: str, fmt: str) -> tuple[list[str], list[list[Any]]]:
    """Headings and rows of one record type, with valid and invalid cells of every kind."""
    model = RECORD_TYPES[record_type]
    required = required_fields(model)
    names = [
        n
        for n in model.model_fields
        if n in required or draw(st.booleans()) or n in ("first_time", "calls_missed")
    ]
    if record_type == "activities" and draw(st.integers(0, 4)) == 0:
        names.remove("activity_id")  # ids made from the rows
    headings = [*names, "Extra"]
    rows = []
    for _ in range(draw(st.integers(1, 14))):
        row: list[Any] = []
        for name in names:
            # Mostly valid cells (about one odd cell a row), so that whole rows are often
            # valid; any cell may be odd.
            if draw(st.integers(0, len(names) + 1)) == 0:
                value = draw(st.sampled_from(_candidates(record_type, name)))
            else:
                value = draw(st.sampled_from(_good(record_type, name)))
            if fmt == "xlsx" and draw(st.integers(0, 7)) == 0:
                value = draw(_excel_value(value))
            elif fmt == "jsonl" and draw(st.integers(0, 7)) == 0:
                value = draw(_json_value(value))
            row.append(value)
        row.append(draw(st.sampled_from(["", "", "a note", "ZAA0067"])))
        if fmt != "jsonl" and draw(st.integers(0, 5)) == 0:
            row.append("a cell past the headings")
        rows.append(row)
    return headings, rows


def _write(path: Path, fmt: str, headings: list[str], rows: list[list[Any]]) -> Path:
    if fmt == "csv":
        return write_csv(path, [headings, *[["" if v is None else v for v in r] for r in rows]])
    if fmt == "jsonl":
        lines = [json.dumps(dict(zip(headings, r, strict=False))) for r in rows]
        path.write_text("\n".join([*lines, "[1, 2]", "{not json"]) + "\n", "utf-8")
        return path
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _read(path: Path, record_type: str, *, slow: bool) -> tuple[list[Any], dict[str, Any]]:
    """Every row's result and what the table and file showed, read one way."""
    dates = DateOrder("day-first")
    with open_tables(path, record_type) as found:
        table = found[0]
        reader = RowReader(table, record_type, "day-first", dates)
        results = [
            row
            for read in ColumnarReader(reader, slow=slow).rows()
            for row in (read.rows() if isinstance(read, AcceptedBatch) else [read])
        ]
        state = {
            "late": [f.to_dict() for f in dates.late_findings()],
            "telling": dates.telling,
            "more": dates.more,
            "headingless": list(reader.plan.headingless_seen),
            "notices": [*table.notices, *reader.notices()],
        }
    return results, state


def _typed(values: dict[str, Any]) -> dict[str, tuple[type, str]]:
    # Decimal("1.50") == 1.5 == Decimal("1.5"): compare types and spellings too.
    return {k: (type(v), repr(v)) for k, v in values.items()}


def _outcome(result: RowOutcome | Accepted) -> RowOutcome:
    return result.outcome() if isinstance(result, Accepted) else result


def assert_same_reading(path: Path, record_type: str) -> int:
    """Read both ways and compare; the number of rows columnar intake accepted itself."""
    slow, slow_state = _read(path, record_type, slow=True)
    fast, fast_state = _read(path, record_type, slow=False)
    assert fast_state == slow_state
    assert len(fast) == len(slow)
    accepted = 0
    for by_rows, by_columns in zip(slow, fast, strict=True):
        if isinstance(by_columns, Accepted):
            assert isinstance(by_rows, Accepted), (by_columns.row, _outcome(by_rows).problems)
            record = by_rows.outcome().record
            assert record is not None
            expected = record_values(ORG, record)
            got = record_values_of(ORG, record_type, by_columns.fields)
            assert _typed(got) == _typed(expected)
            assert list(by_columns.member_tokens) == list(getattr(record, "member_tokens", []))
            assert by_columns.outcome().cells == by_rows.outcome().cells
            assert by_columns.outcome().columns == by_rows.outcome().columns
            accepted += by_columns._outcome is None or by_columns.outcome() is not None
        else:
            assert not isinstance(by_rows, Accepted)
            assert [p.to_dict() for p in by_columns.problems] == [
                p.to_dict() for p in by_rows.problems
            ]
            assert by_columns.blocked_by == by_rows.blocked_by
            assert by_columns.shown == by_rows.shown
    return accepted


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 rows, so rows on both sides of a batch's end are compared; a column of
    3 or 4 different values in a batch is settled as a column of ids (not remembered), one
    with a value twice through the remembered values; from 2 new values a batch's texts are
    scanned for identifiers together."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", 4)
    monkeypatch.setattr(columnar, "UNIQUE_COLUMN", 3)
    monkeypatch.setattr(columnar, "SCAN_TOGETHER", 2)


COMPARE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("record_type", list(RECORD_TYPES))
@COMPARE
@given(data=st.data())
def test_csv_rows_read_in_columns_as_row_by_row(
    tmp_path_factory: pytest.TempPathFactory, record_type: str, data: st.DataObject
) -> None:
    headings, rows = data.draw(tables(record_type, "csv"))
    path = _write(tmp_path_factory.mktemp("csv") / f"{record_type}.csv", "csv", headings, rows)
    assert_same_reading(path, record_type)


@pytest.mark.parametrize("record_type", ["activities", "breakdowns", "workforce"])
@COMPARE
@given(data=st.data())
def test_json_lines_read_in_columns_as_row_by_row(
    tmp_path_factory: pytest.TempPathFactory, record_type: str, data: st.DataObject
) -> None:
    headings, rows = data.draw(tables(record_type, "jsonl"))
    path = tmp_path_factory.mktemp("jsonl") / f"{record_type}.jsonl"
    assert_same_reading(_write(path, "jsonl", headings, rows), record_type)


@pytest.mark.parametrize("record_type", ["activities", "workforce"])
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_workbooks_read_in_columns_as_row_by_row(
    tmp_path_factory: pytest.TempPathFactory, record_type: str, data: st.DataObject
) -> None:
    headings, rows = data.draw(tables(record_type, "xlsx"))
    path = tmp_path_factory.mktemp("xlsx") / f"{record_type}.xlsx"
    assert_same_reading(_write(path, "xlsx", headings, rows), record_type)


def _good_rows() -> Iterator[list[str]]:
    for n in range(1, 12):
        yield [
            f"A{n}",
            f"{n:02d}/05/2026",  # 01/05 ... 11/05 read either way; 12/05 does not
            "Peer support group session" if n % 2 else "group",
            str(n),
            " Peer groups " if n % 3 else "",
            "18:30" if n % 2 else "6:30 pm",
            "yes" if n % 2 else "",
            "1200" if n == 5 else "",
        ]


def test_valid_rows_are_accepted_in_columns(tmp_path: Path) -> None:
    """Not one valid row goes to the row reader, and what the file shows is the same."""
    path = write_csv(
        tmp_path / "activities.csv",
        [
            [
                "activity_id",
                "date",
                "kind",
                "attendance",
                "programme",
                "start time",
                "member led",
                "resources given",
            ],
            *_good_rows(),
        ],
    )
    results, _ = _read(path, "activities", slow=False)
    assert all(isinstance(r, Accepted) and r._outcome is None for r in results)
    assert assert_same_reading(path, "activities") == 11
    first = results[4]
    assert isinstance(first, Accepted)
    assert first.fields["resources_given"] == 1200
    assert first.fields["kind"] == "group"
    assert first.fields["start_time"] == dt.time(18, 30)
    assert first.fields["programme"] == "Peer groups"


def test_a_date_that_tells_the_order_sends_later_ambiguous_dates_to_the_row_reader(
    tmp_path: Path,
) -> None:
    rows = [
        ["A1", "04/05/2026", "group", "3"],
        ["A2", "08/14/2026", "group", "3"],  # only month first
        ["A3", "04/05/2026", "group", "3"],  # now an error, with its suggestion
        ["A4", "2026-05-04", "group", "3"],
    ]
    path = write_csv(
        tmp_path / "activities.csv", [["activity_id", "date", "kind", "attendance"], *rows]
    )
    results, state = _read(path, "activities", slow=False)
    assert [isinstance(r, Accepted) for r in results] == [True, False, False, True]
    assert "ambiguous" in _outcome(results[2]).problems[0].message
    assert len(state["late"]) == 1 and state["late"][0]["location"]["row"] == 2
    assert_same_reading(path, "activities")


def test_every_model_is_read_in_columns() -> None:
    """A record type whose model gains a check this module does not know is read row by
    row until the module learns it: today every model is known."""
    assert all(fast_model(name) for name in RECORD_TYPES)
    assert {n for v in vocabularies().values() for n in [v.name]} >= {"kind", "dimension"}


def test_a_model_with_an_unknown_check_is_read_row_by_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(columnar._CROSS_CHECKS, "feedback", ((), columnar._period_ok))
    assert not fast_model("feedback")


def test_values_keep_their_types(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "workforce.csv",
        [
            ["period_start", "period_end", "role", "paid_fte", "volunteer_hours"],
            ["2026-07-01", "2026-09-30", "Peer support worker", "1.50", ""],
        ],
    )
    results, _ = _read(path, "workforce", slow=False)
    accepted = results[0]
    assert isinstance(accepted, Accepted) and accepted._outcome is None
    values = record_values_of(ORG, "workforce", accepted.fields)
    assert values["paid_fte"] == Decimal("1.50") and str(values["paid_fte"]) == "1.50"
    assert values["volunteer_hours"] == Decimal(0)
    assert values["programme"] == "" and values["role"] == "peer_support_worker"
    assert_same_reading(path, "workforce")


class _Reads(dict[str, Any]):
    """A dict that notes every key read from it (a look at all of them notes all)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()
        self.written: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.read.update(super().keys())
        return super().__iter__()

    def keys(self) -> Any:
        self.read.update(super().keys())
        return super().keys()

    def values(self) -> Any:
        self.read.update(super().keys())
        return super().values()

    def items(self) -> Any:
        self.read.update(super().keys())
        return super().items()

    def __setitem__(self, key: str, value: Any) -> None:
        self.written.add(key)
        super().__setitem__(key, value)


_KIND_CODES = [*sorted(vocabulary("kind").codes), "no_such_kind"]


@settings(max_examples=300, deadline=None)
@given(
    first_time=st.none() | st.integers(0, 30),
    attendance=st.integers(0, 30),
    calls_missed=st.none() | st.integers(0, 5),
    kind=st.sampled_from(_KIND_CODES),
    period=st.tuples(st.dates(), st.dates()),
)
def test_the_checks_across_fields_read_only_the_fields_a_batch_gives_them(
    first_time: int | None,
    attendance: int,
    calls_missed: int | None,
    kind: str,
    period: tuple[dt.date, dt.date],
) -> None:
    # A batch checks dicts of only these fields (columnar._CHECKED_FIELDS): a check that
    # read another would see it missing, and the two paths could part.
    activity = {
        "first_time": first_time,
        "attendance": attendance,
        "calls_missed": calls_missed,
        "kind": kind,
        "topic": "Planning for hard days",
        "notes": None,
        "date": period[0],
    }
    periods = {"period_start": period[0], "period_end": period[1], "role": "peer_worker"}
    for record_type, fields in (
        ("activities", activity),
        ("workforce", periods),
        ("feedback", periods),
    ):
        check = columnar._CROSS_CHECKS[record_type][1]
        given_fields = columnar._CHECKED_FIELDS[record_type]
        watched = _Reads(fields)
        whole = check(watched)
        assert watched.read <= set(given_fields)
        assert not watched.written
        assert check({name: fields[name] for name in given_fields}) == whole


_DIMENSIONS = sorted(vocabulary("dimension").codes)


@settings(max_examples=300, deadline=None)
@given(
    dimensions=st.tuples(st.sampled_from(_DIMENSIONS), st.none() | st.sampled_from(_DIMENSIONS)),
    categories=st.tuples(st.text(max_size=12), st.none() | st.text(max_size=12)),
    pick=st.data(),
    count=st.integers(0, 30),
)
def test_a_breakdowns_check_reads_and_writes_only_the_fields_a_batch_gives_it(
    dimensions: tuple[str, str | None],
    categories: tuple[str, str | None],
    pick: st.DataObject,
    count: int,
) -> None:
    # A batch checks each combination of these fields once and gives every row with it
    # what the check wrote (columnar._CHECKED_FIELDS): a breakdown's check, which writes
    # category codes and the order of the dimensions, must touch no other field.
    first, second = dimensions
    category, category2 = categories
    # Often a real category of the dimension, so the codes are written and dimensions swapped.
    if pick.draw(st.booleans()):
        category = pick.draw(st.sampled_from(sorted(vocabulary(first).codes)))
    if second is not None and category2 is not None and pick.draw(st.booleans()):
        category2 = pick.draw(st.sampled_from(sorted(vocabulary(second).codes)))
    fields = {
        "activity_id": "G-1",
        "dimension": first,
        "category": category,
        "count": count,
        "dimension2": second,
        "category2": category2,
    }
    check = columnar._CROSS_CHECKS["breakdowns"][1]
    given_fields = columnar._CHECKED_FIELDS["breakdowns"]
    watched = _Reads(fields)
    whole = check(watched)
    assert watched.read <= set(given_fields)
    assert watched.written <= set(given_fields)
    part = {name: fields[name] for name in given_fields}
    assert check(part) == whole
    assert part == {name: watched[name] for name in given_fields}


#: Texts an id column may hold: plain ids, padded, blank, apostrophes, NULs, identifiers
#: (an NHI, an email, a phone number), too long for the field, and any text at all.
_ID_TEXTS = st.one_of(
    st.sampled_from(
        [
            "G-0000001",
            "D-0000002",
            " A1",
            "A2 ",
            "",
            "   ",
            "'=1+1",
            "'A3",
            "a\x00b",
            "ZAA0105",
            "kim@example.org",
            "021 555 0123",
            "x" * 65,
            "Tui Smith",
        ]
    ),
    st.text(max_size=12),
)


@pytest.mark.parametrize(("record_type", "name"), [("activities", "activity_id"),
                                                   ("breakdowns", "category"),
                                                   ("activities", "notes")])  # fmt: skip
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(_ID_TEXTS, min_size=1, max_size=12, unique=True))
def test_a_column_of_different_texts_settles_as_each_text_does_alone(
    tmp_path_factory: pytest.TempPathFactory, record_type: str, name: str, texts: list[str]
) -> None:
    # A column whose values all differ (ids) is validated as one list (`_settle_texts`):
    # each value must come out as `settle` makes it alone, SLOW where the row reader must
    # read the cell. Both ways start with the texts scanned together, as the batch does.
    path = tmp_path_factory.mktemp("ids") / f"{record_type}.csv"
    write_csv(path, [[name]])
    with open_tables(path, record_type) as found:
        reader = RowReader(found[0], record_type, "day-first", DateOrder("day-first"))
        check = columnar.FieldCheck(reader, name, name)
        check._scan_first(list(texts))
        together = check._settle_texts(list(texts))
        alone = [check.settle(t) for t in texts]
    if together is None:  # the list failed validation: each is settled alone instead
        assert any(v is columnar.SLOW for v in alone)
        return
    assert [v is columnar.SLOW for v in together] == [v is columnar.SLOW for v in alone]
    assert [v for v in together if v is not columnar.SLOW] == [
        v for v in alone if v is not columnar.SLOW
    ]


def test_rows_are_grouped_for_the_checks_only_where_equal_values_are_alike() -> None:
    # The checks across fields run once a combination (columnar._distinct): not where a
    # column holds 1 and True (equal, but a check could tell them apart), nor unhashables.
    same = [[1, 1, None], ["group", "group", "group"]]
    assert columnar._distinct(list(zip(*same, strict=True)), same) == {
        (1, "group"),
        (None, "group"),
    }
    mixed = [[1, True], ["group", "group"]]
    assert columnar._distinct(list(zip(*mixed, strict=True)), mixed) is None
    unhashable: list[list[Any]] = [[["a"], ["a"]]]
    assert columnar._distinct(list(zip(*unhashable, strict=True)), unhashable) is None
