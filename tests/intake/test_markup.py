"""A coordinator's own file back, marked up: real workbooks, checked cell by cell.

Each test imports a file with mistakes, marks it up and opens the result with
openpyxl: the problem cells are highlighted and commented, the Problems sheet
lists them with links, everything else of the coordinator's workbook is as it
was, nothing identifying is written, and no text can run as a formula. The
round trip (mark up, correct the copy, import the copy) stores the records.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from sqlalchemy import Engine

from peerreport.errors import InputFileError, PeerreportError, UsageError
from peerreport.findings import Finding, Location, Severity
from peerreport.findings_catalogue import CATALOGUE
from peerreport.intake.limits import REFUSAL_CODES, InputLimits, refuse
from peerreport.intake.markup import AUTHOR, HEADINGS, mark_up, marked_up_name
from peerreport.workspace import Workspace
from tests.helpers import make_workspace, messages, run_import, stored_activities, write_csv
from tests.intake import hostile

NHI = "ZAA0067"
TOKEN = "tui42x"
FILL = "00FFC7CE"


def _log(path: Path) -> Path:
    """A coordinator's own workbook: formatting, a second sheet, a formula, five mistakes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Activity ID", "Date", "Kind", "Attendance", "Notes", "Member tokens"])
    sheet.append(["A1", dt.date(2026, 8, 14), "group", 9, "went well", "kereru7"])
    sheet.append(["A2", "31/02/2026", "group", -1, f"Call {NHI} later", TOKEN])
    sheet.append(["A3", None, "drop in", 5, None, None])
    sheet.append(["A4", dt.date(2026, 8, 15), "nope", 5, None, None])
    sheet["B4"].comment = Comment("ask Kim which day", "Kim")
    sheet["A1"].font = Font(bold=True, color="1F4E79")
    sheet["B2"].number_format = "dd/mm/yyyy"
    sheet.column_dimensions["E"].width = 40
    lists = book.create_sheet("Lists")
    lists.append(["Kinds", "Total"])
    lists.append(["group", "=COUNTIF(Activities!C:C,A2)"])
    book.save(path)
    return path


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    return make_workspace(tmp_path / "ws", db_url)


def _marked(engine: Engine, ws: Workspace, source: Path, **settings: Any) -> tuple[Path, Any]:
    report = run_import(engine, ws, source, **settings)
    assert not report.stored
    file = report.files[0]
    out = mark_up(source, file.problems, source.parent / "out" / marked_up_name(source), total=None)
    return out, load_workbook(out)


def _texts(book: Any) -> list[str]:
    """Every text peerreport wrote: the Problems sheet's cells and every comment."""
    found = [str(v) for row in book["Problems"].iter_rows(values_only=True) for v in row if v]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            found += [c.comment.text for c in row if c.comment is not None]
    return found


def _style(cell: Any, *names: str) -> list[str]:
    """A cell's styles, comparable across workbooks."""
    return [repr(getattr(cell, name)) for name in names]


def _is_marked(cell: Any) -> bool:
    sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
    return cell.fill.fgColor.rgb == FILL and all(s.style == "thick" for s in sides)


# ---------------------------------------------------------------- a workbook


def test_each_problem_cell_is_highlighted_with_a_comment(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    out, book = _marked(engine, ws, _log(tmp_path / "log.xlsx"))
    assert out == tmp_path / "out" / "log.problems.xlsx"
    sheet = book["Activities"]
    marked = {c.coordinate for row in sheet.iter_rows() for c in row if _is_marked(c)}
    assert marked == {"B3", "D3", "E3", "B4", "C5"}
    assert sheet["D3"].comment.author == AUTHOR
    assert sheet["D3"].comment.text == (
        '"-1" is too small: it must be 0 or more\n'
        "How to fix: Counts and durations cannot be negative."
    )
    assert sheet["B4"].comment.text.startswith(
        "This cell is empty: enter the date of the session, e.g. 14/08/2026\n"
        "How to fix: Fill in the cell."
    )
    # The cell's own note is kept below peerreport's comment.
    assert sheet["B4"].comment.text.endswith(
        "--- the cell's own note (by Kim), kept: ---\nask Kim which day"
    )


def test_everything_else_of_the_workbook_is_as_it_was(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    source = _log(tmp_path / "log.xlsx")
    _, book = _marked(engine, ws, source)
    before = load_workbook(source)
    assert book.sheetnames == ["Activities", "Lists", "Problems"]
    for title in before.sheetnames:
        for old_row, new_row in zip(
            before[title].iter_rows(), book[title].iter_rows(), strict=True
        ):
            for old, new in zip(old_row, new_row, strict=True):
                assert (new.value, new.data_type) == (old.value, old.data_type), new.coordinate
                assert _style(new, "number_format", "font", "alignment", "protection") == _style(
                    old, "number_format", "font", "alignment", "protection"
                )
                if not _is_marked(new):
                    assert _style(new, "fill", "border") == _style(old, "fill", "border")
    assert book["Lists"]["B2"].value == "=COUNTIF(Activities!C:C,A2)"  # still a formula
    assert book["Activities"]["A1"].font.color.rgb == "001F4E79"
    assert book["Activities"].column_dimensions["E"].width == 40
    assert book["Activities"]["E3"].value == f"Call {NHI} later"  # their data, unchanged
    # Opens on the Problems sheet, and no other sheet is selected with it.
    assert book.active.title == "Problems"
    assert [s.sheet_view.tabSelected for s in book.worksheets] == [False, False, True]


def test_the_problems_sheet_lists_each_problem_with_a_link_to_its_cell(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    _, book = _marked(engine, ws, _log(tmp_path / "log.xlsx"))
    rows = list(book["Problems"].iter_rows(values_only=True))
    assert rows[0] == HEADINGS
    assert rows[1] == (
        "Activities",
        "B3",
        "Date",
        '"31/02/2026" is not a date: February 2026 has no day 31',
        "Write the date as DD/MM/YYYY (e.g. 14/08/2026) or YYYY-MM-DD, or use a date cell.",
    )
    assert [r[1] for r in rows[1:]] == ["B3", "E3", "D3", "B4", "C5"]
    assert rows[4][3] == "This cell is empty: enter the date of the session, e.g. 14/08/2026"
    links = [r[0].hyperlink for r in book["Problems"].iter_rows(min_row=2, min_col=2, max_col=2)]
    assert [(link.ref, link.location) for link in links] == [
        ("B2", "'Activities'!B3"),
        ("B3", "'Activities'!E3"),
        ("B4", "'Activities'!D3"),
        ("B5", "'Activities'!B4"),
        ("B6", "'Activities'!C5"),
    ]
    assert book["Problems"].freeze_panes == "A2"


def test_identifiers_never_reach_the_problems_sheet_or_a_comment(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    _, book = _marked(engine, ws, _log(tmp_path / "log.xlsx"))
    texts = _texts(book)
    assert any("Z******" in t for t in texts)  # the NHI, masked as the import report masks it
    assert not [t for t in texts if NHI in t or TOKEN in t or "kereru7" in t]


def test_an_identifier_a_caller_left_in_a_message_is_masked(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    where = 'log.xlsx, sheet "Activities"'
    problems = [
        Finding("IMP-021", Severity.ERROR, f"{NHI} is wrong", f"Ask {NHI}", Location(where, 2)),
        Finding("IMP-021", Severity.ERROR, "x", "", Location(where, 3, f"Notes {NHI}")),
    ]
    book = load_workbook(mark_up(source, problems, tmp_path / "out.xlsx"))
    texts = _texts(book)
    assert not [t for t in texts if NHI in t]
    assert "Z****** is wrong" in texts


def test_no_text_peerreport_writes_can_run_as_a_formula(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    where = 'log.xlsx, sheet "Activities"'
    evil = '=HYPERLINK("http://evil.example","click")'
    problems = [
        Finding("IMP-021", Severity.ERROR, evil, "@SUM(1+1)", Location(where, 2, "+cmd", None)),
        Finding("IMP-021", Severity.ERROR, "-2+3", "", Location(f'x, sheet "{"=A1"}"', 2)),
    ]
    book = load_workbook(mark_up(source, problems, tmp_path / "out.xlsx"))
    cells = [c for row in book["Problems"].iter_rows() for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells)
    values = [c.value for c in cells]
    assert "'" + evil in values and "'@SUM(1+1)" in values and "'+cmd" in values
    assert book["Activities"]["A2"].comment.text.startswith("'" + evil)


def test_several_problems_on_one_cell_share_one_comment(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    where = 'log.xlsx, sheet "Activities"'
    problems = [
        Finding("IMP-021", Severity.ERROR, "first", "Fix one.", Location(where, 3, address="D3")),
        Finding("IMP-021", Severity.ERROR, "second", "Fix two.", Location(where, 3, address="D3")),
    ]
    book = load_workbook(mark_up(source, problems, tmp_path / "out.xlsx"))
    assert book["Activities"]["D3"].comment.text == (
        "2 problems here:\n1. first\n   How to fix: Fix one.\n2. second\n   How to fix: Fix two."
    )
    assert [r[1] for r in book["Problems"].iter_rows(min_row=2, values_only=True)] == ["D3"] * 2


def test_a_column_problem_is_on_its_heading_and_a_row_problem_on_the_rows_first_cell(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "own.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Harbour activity log 2026"])  # a title row above the headings
    sheet.append(["Activity ID", "Date", "Kind", "Attendance", "Client name"])
    sheet.append(["A1", dt.date(2026, 8, 14), "group", 9, "Aroha Walker"])
    book.save(path)
    _, marked = _marked(engine, ws, path)
    assert marked["Activities"]["E2"].comment.text.startswith('"Client name" looks like a name')
    assert _is_marked(marked["Activities"]["E2"]) and not _is_marked(marked["Activities"]["E3"])
    assert "Aroha" not in " ".join(_texts(marked))

    sheet.delete_cols(5)
    sheet.delete_cols(3)  # no Kind column: a problem of the table, on its first heading
    book.save(path)
    report = run_import(engine, ws, path)
    assert [p.code for p in report.files[0].problems] == ["IMP-010"]
    marked = load_workbook(mark_up(path, report.files[0].problems, tmp_path / "o.xlsx"))
    assert marked["Activities"]["A2"].comment.text.startswith('there is no "Kind of activity"')

    where = 'own.xlsx, sheet "Activities"'
    row = Finding("IMP-040", Severity.ERROR, "twice", "", Location(where, 3))
    past = Finding("IMP-040", Severity.ERROR, "past the data", "", Location(where, 99))
    marked = load_workbook(mark_up(path, [row, past], tmp_path / "o.xlsx"))
    assert _is_marked(marked["Activities"]["A3"])
    assert marked["Activities"].max_row == 3  # a cell past the data is listed, not made
    assert [r[:2] for r in marked["Problems"].iter_rows(min_row=2, values_only=True)] == [
        ("Activities", "A3"),
        ("Activities", None),
    ]


def test_a_problem_in_a_merged_cell_is_on_the_merged_ranges_first_cell(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    book = load_workbook(source)
    book["Activities"].merge_cells("E4:F4")
    book.save(source)
    where = 'log.xlsx, sheet "Activities"'
    problem = Finding("IMP-021", Severity.ERROR, "bad", "", Location(where, 4, address="F4"))
    marked = load_workbook(mark_up(source, [problem], tmp_path / "out.xlsx"))
    assert _is_marked(marked["Activities"]["E4"])
    assert marked["Problems"]["B2"].hyperlink.location == "'Activities'!E4"


def test_a_problem_about_the_whole_file_is_listed_without_a_cell(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    problem = Finding("IMP-001", Severity.ERROR, "no sheet", "Name it.", Location("log.xlsx"))
    book = load_workbook(mark_up(source, [problem], tmp_path / "out.xlsx"))
    assert list(book["Problems"].iter_rows(min_row=2, values_only=True)) == [
        ("(the whole file)", None, None, "no sheet", "Name it.")
    ]
    assert book["Problems"]["B2"].hyperlink is None


def test_a_capped_problem_list_says_how_many_more_there_are(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    where = 'log.xlsx, sheet "Activities"'
    problems = [Finding("IMP-021", Severity.ERROR, "bad", "", Location(where, 3, address="D3"))]
    book = load_workbook(mark_up(source, problems, tmp_path / "out.xlsx", total=1001))
    last = list(book["Problems"].iter_rows(values_only=True))[-1]
    assert last[0] == (
        "... and 1,000 more problems, not listed or highlighted here: correct these and import "
        "the file again to see the rest"
    )


# ---------------------------------------------------------------- the round trip


def _fix(path: Path) -> None:
    """Correct the highlighted cells of the marked-up copy, as a coordinator would in Excel."""
    book = load_workbook(path)
    sheet = book["Activities"]
    sheet["B3"], sheet["D3"], sheet["E3"] = dt.date(2026, 2, 28), 1, "Call back later"
    sheet["B4"], sheet["C5"] = dt.date(2026, 8, 14), "Drop-in"
    book.save(path)


def test_the_corrected_copy_imports_as_it_is(engine: Engine, ws: Workspace, tmp_path: Path) -> None:
    out, _ = _marked(engine, ws, _log(tmp_path / "log.xlsx"))
    # Not corrected yet: the same problems (the Problems sheet is not read).
    first = run_import(engine, ws, tmp_path / "log.xlsx")
    again = run_import(engine, ws, out)
    assert [m.split(", ", 1)[1] for m in messages(again)] == [
        m.split(", ", 1)[1] for m in messages(first)
    ]
    _fix(out)
    report = run_import(engine, ws, out)
    assert report.stored, messages(report)
    assert report.files[0].notices[0] == (
        'log.problems.xlsx, sheet "Problems": not read; it is the list of problems peerreport '
        "adds to a workbook it marks up"
    )
    stored = stored_activities(engine, ws.provider_code)
    assert sorted(stored) == ["A1", "A2", "A3", "A4"]
    assert stored["A2"]["attendance"] == 1 and stored["A4"]["kind"] == "drop_in"


def test_marking_up_a_marked_up_copy_takes_off_the_earlier_marks(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    out, _ = _marked(engine, ws, _log(tmp_path / "log.xlsx"))
    book = load_workbook(out)
    book["Activities"]["B3"] = dt.date(2026, 2, 28)
    book["Activities"]["D3"] = 1
    book["Activities"]["B4"] = dt.date(2026, 8, 14)
    book.save(out)
    report = run_import(engine, ws, out)
    again = mark_up(out, report.files[0].problems, tmp_path / marked_up_name(out))
    assert again.name == "log.problems.problems.xlsx"
    marked = load_workbook(again)
    assert marked.sheetnames == ["Activities", "Lists", "Problems"]
    sheet = marked["Activities"]
    assert {c.coordinate for row in sheet.iter_rows() for c in row if _is_marked(c)} == {
        "E3",
        "C5",
    }
    assert sheet["B3"].comment is None and sheet["B3"].fill.fill_type is None
    # The cell's own note is back as it was, by its own author.
    assert (sheet["B4"].comment.text, sheet["B4"].comment.author) == ("ask Kim which day", "Kim")
    assert [r[1] for r in marked["Problems"].iter_rows(min_row=2, values_only=True)] == [
        "E3",
        "C5",
    ]


def test_a_workbooks_own_problems_sheet_is_kept_and_not_read(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    source = _log(tmp_path / "log.xlsx")
    book = load_workbook(source)
    book.create_sheet("Problems").append(["Roof leaks", "call the landlord"])
    book.save(source)
    report = run_import(engine, ws, source)
    assert 'log.xlsx, sheet "Problems": not read' in report.files[0].notices[0]
    marked = load_workbook(mark_up(source, report.files[0].problems, tmp_path / "out.xlsx"))
    assert marked.sheetnames == ["Activities", "Lists", "Problems", "Problems found"]
    assert marked["Problems"]["A1"].value == "Roof leaks"
    assert marked.active.title == "Problems found"


# ---------------------------------------------------------------- CSV and JSON Lines


def test_a_csvs_rows_keep_the_row_numbers_the_import_report_gives(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "activities.csv"
    path.write_text(
        "activity_id,date,kind,attendance,notes\n"
        'A1,14/08/2026,group,9,"two\nlines"\n'
        "\n"
        "A2,31/02/2026,group,-1,=1+2\n"
        f"A3,,group,5,Call {NHI}\n",
        encoding="utf-8",
    )
    report = run_import(engine, ws, path)
    assert messages(report)[0].startswith('activities.csv, row 4, column "date"')
    _, book = _marked(engine, ws, path)
    assert book.sheetnames == ["Activities", "Problems"]
    sheet = book["Activities"]
    assert [c.value for c in sheet[1]] == ["activity_id", "date", "kind", "attendance", "notes"]
    assert [c.value for c in sheet[2]] == ["A1", "14/08/2026", "group", "9", "two\nlines"]
    assert all(c.value is None for c in sheet[3])  # the empty row keeps its place
    assert [c.value for c in sheet[4]] == ["A2", "31/02/2026", "group", "-1", "'=1+2"]
    assert sheet["E5"].value == "Call Z******"  # identifiers masked, as in a rejects file
    marked = {c.coordinate for row in sheet.iter_rows() for c in row if _is_marked(c)}
    assert marked == {"B4", "D4", "B5", "E5"}
    assert sheet["B4"].comment.text.startswith('"31/02/2026" is not a date')
    rows = list(book["Problems"].iter_rows(values_only=True))
    assert rows[0] == (*HEADINGS, "In your file")
    assert rows[1][:3] == ("Activities", "B4", "date")
    assert rows[1][5] == "row 4 of the file"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert not [t for t in _texts(book) if NHI in t]
    assert not [v for row in sheet.iter_rows(values_only=True) for v in row if NHI in str(v)]


def test_a_csv_column_refused_for_its_heading_is_copied_without_its_cells(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "kind", "attendance", "Client name"],
            ["C1", "14/08/2026", "group", "9", "Tama"],
        ],
    )
    _, book = _marked(engine, ws, path)
    sheet = book["Activities"]
    assert [c.value for c in sheet[1]] == [
        "activity_id",
        "date",
        "kind",
        "attendance",
        "Client name",
    ]
    assert [c.value for c in sheet[2]] == ["C1", "14/08/2026", "group", "9", None]
    assert _is_marked(sheet["E1"]) and sheet["E1"].comment.text.startswith('"Client name" looks')
    assert "Tama" not in json.dumps([list(s.values) for s in book.worksheets])


def test_a_corrected_csv_copy_imports_as_it_is(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ["activity_id", "date", "kind", "attendance"],
            ["C1", "14/08/2026", "group", "9"],
            ["C2", "14/08/2026", "group", "-1"],
        ],
    )
    out, book = _marked(engine, ws, path)
    book["Activities"]["D3"] = 4
    book.save(out)
    report = run_import(engine, ws, out)
    assert report.stored, messages(report)
    assert stored_activities(engine, ws.provider_code)["C2"]["attendance"] == 4


def test_a_json_lines_files_line_n_is_row_n_plus_one(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "activities.jsonl"
    lines = [
        {"activity_id": "J1", "date": "2026-08-14", "kind": "group", "attendance": 9},
        {"activity_id": "J2", "date": "2026-08-32", "kind": "group", "attendance": 3},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", "utf-8")
    _, book = _marked(engine, ws, path)
    sheet = book["Activities"]
    assert [c.value for c in sheet[2]] == ["J1", "2026-08-14", "group", 9]
    assert _is_marked(sheet["B3"]) and _is_marked(sheet["A4"])
    rows = list(book["Problems"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[5]) for r in rows] == [
        ("B3", "line 2 of the file"),
        ("A4", "line 3 of the file"),
    ]


# ---------------------------------------------------------------- nothing to mark up


def test_a_file_refused_as_a_whole_cannot_be_marked_up(
    engine: Engine, ws: Workspace, tmp_path: Path
) -> None:
    path = hostile.utf16_csv(tmp_path / "activities.csv")
    report = run_import(engine, ws, path)
    out = tmp_path / "out.xlsx"
    with pytest.raises(InputFileError) as refused:
        mark_up(path, report.files[0].problems, out)
    assert str(refused.value).startswith(
        "activities.csv: the file is saved as UTF-16 text (Excel's 'Unicode Text')"
    )
    assert "There is nothing to mark up: the file is refused as a whole" in str(refused.value)
    assert not out.exists()

    bomb = hostile.empty_rows_workbook(tmp_path / "bomb.xlsx", 200_000, numbered=False)
    limits = InputLimits(ratio_floor_bytes=100_000)
    with pytest.raises(InputFileError, match=r"a zip bomb.*There is nothing to mark up"):
        mark_up(bomb, [], out, limits=limits)  # refused unread even without its finding
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"not a workbook")
    with pytest.raises(InputFileError, match=r"not a readable \.xlsx.*there is nothing to mark up"):
        mark_up(damaged, [], out)
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_the_refusal_codes_are_declared_and_only_they_refuse() -> None:
    assert set(CATALOGUE) >= REFUSAL_CODES
    with pytest.raises(ValueError, match="IMP-021"):
        refuse("IMP-021", "not a refusal", "x.csv")


def test_the_copy_never_replaces_its_source(tmp_path: Path) -> None:
    source = _log(tmp_path / "log.xlsx")
    with pytest.raises(UsageError):
        mark_up(source, [], source)


def test_marked_up_name() -> None:
    assert marked_up_name(Path("q3/activity-log.xlsx")) == "activity-log.problems.xlsx"
    assert marked_up_name(Path("activities.csv")) == "activities.problems.xlsx"


# ---------------------------------------------------------------- never a crash

_WHERE = st.sampled_from(
    ['log.xlsx, sheet "Activities"', 'log.xlsx, sheet "Lists"', "log.xlsx", "", 'x, sheet "y"']
)
_TEXT = st.text(max_size=40)
_LOCATIONS = st.builds(
    Location,
    file=st.one_of(st.none(), _WHERE, _TEXT),
    row=st.one_of(st.none(), st.integers(min_value=-5, max_value=2_000_000)),
    column=st.one_of(st.none(), st.sampled_from(["Date", "Notes", "Kind"]), _TEXT),
    address=st.one_of(
        st.none(), st.sampled_from(["B3", "A1", "XFD1048576", "XFE1", "B0", "E4"]), _TEXT
    ),
)
_CODES = st.sampled_from(sorted(CATALOGUE))
_FINDINGS = st.lists(
    st.builds(
        Finding,
        code=_CODES,
        severity=st.sampled_from(Severity),
        message=_TEXT,
        hint=_TEXT,
        location=_LOCATIONS,
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def small_files() -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = _log(root / "log.xlsx")
        book = load_workbook(path)
        book["Activities"].merge_cells("E4:F4")
        book.save(path)
        rows = [["activity_id", "date", "kind", "attendance"], ["A1", "14/08/2026", "group", "9"]]
        yield path, write_csv(root / "activities.csv", rows)


@settings(max_examples=60, deadline=None)
@given(problems=_FINDINGS, total=st.one_of(st.none(), st.integers(-3, 5000)))
def test_mark_up_never_crashes_on_any_problem_list(
    small_files: tuple[Path, Path], problems: list[Finding], total: int | None
) -> None:
    for source in small_files:
        before = source.read_bytes()
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "out.xlsx"
            try:
                mark_up(source, problems, out, total=total)
            except PeerreportError:
                assert any(p.code in REFUSAL_CODES for p in problems)
                assert not out.exists()
                continue
            book = load_workbook(out)
            assert book.sheetnames[-1] == "Problems" and book.active.title == "Problems"
            assert book["Problems"].max_row >= 1 + len(problems)
            for (cell,) in book["Problems"].iter_rows(min_row=2, min_col=2, max_col=2):
                if cell.hyperlink is not None:  # every link leads to a marked cell
                    title, _, address = cell.hyperlink.location.rpartition("!")
                    assert _is_marked(book[title.strip("'").replace("''", "'")][address])
        assert source.read_bytes() == before  # the coordinator's own file is never changed
