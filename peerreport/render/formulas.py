"""Which of a template's formulas read a protected figure, so none is silently understated.

A funder's template often adds the mapped cells itself (`=SUM(D11:D13)`). When
one of them holds the disclosure symbol, the spreadsheet leaves it out of the
sum; when it holds a randomly rounded figure, the sum adds rounded numbers. The
formulas are read with openpyxl's tokenizer: every reference (a cell, a range,
a whole column or row, a named range; on the same sheet or another) is
resolved, and a formula that reads another such formula inherits its hidden
inputs, so a grand total over subtotals is caught too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from peerreport.render.mapping import Placement, defined_names, name_destinations

CellRef = tuple[str, str]  # (sheet title, coordinate)
Bounds = tuple[str, int | None, int | None, int | None, int | None]  # sheet, cols and rows


@dataclass(frozen=True)
class Reader:
    """A formula cell that reads protected figures: where, its formula and those figures."""

    sheet: str
    coordinate: str
    formula: str
    inputs: tuple[Placement, ...]  # the protected placements it reads, directly or through formulas

    @property
    def where(self) -> str:
        """The formula cell as 'Sheet'!A1."""
        return f"'{self.sheet}'!{self.coordinate}"


def formula_references(workbook: Any, sheet: str, formula: str) -> list[Bounds]:
    """Every area a formula on `sheet` reads (unresolvable references are left out)."""
    from openpyxl.formula import Tokenizer

    try:
        tokens = Tokenizer(formula).items
    except Exception:  # a formula openpyxl cannot tokenize reads nothing we can tell
        return []
    areas: list[Bounds] = []
    for token in tokens:
        if token.type == "OPERAND" and token.subtype == "RANGE":
            areas += _areas(workbook, sheet, str(token.value))
    return areas


def _areas(workbook: Any, here: str, reference: str) -> list[Bounds]:
    from openpyxl.utils.cell import range_boundaries

    sheet, _, local = reference.rpartition("!")
    sheet = sheet.strip("'").replace("''", "'") if sheet else here
    try:
        return [(sheet, *range_boundaries(local.replace("$", "")))]
    except (ValueError, TypeError):
        pass
    scope = workbook[sheet] if sheet in workbook.sheetnames else None
    definition = (scope.defined_names.get(local) if scope is not None else None) or (
        defined_names(workbook).get(local)
    )
    if definition is None:
        return []
    found: list[Bounds] = []
    for target, area in name_destinations(definition):
        try:
            found.append((target, *range_boundaries(area.replace("$", ""))))
        except (ValueError, TypeError):
            continue
    return found


def _inside(area: Bounds, sheet: str, column: int, row: int) -> bool:
    name, min_col, min_row, max_col, max_row = area
    return (
        name == sheet
        and (min_col is None or min_col <= column <= (max_col or min_col))
        and (min_row is None or min_row <= row <= (max_row or min_row))
    )


def readers_of(workbook: Any, protected: Iterable[Placement]) -> list[Reader]:
    """Every formula cell reading a protected placement, directly or through other formulas."""
    from openpyxl.utils.cell import coordinate_to_tuple

    hidden = {(p.sheet, p.coordinate): p for p in protected}
    if not hidden:
        return []
    formulas: dict[CellRef, tuple[str, list[Bounds]]] = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    areas = formula_references(workbook, sheet.title, cell.value)
                    formulas[sheet.title, cell.coordinate] = (cell.value, areas)
    places = {ref: coordinate_to_tuple(ref[1]) for ref in [*hidden, *formulas]}

    def read(areas: list[Bounds], refs: Iterable[CellRef]) -> list[CellRef]:
        return [
            ref
            for ref in refs
            if any(_inside(a, ref[0], places[ref][1], places[ref][0]) for a in areas)
        ]

    inputs: dict[CellRef, set[CellRef]] = {
        ref: set(read(areas, hidden)) for ref, (_, areas) in formulas.items()
    }
    reads_formulas = {ref: read(areas, formulas) for ref, (_, areas) in formulas.items()}
    changed = True
    while changed:  # a formula over formulas inherits their hidden inputs, to a fixed point
        changed = False
        for ref, others in reads_formulas.items():
            grown = inputs[ref].union(*(inputs[o] for o in others if o != ref))
            if grown != inputs[ref]:
                inputs[ref], changed = grown, True
    return [
        Reader(
            ref[0],
            ref[1],
            formulas[ref][0],
            tuple(hidden[h] for h in sorted(found, key=lambda h: (h[0], places[h]))),
        )
        for ref, found in inputs.items()
        if found
    ]
