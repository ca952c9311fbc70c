"""The intake workbook, cell by cell: sheets, headings, notes, drop-downs and checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from peerreport.intake.headings import match_heading, readable_heading, record_type_for_name
from peerreport.intake.sources import HEADER_SCAN_ROWS, open_tables
from peerreport.records.models import RECORD_TYPES
from peerreport.records.vocabulary import vocabulary
from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.sources import DIMENSIONS
from peerreport.templates_intake import (
    GUIDANCE_SHEET,
    LISTS_SHEET,
    MAX_ROWS,
    SHEET_NAMES,
    return_use,
    write_intake_workbook,
)
from tests.templates_intake.reading import fields, headings, list_range, validations

ROWS = 5000  # the default: validations on rows 2 to 5001
LAST_ROW = ROWS + 1


def _vocabulary_fields() -> list[tuple[str, str, str]]:
    """(record type, field, vocabulary) for every closed-vocabulary field of the model."""
    found = []
    for record_type, model in RECORD_TYPES.items():
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if isinstance(extra.get("vocabulary"), str):
                found.append((record_type, name, str(extra["vocabulary"])))
    return found


def _fields_of_type(*types: type) -> list[tuple[str, str]]:
    """(record type, field) for fields whose annotation is or includes one of `types`."""
    found = []
    for record_type, model in RECORD_TYPES.items():
        for name, info in model.model_fields.items():
            text = str(info.annotation)
            if any(t is info.annotation or t.__qualname__ in text for t in types):
                found.append((record_type, name))
    return found


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_intake_workbook(tmp_path_factory.mktemp("intake") / "intake.xlsx")


@pytest.fixture(scope="module")
def book(path: Path) -> Workbook:
    return load_workbook(path)


def test_guidance_first_then_record_sheets_then_hidden_lists(book: Workbook) -> None:
    assert book.sheetnames == [GUIDANCE_SHEET, *SHEET_NAMES.values(), LISTS_SHEET]
    assert list(SHEET_NAMES.values()) == ["Activities", "Breakdowns", "Workforce", "Feedback"]
    assert book.active is not None and book.active.title == GUIDANCE_SHEET
    assert book[LISTS_SHEET].sheet_state == "hidden"
    for name in (GUIDANCE_SHEET, *SHEET_NAMES.values()):
        assert book[name].sheet_state == "visible", name
    for record_type, name in SHEET_NAMES.items():
        assert record_type_for_name(name) == record_type  # intake finds each sheet by name
    assert record_type_for_name(GUIDANCE_SHEET) is None
    assert record_type_for_name(LISTS_SHEET) is None


def test_headings_are_readable_bold_frozen_explained_and_read_back(book: Workbook) -> None:
    for record_type, name in SHEET_NAMES.items():
        sheet = book[name]
        model = RECORD_TYPES[record_type]
        assert headings(sheet) == [readable_heading(f) for f in model.model_fields], name
        assert fields(sheet) == list(model.model_fields), name  # intake reads each heading
        assert sheet.freeze_panes == "A2"
        for cell, field_name in zip(sheet[1], model.model_fields, strict=False):
            field = model.model_fields[field_name]
            assert cell.font.bold, cell.coordinate
            assert cell.comment is not None, f"{name} {cell.value}: no note"
            note = cell.comment.text
            assert note.startswith(f"{cell.value}: {field.description}")
            assert ("Required" if field.is_required() else "Optional") in note
            assert "Example: " in note or "Choose from" in note
            assert "Accepted" in note or "Choose from the drop-down list" in note
            width = sheet.column_dimensions[cell.column_letter].width
            assert len(str(cell.value)) < width <= 43, (cell.value, width)
    activities = headings(book["Activities"])
    for readable in ("Activity ID", "Duration (minutes)", "Kind of activity", "Delivery mode"):
        assert readable in activities


def test_required_headings_are_shaded(book: Workbook) -> None:
    sheet = book["Activities"]
    shaded = {str(c.value) for c in sheet[1] if c.value and c.fill.fill_type == "solid"}
    assert shaded == {"Activity ID", "Date", "Kind of activity", "Attendance"}


@pytest.mark.parametrize(("record_type", "field", "vocab"), _vocabulary_fields())
def test_every_vocabulary_field_has_a_drop_down_of_exactly_its_labels(
    book: Workbook, record_type: str, field: str, vocab: str
) -> None:
    validation = validations(book[SHEET_NAMES[record_type]])[field]
    assert validation.type == "list"
    assert "!" in str(validation.formula1)  # a range on the Lists sheet, not an inline list
    labels = [t.label for t in vocabulary(vocab).terms]
    assert list_range(book, validation) == labels  # what a person reads, not the codes
    assert str(validation.sqref) == _cells(book, record_type, field)
    # Each label reads back as its own code, so every choice imports as it is.
    assert [vocabulary(vocab).resolve(label) for label in labels] == list(vocabulary(vocab).codes)
    # The note lists every choice, and no code.
    note = book[SHEET_NAMES[record_type]].cell(row=1, column=_column(book, record_type, field))
    assert note.comment is not None
    for term in vocabulary(vocab).terms:
        assert f"  {term.label}" in note.comment.text
        if "_" in term.code:  # a code no label spells ('warm_line_call')
            assert term.code not in note.comment.text, term.code


def test_the_lists_sheet_gives_each_choice_its_code(book: Workbook) -> None:
    sheet = book[LISTS_SHEET]
    validation = validations(book["Activities"])["kind"]
    reference = str(validation.formula1).rsplit("!", 1)[1].replace("$", "")
    pairs = [
        (row[0].value, sheet.cell(row=row[0].row, column=row[0].column + 1).value)
        for row in sheet[reference]
    ]
    assert pairs == [(t.label, t.code) for t in vocabulary("kind").terms]
    assert ("Warm-line call", "warm_line_call") in pairs


def test_expected_closed_lists_are_all_there() -> None:
    fields = {(rt, f) for rt, f, _ in _vocabulary_fields()}
    expected = {
        ("activities", "kind"),
        ("activities", "mode"),
        ("activities", "setting"),
        ("activities", "population_focus"),
        ("breakdowns", "dimension"),
        ("workforce", "role"),
    }
    assert expected <= fields


def test_category_offers_every_breakdown_dimension_s_labels(book: Workbook) -> None:
    validation = validations(book["Breakdowns"])["category"]
    offered = list_range(book, validation)
    expected: list[str] = []
    for dimension in DIMENSIONS:
        expected += [t.label for t in vocabulary(dimension).terms if t.label not in expected]
    assert offered == expected
    assert len(offered) == len(set(offered))
    assert "Not stated" in offered and "25 to 44" in offered and "Māori" in offered
    assert "Both Aboriginal and Torres Strait Islander origin" in offered
    for dimension in DIMENSIONS:  # every category of each dimension
        assert {vocabulary(dimension).resolve(label) for label in offered} >= set(
            vocabulary(dimension).codes
        )


def test_yes_no_fields_offer_yes_and_no(book: Workbook) -> None:
    booleans = [(rt, f) for rt, f in _fields_of_type(bool)]
    assert ("activities", "member_led") in booleans
    for record_type, field in booleans:
        validation = validations(book[SHEET_NAMES[record_type]])[field]
        assert validation.type == "list"
        assert list_range(book, validation) == ["yes", "no"]


def test_dates_and_times_are_validated_and_formatted(book: Workbook) -> None:
    dates = _fields_of_type(dt.date)
    assert ("activities", "date") in dates and ("workforce", "period_end") in dates
    for record_type, field in [*dates, ("activities", "start_time")]:
        sheet = book[SHEET_NAMES[record_type]]
        kind = "time" if field == "start_time" else "date"
        validation = validations(sheet)[field]
        assert validation.type == kind
        assert validation.operator == "between"
        assert validation.showErrorMessage and validation.errorStyle == "stop"
        assert ("DD/MM/YYYY" if kind == "date" else "HH:MM") in str(validation.error)
        column = _column(book, record_type, field)
        for row in (2, 3, LAST_ROW // 2, LAST_ROW):
            cell = sheet.cell(row=row, column=column)
            assert cell.value is None
            assert cell.number_format == ("DD/MM/YYYY" if kind == "date" else "HH:MM")
        assert str(validation.sqref) == _cells(book, record_type, field)


def test_counts_are_whole_numbers_and_hours_are_decimals(book: Workbook) -> None:
    for record_type, model in RECORD_TYPES.items():
        sheet = book[SHEET_NAMES[record_type]]
        found = validations(sheet)
        for name, info in model.model_fields.items():
            text = str(info.annotation)
            if info.annotation is bool or "bool" in text:
                continue
            if info.annotation is int or "int" in text:
                expected = "whole"
            elif info.annotation is Decimal or "Decimal" in text:
                expected = "decimal"
            else:
                continue
            validation = found[name]
            assert validation.type == expected, name
            assert validation.operator == "between"
            assert validation.formula1 == "0", name  # never negative
            assert int(str(validation.formula2)) > 0
            assert "0 to" in str(validation.error)
    assert validations(book["Activities"])["attendance"].type == "whole"
    assert validations(book["Workforce"])["paid_fte"].type == "decimal"
    assert validations(book["Workforce"])["volunteer_hours"].type == "decimal"


def test_validation_messages_are_plain_and_within_excel_limits(book: Workbook) -> None:
    for name in SHEET_NAMES.values():
        for heading, validation in validations(book[name]).items():
            assert validation.allow_blank, heading  # blank means "not recorded"
            assert validation.prompt and len(validation.prompt) <= 255
            assert validation.promptTitle and len(validation.promptTitle) <= 32
            if validation.type is not None:
                assert validation.showErrorMessage
                assert validation.error and len(validation.error) <= 255, heading
                assert validation.errorTitle and len(validation.errorTitle) <= 32
                assert "Traceback" not in validation.error


def test_guidance_sheet_tells_a_coordinator_what_to_do(book: Workbook) -> None:
    sheet = book[GUIDANCE_SHEET]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    for words in (
        "one row per activity",
        "names",
        "dates of birth",
        "phone numbers",
        "NHI",
        "diagnoses",
        "DD/MM/YYYY",
        "14/08/2026",
        "peerreport import",
        "Nothing is stored unless every row is right",
    ):
        assert words in text, words
    # One text per row: intake reads a row as headings only if it has two or more texts.
    for row in sheet.iter_rows(values_only=True):
        assert sum(1 for value in row if value not in (None, "")) <= 1


def test_lists_sheet_can_never_be_read_as_records(book: Workbook) -> None:
    sheet = book[LISTS_SHEET]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > HEADER_SCAN_ROWS:
            break
        assert sum(1 for value in row if value not in (None, "")) <= 1, f"row {number}"
    titles = [str(c.value) for c in sheet[HEADER_SCAN_ROWS + 1] if c.value]
    assert titles, "the list titles sit just below the rows intake scans"
    for title in titles:
        for record_type in RECORD_TYPES:
            assert match_heading(record_type, title).field is None, title


def test_intake_reads_the_four_record_sheets_and_no_rows(path: Path) -> None:
    with open_tables(path) as tables:
        found = {t.sheet: t.record_type for t in tables}
        assert found == {name: rt for rt, name in SHEET_NAMES.items()}
        for table in tables:
            model_fields = RECORD_TYPES[str(table.record_type)].model_fields
            assert table.headings == [readable_heading(f) for f in model_fields]
            assert list(table.rows) == []  # 5000 formatted, validated rows: all blank
            assert table.notices == []


def test_rule_file_titles_the_workbook_and_marks_what_it_uses(tmp_path: Path) -> None:
    use = return_use(load("example-peer-support"))
    book = load_workbook(write_intake_workbook(tmp_path / "ps.xlsx", use, rows=20))
    guidance = [str(c.value) for row in book[GUIDANCE_SHEET].iter_rows() for c in row if c.value]
    assert guidance[0].startswith("Activity log for: Example peer support service for adults")
    assert "EX-PS1" in guidance[0] and "2026.1" in guidance[0]
    assert book.properties.title == guidance[0]
    assert any(line.startswith("Activities: ") and "Member-led" in line for line in guidance)
    assert "Feedback: not used by this return (leave it empty)." in guidance
    sheet = book["Activities"]
    notes = {str(c.value): c.comment.text for c in sheet[1] if c.comment}
    assert "Example peer support service for adults uses this column." in notes["Member-led"]
    assert "uses this column" not in notes["Topic"]
    assert set(use.fields["activities"]) >= {"kind", "mode", "member_led", "attendance"}
    assert "category" in use.fields["breakdowns"]  # through the age_group grouping in `by`


def test_a_check_on_breakdown_totals_uses_the_breakdowns_sheet(tmp_path: Path) -> None:
    """A check reading an activity's breakdown totals uses the breakdown columns."""
    path = tmp_path / "r.toml"
    path.write_text(
        'id = "r"\ntitle = "T"\nversion = "1"\n[[check]]\nid = "C-1"\nsource = "activity"\n'
        'assert = "breakdown_total_gender <= attendance"\nmessage = "m"\n',
        "utf-8",
    )
    use = return_use(load(path, Catalogue([tmp_path])))
    assert {"dimension", "category", "count"} <= set(use.fields["breakdowns"])
    assert "breakdown_total_gender" not in use.fields["activities"]


def _column(book: Workbook, record_type: str, field: str) -> int:
    return fields(book[SHEET_NAMES[record_type]]).index(field) + 1


def _cells(book: Workbook, record_type: str, field: str) -> str:
    """The cells a column's validation should cover: rows 2 to LAST_ROW."""
    letter = get_column_letter(_column(book, record_type, field))
    return f"{letter}2:{letter}{LAST_ROW}"


def test_the_number_of_prepared_rows_is_bounded(tmp_path: Path) -> None:
    for rows in (0, MAX_ROWS + 1):
        with pytest.raises(ValueError, match="rows must be from 1 to"):
            write_intake_workbook(tmp_path / "x.xlsx", rows=rows)
