"""Filling a funder-supplied workbook template with a return's figures.

The template is opened with openpyxl (formulas kept, not their cached values),
the mapped cells are written, and the workbook is saved under a new name. Only
the mapped cells change: styles, merged cells, formulas, named ranges, other
sheets and number formats stay as the funder made them. A draft also says
DRAFT in every sheet's printed header and footer, in a banner cell to the
right of row 1's content, and on a red sheet tab.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerreport.errors import UsageError
from peerreport.render.display import DRAFT_BANNER
from peerreport.render.mapping import placements
from peerreport.render.reproducible import make_reproducible
from peerreport.render.xlsx_cells import mark_draft, put_text, put_value
from peerreport.returns.model import Return

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.model import ExportXlsx


def fill_template(
    ret: Return,
    template: Path,
    mapping: ExportXlsx,
    path: Path,
    draft: bool = False,
    *,
    source: str = "",
) -> None:
    """Write `ret` into a copy of the `template` workbook at `path`, as `mapping` says.

    Raises `UsageError` listing every problem with the mapping (unknown measure
    or cell code, unknown named range or sheet, a formula cell, a missing or
    unreadable template); `source` (the rule file) is named in the message.
    """
    where = f"{source}: " if source else ""
    workbook = _open(template, where)
    written, problems = placements(ret, workbook, mapping, draft)
    if problems:
        count = len(problems)
        head = f"{where}the export mapping for template {template.name} has {count} problem" + (
            "s:" if count != 1 else ":"
        )
        raise UsageError("\n".join([head, *(f"  {p}" for p in problems)]))
    for placement in written:
        cell = workbook[placement.sheet][placement.coordinate]
        put_value(cell, placement.value, keep_format=True)
    if draft:
        for sheet in workbook.worksheets:
            _draft_banner(sheet)
        workbook.properties.title = f"DRAFT: {workbook.properties.title or ret.rule.title}"
    workbook.save(path)
    make_reproducible(path, ret.period.end)


def _open(template: Path, where: str) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not template.is_file():
        raise UsageError(
            f"{where}export.xlsx.template: the template {template} does not exist "
            "(its path is relative to the rule file)"
        )
    if template.suffix.lower() != ".xlsx":
        raise UsageError(
            f"{where}export.xlsx.template: {template.name} is not an .xlsx workbook "
            "(save the funder's template as Excel Workbook .xlsx)"
        )
    try:
        return load_workbook(template)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(
            f"{where}export.xlsx.template: cannot read {template.name} as a workbook: {exc}"
        ) from None


def _draft_banner(sheet: Any) -> None:
    """DRAFT in the header, footer and tab, and a banner right of row 1's content."""
    from openpyxl.styles import Font, PatternFill

    mark_draft(sheet)
    cell = sheet.cell(row=1, column=(sheet.max_column or 0) + 2)
    put_text(cell, DRAFT_BANNER)
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = PatternFill("solid", fgColor="C00000")
