"""The committed messy workbook: what the generator makes, and one clear message per mistake."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from peerreport.privacy.detectors.nhi import is_valid_nhi
from peerreport.samples.messy import (
    BLANK_ROW,
    HEADINGS,
    MISTAKES,
    STRAY_NHI,
    STRAY_ROW,
    TITLE_ROW,
    main,
    write_messy_workbook,
)
from peerreport.store.schema import RECORD_TABLES
from tests.helpers import make_workspace, run_import

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MESSY = SAMPLES / "messy-activity-log.xlsx"
WHERE = 'messy-activity-log.xlsx, sheet "Activities"'

# (row, column, code) -> words the message must have. One entry per planted mistake.
EXPECTED: dict[tuple[int | None, str | None, str], tuple[str, ...]] = {
    (5, "Date", "IMP-021"): (
        '"04/13/2026" is not a date: did you mean 13/04/2026 (13 April 2026)?',
        "DD/MM/YYYY",
        "date_order",
    ),
    (7, "Date", "IMP-021"): ('"31/02/2026"', "February 2026 has no day 31"),
    (9, "Notes", "PRV-002"): ("NHI number", "Z******"),
    (10, "Attendees", "IMP-021"): ('"-2"', "too small", "0 or more"),
    (11, "Activity type", "IMP-021"): (
        '"gorup" is not on the kind of activity list',
        'did you mean "Peer support group session"?',
    ),
    (40, "Notes", "IMP-030"): ("is the only filled cell in row 40", "delete it if it is stray"),
}


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_committed_file_is_what_the_generator_makes(tmp_path: Path) -> None:
    fresh = write_messy_workbook(tmp_path / "messy-activity-log.xlsx")
    assert _cells(fresh) == _cells(MESSY)
    assert load_workbook(fresh)["Activities"].merged_cells.ranges == (
        load_workbook(MESSY)["Activities"].merged_cells.ranges
    )


def test_the_module_runs_as_a_script(tmp_path: Path) -> None:
    out = tmp_path / "again.xlsx"
    assert main([str(out)]) == 0
    assert _cells(out) == _cells(MESSY)
    assert main([]) == 2


def test_the_mistakes_are_the_ones_coordinators_make() -> None:
    sheet = load_workbook(MESSY)["Activities"]
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:J1"]  # a merged title row
    assert sheet.cell(row=TITLE_ROW, column=1).value
    assert all(c.value is None for c in sheet[BLANK_ROW])  # a blank row in the middle
    assert sheet.max_row > BLANK_ROW + 1
    assert {(m.row, m.column) for m in MISTAKES} == {(r, c) for r, c, _ in EXPECTED}
    # The identifier is a test-range NHI number whose check character is valid.
    assert STRAY_NHI.startswith("Z") and is_valid_nhi(STRAY_NHI)


def test_importing_stores_nothing_and_says_one_thing_per_mistake(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    report = run_import(engine, workspace, MESSY)

    assert not report.stored
    with engine.connect() as conn:
        for table in RECORD_TABLES.values():
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
    problems = report.files[0].problems
    found = {(p.location.row, p.location.column, p.code) for p in problems}
    assert found == set(EXPECTED)
    assert len(problems) == len(EXPECTED) == report.problem_count  # exactly one each
    for problem in problems:
        key = (problem.location.row, problem.location.column, problem.code)
        text = str(problem)
        letter = "ABCDEFGHI"[HEADINGS.index(str(key[1]))]
        assert text.startswith(f'{WHERE}, cell {letter}{key[0]} (column "{key[1]}"): '), text
        for words in EXPECTED[key]:
            assert words in text, (words, text)
        assert problem.hint
    assert STRAY_NHI not in json.dumps(report.to_dict())  # the identifier only ever masked


def test_the_title_row_the_empty_rows_and_the_extra_column_are_notices_not_errors(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    report = run_import(engine, workspace, MESSY)

    assert report.files[0].notices == [
        f"{WHERE}: row {TITLE_ROW} is above the headings (a title?) and not read",
        f"{WHERE}: rows {BLANK_ROW} and 13 to {STRAY_ROW - 1} are empty: skipped",
        f'{WHERE}: peerreport does not know the column "Room" (column J), so it is not stored',
    ]  # one line each: not one per empty row, and the stray cell is one finding
    rows_with_problems = {p.location.row for p in report.files[0].problems}
    assert TITLE_ROW not in rows_with_problems and BLANK_ROW not in rows_with_problems


def test_the_readme_lists_every_mistake() -> None:
    readme = (SAMPLES / "README.md").read_text("utf-8")
    for mistake in MISTAKES:
        assert f"| {mistake.row} | {mistake.column} |" in readme, mistake
