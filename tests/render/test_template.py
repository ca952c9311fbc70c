"""Filling a funder's template: mapped values in, everything else exactly as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.xml.functions import tostring

from peerreport.errors import UsageError
from peerreport.render import fill_template
from peerreport.rulebook.export_model import ExportXlsx
from tests.render.funder_template import SHEET, build_template
from tests.render.sample import INJECTIONS, ORG_NAME, injected_return, sample_return

MAPPING = ExportXlsx.model_validate(
    {
        "template": "funder.xlsx",
        "cells": {
            "group_sessions": "'Quarterly Return'!D9",
            "warm_line_calls[phone]": f"'{SHEET}'!$D$10",
            "attendances[maori]": f"'{SHEET}'!D11",
            "attendances[-]": f"'{SHEET}'!D12",
            "attendances[pacific]": f"'{SHEET}'!D13",
            "average_group_size": f"'{SHEET}'!D14",
        },
        "fields": {
            "organisation_name": "provider_name",
            "provider_code": "provider_number",
            "period_label": "quarter",
            "period_start": f"'{SHEET}'!C6",
        },
    }
)
MAPPED = {
    (SHEET, "D9"): 45,
    (SHEET, "D10"): 93,
    (SHEET, "D11"): 40,
    (SHEET, "D12"): 7,
    (SHEET, "D13"): "S",
    (SHEET, "D14"): 6.4,
    (SHEET, "C3"): ORG_NAME,
    (SHEET, "C4"): "ORG-01",
    (SHEET, "C5"): "FY2027-Q1",
    (SHEET, "C6"): dt.datetime(2026, 7, 1),
}


def _style(cell: Any) -> tuple[Any, ...]:
    """A cell's style as XML text (openpyxl's style proxies do not compare equal)."""
    parts = (cell.font, cell.fill, cell.border, cell.alignment, cell.protection)
    return (*(tostring(p.to_tree()) for p in parts), cell.number_format)


def _fill(tmp_path: Path, draft: bool = False, ret: Any = None) -> tuple[Any, Any]:
    template = build_template(tmp_path / "funder.xlsx")
    out = tmp_path / "filled.xlsx"
    fill_template(ret or sample_return(), template, MAPPING, out, draft=draft)
    return openpyxl.load_workbook(template), openpyxl.load_workbook(out)


@pytest.mark.parametrize("draft", [False, True])
def test_mapped_values_and_everything_else_unchanged(tmp_path: Path, draft: bool) -> None:
    before, after = _fill(tmp_path, draft)
    assert after.sheetnames == before.sheetnames
    for name in before.sheetnames:
        old, new = before[name], after[name]
        assert set(map(str, new.merged_cells.ranges)) == set(map(str, old.merged_cells.ranges))
        assert {k: v.width for k, v in new.column_dimensions.items()} == {
            k: v.width for k, v in old.column_dimensions.items()
        }
        assert {n: d.attr_text for n, d in new.defined_names.items()} == {
            n: d.attr_text for n, d in old.defined_names.items()
        }
        for row in old.iter_rows(max_row=old.max_row, max_col=old.max_column):
            for cell in row:
                filled = new[cell.coordinate]
                if (name, cell.coordinate) in MAPPED:
                    assert filled.value == MAPPED[name, cell.coordinate], cell.coordinate
                else:
                    assert filled.value == cell.value, cell.coordinate
                if cell.coordinate != "C6":  # a date cell keeps its own (date) format
                    assert _style(filled) == _style(cell), cell.coordinate
    assert after[SHEET]["C6"].number_format == "dd/mm/yyyy"
    assert {n: d.attr_text for n, d in after.defined_names.items()} == {
        n: d.attr_text for n, d in before.defined_names.items()
    }
    assert after[SHEET]["D16"].value == "=SUM(D11:D13)"
    assert after[SHEET]["D16"].data_type == "f"
    for coordinate in ("D9", "D10", "D11", "D12", "D14"):
        assert after[SHEET][coordinate].data_type == "n"
    assert after[SHEET]["D13"].data_type == "s"  # the suppression symbol is text
    assert after["Guidance"]["A1"].value == before["Guidance"]["A1"].value


def test_draft_marks_every_sheet_without_moving_anything(tmp_path: Path) -> None:
    before, after = _fill(tmp_path, draft=True)
    for name in after.sheetnames:
        sheet = after[name]
        assert "DRAFT" in sheet.oddHeader.center.text
        assert "DRAFT" in sheet.oddFooter.left.text
        banner = sheet.cell(row=1, column=before[name].max_column + 2)
        assert banner.value.startswith("DRAFT")
        assert sheet.sheet_properties.tabColor.rgb.endswith("C00000")
    assert after[SHEET].oddFooter.right.text == "Page &P of &N"
    assert after[SHEET]["D16"].value == "=SUM(D11:D13)"


def test_not_draft_has_no_draft_marks(tmp_path: Path) -> None:
    _, after = _fill(tmp_path)
    for sheet in after.worksheets:
        assert not (sheet.oddHeader.center.text or "")
        for row in sheet.iter_rows():
            assert not any("DRAFT" in str(c.value) for c in row if c.value)


@pytest.mark.parametrize("text", INJECTIONS)
def test_injected_text_is_neutralised(tmp_path: Path, text: str) -> None:
    _, after = _fill(tmp_path, ret=injected_return(text))
    name = after[SHEET]["C3"]
    assert name.data_type == "s"
    assert name.value == ("'" + text).replace("\r", "\n")


def _problem(tmp_path: Path, mapping: dict[str, Any], **kwargs: Any) -> str:
    template = build_template(tmp_path / "funder.xlsx")
    out = tmp_path / "filled.xlsx"
    with pytest.raises(UsageError) as caught:
        fill_template(
            sample_return(),
            kwargs.get("template", template),
            ExportXlsx.model_validate(mapping),
            out,
            source="rules/funder.toml",
        )
    assert not out.exists()
    return str(caught.value)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            {"grup_sessions": "provider_number"},
            "export.xlsx.cells.\"grup_sessions\": the return has no measure 'grup_sessions'",
        ),
        (
            {"warm_line_calls[fax]": "provider_number"},
            "measure 'warm_line_calls' (by mode) has no cell [fax]; its cells are [in_person], "
            "[phone], [video], [-]",
        ),
        ({"group_sessions[phone]": "provider_number"}, "measure 'group_sessions' has no breakdown"),
        (
            {"group_sessions": "provider_nmae"},
            "the template has no named range 'provider_nmae' (its named ranges: due_day, "
            "provider_name, provider_number, quarter)",
        ),
        ({"group_sessions": "'Return'!D9"}, "the template has no sheet 'Return'"),
        (
            {"group_sessions": "D9"},
            "'D9' has no sheet: write it as \"'Quarterly Return'!D9\" or use a named range",
        ),
        ({"group_sessions": "not a cell!"}, "is neither a named range nor a cell"),
        ({"group_sessions": f"'{SHEET}'!D16"}, "holds a formula (=SUM(D11:D13))"),
        ({"group_sessions": "quarter", "attendances": "quarter"}, "is also the cell of"),
    ],
)
def test_mapping_problems_name_the_key(
    tmp_path: Path, cells: dict[str, str], expected: str
) -> None:
    message = _problem(tmp_path, {"cells": cells})
    assert message.startswith("rules/funder.toml: the export mapping for template funder.xlsx")
    assert expected in message
    assert "Traceback" not in message


def test_every_problem_is_listed_together(tmp_path: Path) -> None:
    message = _problem(
        tmp_path,
        {
            "cells": {"nope": "quarter", "group_sessions": "missing"},
            "fields": {"period_end": "'Nowhere'!A1"},
        },
    )
    assert "has 3 problems" in message
    assert 'export.xlsx.cells."nope"' in message
    assert 'export.xlsx.cells."group_sessions"' in message
    assert "export.xlsx.fields.period_end" in message


def test_missing_or_unreadable_template(tmp_path: Path) -> None:
    message = _problem(tmp_path, {}, template=tmp_path / "nothere.xlsx")
    assert "export.xlsx.template" in message and "does not exist" in message
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    assert "cannot read bad.xlsx" in _problem(tmp_path, {}, template=bad)
    csv = tmp_path / "funder.csv"
    csv.write_text("a,b")
    assert "is not an .xlsx workbook" in _problem(tmp_path, {}, template=csv)


def test_filling_twice_gives_identical_files(tmp_path: Path) -> None:
    template = build_template(tmp_path / "funder.xlsx")
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    fill_template(sample_return(), template, MAPPING, first)
    fill_template(sample_return(), template, MAPPING, second)
    assert first.read_bytes() == second.read_bytes()


def test_a_target_inside_merged_cells_goes_to_its_top_left(tmp_path: Path) -> None:
    template = build_template(tmp_path / "funder.xlsx")
    out = tmp_path / "filled.xlsx"
    mapping = ExportXlsx.model_validate({"fields": {"organisation_name": f"'{SHEET}'!E3"}})
    fill_template(sample_return(), template, mapping, out)
    sheet = openpyxl.load_workbook(out)[SHEET]
    assert sheet["C3"].value == ORG_NAME
    assert "C3:E3" in {str(r) for r in sheet.merged_cells.ranges}


def test_the_mapping_names_its_measures() -> None:
    assert MAPPING.measures() == {
        "group_sessions": "group_sessions",
        "warm_line_calls[phone]": "warm_line_calls",
        "attendances[maori]": "attendances",
        "attendances[-]": "attendances",
        "attendances[pacific]": "attendances",
        "average_group_size": "average_group_size",
    }


def test_the_due_date_field_is_a_date_cell_or_left_empty(tmp_path: Path) -> None:
    template = build_template(tmp_path / "funder.xlsx")
    mapping = ExportXlsx.model_validate({"fields": {"due": f"'{SHEET}'!C7"}})
    for ret, expected in (
        (sample_return(), dt.datetime(2026, 10, 20)),
        (sample_return(due=None), None),
    ):
        out = tmp_path / "filled.xlsx"
        fill_template(ret, template, mapping, out)
        cell = openpyxl.load_workbook(out)[SHEET]["C7"]
        assert cell.value == expected
        assert cell.is_date or expected is None


def test_the_contact_role_field_is_text_or_left_empty(tmp_path: Path) -> None:
    template = build_template(tmp_path / "funder.xlsx")
    mapping = ExportXlsx.model_validate({"fields": {"contact_role": f"'{SHEET}'!C7"}})
    for ret, expected in (
        (sample_return(contact_role="Service coordinator"), "Service coordinator"),
        (sample_return(), None),
    ):
        out = tmp_path / "filled.xlsx"
        fill_template(ret, template, mapping, out)
        cell = openpyxl.load_workbook(out)[SHEET]["C7"]
        assert cell.value == expected
        assert cell.data_type in ("s", "n")
