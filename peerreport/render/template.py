"""Filling a funder-supplied workbook template with a return's figures.

The template is opened with openpyxl (formulas kept, not their cached values),
the mapped cells are written, and the workbook is saved under a new name. Only
the mapped cells change: styles, merged cells, formulas, named ranges, other
sheets and number formats stay as the funder made them. A draft also says
DRAFT in every sheet's printed header and footer, in a banner cell to the
right of row 1's content, and on a red sheet tab. A template formula that reads
a suppressed or rounded figure gets a cell comment saying so, and the export
an `EXP-010` warning (`formulas`): a funder's own total is never silently
understated.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerreport.errors import UsageError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.render.display import DRAFT_BANNER
from peerreport.render.formulas import Reader, readers_of
from peerreport.render.mapping import placements
from peerreport.render.reproducible import make_reproducible
from peerreport.render.xlsx_cells import mark_draft, put_text, put_value
from peerreport.returns.model import NOT_COLLECTED, ROUNDED, SUPPRESSED, Return

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.export_model import ExportXlsx


def fill_template(
    ret: Return,
    template: Path,
    mapping: ExportXlsx,
    path: Path,
    draft: bool = False,
    *,
    source: str = "",
) -> list[Finding]:
    """Write `ret` into a copy of the `template` workbook at `path`, as `mapping` says.

    Raises `UsageError` listing every problem with the mapping (unknown measure
    or cell code, unknown named range or sheet, a formula cell, a missing or
    unreadable template); `source` (the rule file) is named in the message.
    Returns a warning for each template formula that reads a protected figure.
    """
    where = f"{source}: " if source else ""
    workbook = load_template(template, where)
    written, found = placements(ret, workbook, mapping, draft)
    problems = [p for p in found if p.blocking]
    if problems:
        count = len(problems)
        head = f"{where}the export mapping for template {template.name} has {count} problem" + (
            "s:" if count != 1 else ":"
        )
        raise UsageError("\n".join([head, *(f"  {p}" for p in problems)]))
    for placement in written:
        cell = workbook[placement.sheet][placement.coordinate]
        if placement.text:
            put_text(cell, "" if placement.value is None else str(placement.value))
        else:
            put_value(cell, placement.value, keep_format=True)
    symbol = str(ret.disclosure.get("symbol", "S"))
    protected = (SUPPRESSED, ROUNDED, NOT_COLLECTED)
    readers = readers_of(workbook, [p for p in written if p.status in protected])
    for reader in readers:
        _comment(workbook[reader.sheet][reader.coordinate], _says(reader, symbol))
    if draft:
        for sheet in workbook.worksheets:
            _draft_banner(sheet)
        workbook.properties.title = f"DRAFT: {workbook.properties.title or ret.rule.title}"
    workbook.save(path)
    make_reproducible(path, ret.period.end)
    return [_warning(reader, template.name, symbol) for reader in readers]


def _inputs(reader: Reader, status: str, symbol: str) -> str:
    shows = {SUPPRESSED: f" shows {symbol}", NOT_COLLECTED: " was not collected"}.get(
        status, " is rounded"
    )
    return ", ".join(
        f"'{p.sheet}'!{p.coordinate} ({p.key}{shows})" for p in reader.inputs if p.status == status
    )


def _says(reader: Reader, symbol: str) -> str:
    """What a formula reading protected figures leaves out, in words."""
    parts = []
    hidden = _inputs(reader, SUPPRESSED, symbol)
    if hidden:
        parts.append(
            f"This result leaves out hidden figures (suppressed to protect small counts): "
            f"{hidden}. The true result is not what this cell shows."
        )
    uncollected = _inputs(reader, NOT_COLLECTED, symbol)
    if uncollected:
        parts.append(
            f"This result reads figures the organisation did not collect (no value, not 0): "
            f"{uncollected}. It is not the figure the formula is for."
        )
    rounded = _inputs(reader, ROUNDED, symbol)
    if rounded:
        parts.append(
            f"This result adds randomly rounded figures: {rounded}. It may differ from the "
            "exact result."
        )
    return " ".join(parts)


def _comment(cell: Any, text: str) -> None:
    """The warning as the cell's comment, after any comment the funder wrote there."""
    from openpyxl.comments import Comment

    if cell.comment is not None and cell.comment.text:
        text = f"{cell.comment.text}\n\n{text}"
    cell.comment = Comment(text, "peerreport", width=360, height=160)


def _warning(reader: Reader, template: str, symbol: str) -> Finding:
    return finding(
        "EXP-010",
        f"the template's formula at {reader.where} ({reader.formula}) reads protected figures. "
        + _says(reader, symbol),
        location=Location(file=template, address=reader.where),
        details={"formula": reader.formula, "inputs": [p.key for p in reader.inputs]},
    )


def load_template(template: Path, where: str) -> Any:
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
