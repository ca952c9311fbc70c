"""Cross-tabulated breakdown counts (issue 14): a second dimension read from CSV and XLSX by
its headings and synonyms, checked with the file, row and column named, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from pydantic import ValidationError
from sqlalchemy import Engine, select

from peerreport.intake.importer import Importer
from peerreport.records.models import BreakdownCount
from peerreport.store.schema import activity_breakdown
from tests.helpers import make_workspace, messages, run_import, settings_for, write_csv

ACTIVITIES = [["activity_id", "date", "kind", "attendance"], ["A1", "14/08/2026", "group", "20"]]


def _stored(engine: Engine) -> list[tuple[str, ...]]:
    b = activity_breakdown
    with engine.connect() as conn:
        rows = conn.execute(
            select(b.c.dimension, b.c.category, b.c.dimension2, b.c.category2, b.c.count)
        ).all()
    return sorted(tuple(r) for r in rows)


def test_the_model_checks_the_second_dimension() -> None:
    crossed = BreakdownCount(
        activity_id="A1",
        dimension="Ethnicity",
        category="Māori",
        dimension2="age band",
        category2="25 to 44",
        count=3,
    )
    assert (crossed.dimension2, crossed.category2, crossed.category) == (
        "age_band",
        "25_44",
        "maori",
    )
    plain = BreakdownCount(activity_id="A1", dimension="ethnicity", category="maori", count=3)
    assert (plain.dimension2, plain.category2) == (None, None)
    cases = {
        "category2 is empty but dimension2 is filled in": {"dimension2": "age_band"},
        "dimension2 is empty but category2 is filled in": {"category2": "25_44"},
        "dimension2 is 'ethnicity', the same as dimension": {
            "dimension2": "ethnicity",
            "category2": "pacific",
        },
        "category2 '25-4' is not a known age band. Did you mean": {
            "dimension2": "age_band",
            "category2": "25-4",
        },
    }
    for message, fields in cases.items():
        with pytest.raises(ValidationError, match=message):
            BreakdownCount(
                activity_id="A1", dimension="ethnicity", category="maori", count=1, **fields
            )


def test_csv_cross_rows_by_their_synonyms(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(engine, ws, write_csv(tmp_path / "activities.csv", ACTIVITIES))
    path = write_csv(
        tmp_path / "breakdowns.csv",
        [["Activity ID", "Breakdown by", "Category", "Second dimension", "Category 2", "Count"],
         ["A1", "ethnicity", "Māori", "Age band", "25 to 44", "5"],
         ["A1", "ethnicity", "maori", "age_band", "45_64", "2"],
         ["A1", "ethnicity", "maori", "", "", "7"]],
    )  # fmt: skip
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert _stored(engine) == [
        ("ethnicity", "maori", "", "", 7),
        ("ethnicity", "maori", "age_band", "25_44", 5),
        ("ethnicity", "maori", "age_band", "45_64", 2),
    ]
    # The same file again is unchanged: a count by one dimension and a cross-tabulated one
    # with the same first category are different records.
    again = run_import(engine, ws, path)
    assert (again.counts.added, again.counts.unchanged) == (0, 3)


@pytest.mark.parametrize("slow_path", [False, True])
def test_the_two_dimensions_are_stored_in_one_order(
    engine: Engine, db_url: str, tmp_path: Path, slow_path: bool
) -> None:
    """A count recorded as age band by ethnic group is stored as ethnic group by age band (the
    dimension vocabulary's order), so a rule file's `where` finds it whichever way it was
    recorded; the same cell recorded both ways is one record given twice."""
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(engine, ws, write_csv(tmp_path / "activities.csv", ACTIVITIES))
    header = ["activity_id", "dimension", "category", "dimension2", "category2", "count"]
    path = write_csv(
        tmp_path / "breakdowns.csv",
        [header,
         ["A1", "age_band", "25 to 44", "ethnicity", "Māori", "5"],
         ["A1", "gender", "female", "age_band", "45_64", "2"]],
    )  # fmt: skip
    report = Importer(engine, settings_for(ws), slow_path=slow_path).run([path])
    assert report.stored, messages(report)
    assert _stored(engine) == [
        ("age_band", "45_64", "gender", "female", 2),
        ("ethnicity", "maori", "age_band", "25_44", 5),
    ]
    both = write_csv(
        tmp_path / "both.csv",
        [header,
         ["A1", "ethnicity", "maori", "age_band", "25_44", "5"],
         ["A1", "age_band", "25_44", "ethnicity", "maori", "6"]],
    )  # fmt: skip
    twice = Importer(engine, settings_for(ws), slow_path=slow_path).run([both])
    assert not twice.stored
    assert messages(twice) == [
        "both.csv, row 3: activity_id, dimension, category, dimension2, category2 "
        "A1 / ethnicity / maori / age_band / 25_44 appears more than once in this import"
    ]


def test_csv_problems_name_file_row_and_column(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    run_import(engine, ws, write_csv(tmp_path / "activities.csv", ACTIVITIES))
    path = write_csv(
        tmp_path / "breakdowns.csv",
        [["activity_id", "dimension", "category", "dimension 2", "category 2", "count"],
         ["A1", "ethnicity", "maori", "age_band", "25-4", "5"],
         ["A1", "ethnicity", "maori", "age_band", "", "5"],
         ["A1", "ethnicity", "maori", "ethnicity", "pacific", "5"],
         ["A1", "ethnicity", "maori", "age_band", "15_24", "5"],
         ["A1", "ethnicity", "maori", "age_band", "15_24", "6"]],
    )  # fmt: skip
    found = messages(run_import(engine, ws, path))
    assert found[0].startswith('breakdowns.csv, row 2, column "category 2": "25-4" is not on the')
    assert "age band list" in found[0]
    assert found[1] == (
        'breakdowns.csv, row 3, column "category 2": category2 is empty but dimension2 is filled '
        "in: a cross-tabulated count needs both dimension2 and category2 (leave both blank for "
        "a count by one dimension)"
    )
    assert found[2] == (
        "breakdowns.csv, row 4, column \"dimension 2\": dimension2 is 'ethnicity', the same as "
        "dimension: a second dimension must differ from the first"
    )
    assert found[3] == (
        "breakdowns.csv, row 6: activity_id, dimension, category, dimension2, category2 "
        "A1 / ethnicity / maori / age_band / 15_24 appears more than once in this import"
    )
    assert len(found) == 4


def test_xlsx_cross_rows_and_a_bad_cell(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Activity ID", "Date", "Kind", "Attendance"])
    sheet.append(["X1", "14/08/2026", "group", 12])
    breakdowns = book.create_sheet("Breakdowns")
    breakdowns.append(["Activity ID", "Breakdown by", "Category", "Second breakdown by",
                       "Second category", "Count"])  # fmt: skip
    breakdowns.append(["X1", "Gender", "Female", "Age band", "65+", 2])
    breakdowns.append(["X1", "gender", "male", None, None, 4])
    path = tmp_path / "log.xlsx"
    book.save(path)
    report = run_import(engine, ws, path)
    assert report.stored, messages(report)
    assert _stored(engine) == [
        ("age_band", "65_plus", "gender", "female", 2),  # in the vocabulary's order
        ("gender", "male", "", "", 4),
    ]
    breakdowns.append(["X1", "gender", "male", "age_band", "older", 1])
    book.save(path)
    found = messages(run_import(engine, ws, path))
    assert len(found) == 1
    assert found[0].startswith('log.xlsx, sheet "Breakdowns", cell E4 (column "Second category")')
    assert '"older" is not on the age band list' in found[0]
