"""A template formula that reads a protected figure is flagged, never silently understated;
fixed text, the period in the funder's words and the filing fields are written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from peerreport.errors import UsageError
from peerreport.render import fill_template
from peerreport.returns.model import Filing
from peerreport.rulebook import RuleFileInvalid
from peerreport.rulebook.export_model import ExportXlsx
from peerreport.rulebook.period_words import period_words
from tests.render.funder_template import SHEET, build_template
from tests.render.sample import clean_return, sample_return
from tests.render.test_template import MAPPING

PACIFIC = f"'{SHEET}'!D13 (export.xlsx.cells.\"attendances[pacific]\" shows S)"
PHONE = f"'{SHEET}'!D10 (export.xlsx.cells.\"warm_line_calls[phone]\" is rounded)"


def _template(tmp_path: Path) -> Path:
    """The funder template plus a 'Totals' sheet of formulas over the mapped cells."""
    path = build_template(tmp_path / "funder.xlsx")
    book = openpyxl.load_workbook(path)
    totals = book.create_sheet("Totals")
    totals["A1"] = f"='{SHEET}'!D16*1"  # over the sheet's own total: inherits its inputs
    totals["A2"] = f"=SUM('{SHEET}'!D9:D9)+'{SHEET}'!D11"  # exact cells only
    totals["A3"] = "=SUM(volumes)"  # a named range over every volume
    totals["A4"] = f"=SUM('{SHEET}'!D:D)"  # a whole column
    totals["A5"] = '=IF(A2>0,"yes","no")'  # reads A2 only
    totals["A6"] = "=A6+1"  # a formula reading itself reads nothing protected
    book.defined_names["volumes"] = DefinedName("volumes", attr_text=f"'{SHEET}'!$D$9:$D$14")
    book.save(path)
    return path


def _filled(tmp_path: Path, ret: Any = None) -> tuple[Any, list[Any]]:
    out = tmp_path / "filled.xlsx"
    found = fill_template(ret or clean_return(), _template(tmp_path), MAPPING, out)
    return openpyxl.load_workbook(out), found


def test_formulas_reading_protected_cells_get_a_comment_and_a_warning(tmp_path: Path) -> None:
    book, found = _filled(tmp_path)
    sheet, totals = book[SHEET], book["Totals"]
    assert sheet["D13"].value == "S"  # the funder's marker, as before
    assert sheet["D16"].value == "=SUM(D11:D13)"  # the formula itself is kept
    comment = sheet["D16"].comment
    assert comment is not None and comment.author == "peerreport"
    assert comment.text == (
        "This result leaves out hidden figures (suppressed to protect small counts): "
        f"{PACIFIC}. The true result is not what this cell shows."
    )
    assert totals["A1"].comment is not None
    assert PACIFIC in totals["A1"].comment.text and "D10" not in totals["A1"].comment.text
    for coordinate in ("A3", "A4"):
        text = totals[coordinate].comment.text
        assert PACIFIC in text
        assert f"This result adds randomly rounded figures: {PHONE}." in text
    for coordinate in ("A2", "A5", "A6"):
        assert totals[coordinate].comment is None, coordinate
    for row in sheet.iter_rows():
        for cell in row:
            if cell.coordinate != "D16":
                assert cell.comment is None, cell.coordinate
    assert [(f.code, f.severity.value, f.location.address) for f in found] == [
        ("EXP-010", "warning", f"'{SHEET}'!D16"),
        ("EXP-010", "warning", "'Totals'!A1"),
        ("EXP-010", "warning", "'Totals'!A3"),
        ("EXP-010", "warning", "'Totals'!A4"),
    ]
    assert found[0].message.startswith(
        f"the template's formula at '{SHEET}'!D16 (=SUM(D11:D13)) reads protected figures."
    )
    assert found[0].details["inputs"] == ['export.xlsx.cells."attendances[pacific]"']
    assert found[0].location.file == "funder.xlsx"


def test_a_formula_reading_only_exact_cells_is_not_flagged(tmp_path: Path) -> None:
    mapping = ExportXlsx.model_validate(
        {"cells": {"group_sessions": f"'{SHEET}'!D11", "average_group_size": f"'{SHEET}'!D12"}}
    )
    out = tmp_path / "filled.xlsx"
    found = fill_template(clean_return(), _template(tmp_path), mapping, out)
    book = openpyxl.load_workbook(out)
    assert found == []
    assert book[SHEET]["D16"].comment is None
    assert all(c.comment is None for row in book["Totals"].iter_rows() for c in row)


def test_a_funders_own_comment_is_kept(tmp_path: Path) -> None:
    from openpyxl.comments import Comment

    template = _template(tmp_path)
    book = openpyxl.load_workbook(template)
    book[SHEET]["D16"].comment = Comment("Calculated: do not type here.", "Funder")
    book.save(template)
    out = tmp_path / "filled.xlsx"
    fill_template(clean_return(), template, MAPPING, out)
    text = openpyxl.load_workbook(out)[SHEET]["D16"].comment.text
    assert text.startswith("Calculated: do not type here.\n\nThis result leaves out hidden")


FIELDS = ExportXlsx.model_validate(
    {
        "period_format": "Quarter {number}, {year_before}/{yy} ({first_month} to {last_month})",
        "fields": {
            "period_words": f"'{SHEET}'!C5",
            "version": f"'{SHEET}'!C7",
            "amends_version": f"'{SHEET}'!C8",
            "amendment_reason": f"'{SHEET}'!E9",
            "rule_digest": "'Guidance'!A5",
            "records_digest": "'Guidance'!A6",
            "tool_version": "'Guidance'!A7",
        },
        "text": {
            f"'{SHEET}'!E10": "Phone calls include the after-hours line",
            "due_day": '=HYPERLINK("http://x","y")',
        },
    }
)


def test_fixed_text_and_return_fields_are_written(tmp_path: Path) -> None:
    filing = Filing(
        version=2,
        submitted_at="2026-10-15T00:00:00Z",
        amends_version=1,
        reason="Two group sessions were logged twice",
    )
    out = tmp_path / "filled.xlsx"
    found = fill_template(
        clean_return().filed(filing), build_template(tmp_path / "t.xlsx"), FIELDS, out
    )
    assert found == []
    book = openpyxl.load_workbook(out)
    sheet, guidance = book[SHEET], book["Guidance"]
    assert sheet["C5"].value == "Quarter 1, 2026/27 (July to September)"
    assert (sheet["C7"].value, sheet["C8"].value) == (2, 1)
    assert sheet["E9"].value == "Two group sessions were logged twice"
    assert sheet["E10"].value == "Phone calls include the after-hours line"
    assert sheet["E10"].data_type == "s"
    assert guidance["A3"].value == '\'=HYPERLINK("http://x","y")'  # text, never a formula
    assert guidance["A3"].data_type == "s"
    assert guidance["A5"].value == "sha256:" + "ab" * 32
    assert guidance["A6"].value == clean_return().records_digest
    assert guidance["A7"].value == clean_return().tool_version


def test_filing_fields_are_empty_on_a_review_copy(tmp_path: Path) -> None:
    out = tmp_path / "filled.xlsx"
    fill_template(clean_return(), build_template(tmp_path / "t.xlsx"), FIELDS, out)
    sheet = openpyxl.load_workbook(out)[SHEET]
    assert (sheet["C7"].value, sheet["C8"].value, sheet["E9"].value) == (None, None, None)


def test_text_into_a_formula_cell_is_refused(tmp_path: Path) -> None:
    mapping = ExportXlsx.model_validate({"text": {f"'{SHEET}'!D16": "n/a"}})
    with pytest.raises(UsageError, match=r"export\.xlsx\.text\.\"'Quarterly Return'!D16\""):
        fill_template(sample_return(), build_template(tmp_path / "t.xlsx"), mapping, tmp_path / "o")


@pytest.mark.parametrize(
    ("label", "start", "end", "expected"),
    [
        ("FY2027-Q1", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "Q1 of 2026/27: July-September"),
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "Q3 of 2025/26: July-September"),
        ("2026-08", dt.date(2026, 8, 1), dt.date(2026, 8, 31), "Q8 of 2025/26: August-August"),
        ("FY2027", dt.date(2026, 7, 1), dt.date(2027, 6, 30), "Q of 2026/27: July-June"),
        (
            "2026-07-01..2026-07-14",
            dt.date(2026, 7, 1),
            dt.date(2026, 7, 14),
            "Q of 2025/26: July-July",
        ),
    ],
)
def test_period_words(label: str, start: dt.date, end: dt.date, expected: str) -> None:
    text = "Q{number} of {year_before}/{yy}: {first_month}-{last_month}"
    assert period_words(text, label, start, end) == expected
    assert period_words("{label} {start} to {end} {{x}}", label, start, end).startswith(label)


def test_an_unknown_placeholder_or_field_key_lists_what_is_allowed(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"unknown placeholder \{quarter\}; use \{label\}"):
        ExportXlsx.model_validate({"period_format": "Quarter {quarter}"})
    with pytest.raises(ValidationError, match=r"fields\.period_words needs period_format"):
        ExportXlsx.model_validate({"fields": {"period_words": "quarter"}})
    path = tmp_path / "r.toml"
    path.write_text(
        'id = "r"\ntitle = "R"\nversion = "1"\nextends = ["example-peer-core"]\n'
        '[export.xlsx.fields]\ncontact = "quarter"\n',
        "utf-8",
    )
    from peerreport.rulebook import load

    with pytest.raises(RuleFileInvalid) as caught:
        load(path)
    message = str(caught.value)
    assert "export.xlsx.fields.contact: unknown key 'contact'. Did you mean 'contact_role'?" in (
        message
    )
    assert "The allowed keys: organisation_name, provider_code, contact_role, period_label," in (
        message
    )
    assert "period_words, version, amends_version, amendment_reason," in message
