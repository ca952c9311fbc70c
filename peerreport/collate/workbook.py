"""The collation workbook: one row per provider plus totals, the breakdowns, the rejections.

Sheets:
- **Providers**: code, name, status (received, late, missing, rejected), due
  and received dates, version, signing key, then each figure's total as the
  provider published it; the last row holds the collated totals, protected.
- **Breakdowns**: every collated cell with its status and how many providers
  it adds up (and how many had it suppressed).
- **Rejected**: every bundle not collated, and why.
Provider-supplied text goes through `render.safe.neutralise` (formula
injection). openpyxl is imported here only, when a workbook is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.collate.collation import Collation, ProviderRow
from peerreport.collate.totals import CollatedCell, CollatedFigure
from peerreport.render.safe import neutralise
from peerreport.returns.model import SUPPRESSED

PROVIDER_COLUMNS = ("Code", "Provider", "Status", "Due", "Received", "Version", "Signed by", "Note")
AT_LEAST = '"≥ "#,##0'


def write_workbook(collation: Collation, path: Path) -> Path:
    """Write the collation workbook to `path`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Providers"
    bold = Font(bold=True)
    _providers(sheet, collation, bold)
    _breakdowns(book.create_sheet("Breakdowns"), collation, bold)
    _rejected(book.create_sheet("Rejected"), collation, bold)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _title(collation: Collation) -> str:
    return (
        f"{collation.rule_title} ({collation.rule_id} {collation.rule_version}), "
        f"{collation.period.label} ({collation.period.start} to {collation.period.end}), "
        f"due {collation.due}"
        + ("" if collation.due_from_rules else " (assumed: the rule file sets no due date)")
    )


def _providers(sheet: Any, collation: Collation, bold: Any) -> None:
    from openpyxl.styles import Font

    sheet.append([neutralise("Collated return: " + _title(collation))])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            f"'{collation.symbol}' = suppressed; '≥' = some providers' figures were suppressed, "
            "so the true total is higher; totals are protected again by the rule file's "
            "disclosure control."
        ]
    )
    sheet.append([])
    figures = collation.figures
    header = [*PROVIDER_COLUMNS, *(_heading(f) for f in figures)]
    sheet.append([neutralise(h) for h in header])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in collation.providers:
        sheet.append(_provider_row(row, figures, collation.symbol))
    collated = sum(1 for p in collation.providers if p.received is not None)
    totals: list[Any] = ["TOTAL", f"{collated} provider(s) collated", "", "", "", "", "", ""]
    sheet.append(totals + [_shown(f.total, collation.symbol) for f in figures])
    last = sheet.max_row
    for index, figure in enumerate(figures, start=len(PROVIDER_COLUMNS) + 1):
        cell = sheet.cell(row=last, column=index)
        if figure.total.incomplete and isinstance(cell.value, int):
            cell.number_format = AT_LEAST
    for cell in sheet[last]:
        cell.font = bold
    sheet.freeze_panes = "C5"
    for letter, width in zip("ABCDEFGH", (12, 32, 10, 12, 22, 8, 22, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def _heading(figure: CollatedFigure) -> str:
    unit = f" ({figure.unit})" if figure.unit else ""
    return f"{figure.label}{unit}"


def _provider_row(row: ProviderRow, figures: tuple[CollatedFigure, ...], symbol: str) -> list[Any]:
    got = row.received
    values: list[Any] = [
        neutralise(row.code),
        neutralise(row.name),
        row.status,
        row.due.isoformat(),
        got.received.strftime("%Y-%m-%d %H:%M UTC") if got else "",
        got.version if got and got.version is not None else "",
        got.signer or "" if got else "",
        neutralise(row.note),
    ]
    for figure in figures:
        if got is None:
            values.append("")
            continue
        try:
            published = got.ret.figure(figure.id).total
        except KeyError:
            values.append("")
            continue
        if published.status == SUPPRESSED:
            values.append(symbol)
        elif published.status == "not_collected":
            values.append("not collected")
        else:
            values.append(published.value if published.value is not None else "")
    return values


def _shown(cell: CollatedCell, symbol: str) -> Any:
    if cell.status == "suppressed":
        return symbol
    if cell.status == "not_collected":
        return "not collected"
    return cell.value if cell.value is not None else ""


def _breakdowns(sheet: Any, collation: Collation, bold: Any) -> None:
    sheet.append(
        [
            "Measure",
            "Cell",
            "Collated value",
            "Status",
            "Providers adding to it",
            "Providers with it suppressed",
            "Note",
        ]
    )
    for cell in sheet[1]:
        cell.font = bold
    for figure in collation.figures:
        for item in (figure.total, *figure.cells):
            note = "; ".join(x for x in (item.reason, figure.note if not item.key else "") if x)
            status = f"{item.status}, incomplete" if item.incomplete else item.status
            sheet.append(
                [
                    neutralise(figure.label),
                    neutralise(item.words(figure.by)),
                    _shown(item, collation.symbol),
                    status,
                    item.providers,
                    item.incomplete,
                    neutralise(note),
                ]
            )
            if item.incomplete and isinstance(item.value, int) and item.status != "suppressed":
                sheet.cell(row=sheet.max_row, column=3).number_format = AT_LEAST
    for letter, width in zip("ABCDEFG", (40, 28, 14, 12, 12, 14, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def _rejected(sheet: Any, collation: Collation, bold: Any) -> None:
    sheet.append(["File", "Provider", "Reason"])
    for cell in sheet[1]:
        cell.font = bold
    for item in collation.rejected:
        sheet.append(
            [
                neutralise(Path(item.file).name),
                neutralise(item.provider or ""),
                neutralise(item.reason),
            ]
        )
    for letter, width in zip("ABC", (50, 14, 100), strict=True):
        sheet.column_dimensions[letter].width = width
