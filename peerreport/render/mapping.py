"""Resolving a rule file's `[export.xlsx]` mapping against a return and a template workbook.

Each `cells` key names a figure's total (`measure_id`) or one breakdown cell
(`measure_id[code]`, `measure_id[code1,code2]`, `-` for not recorded); each
value names a cell of the template: a named range (`provider_name`) or a
sheet-qualified reference (`'Quarterly Return'!D12`). Every problem is
collected, then reported together in one `UsageError` naming the rule-file
key, so a funder fixes the mapping in one round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerreport.render.display import return_status, shown
from peerreport.returns.model import Published, PublishedCell, Return, ReturnFigure

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.model import ExportXlsx

_CELL_KEY = re.compile(r"^([a-z][a-z0-9_]*)(?:\[([^\[\]]*)\])?$")
_REFERENCE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?([1-9]\d*)$")
_BARE_CELL = re.compile(r"^\$?[A-Za-z]{1,3}\$?[1-9]\d*$")
_NAME = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")


@dataclass(frozen=True)
class Placement:
    """One value to write: where (sheet title, cell) and which rule-file key asked for it."""

    key: str
    sheet: str
    coordinate: str
    value: Published | Any  # published value, symbol, text or a date


def cells_key(key: str) -> str:
    """The rule-file key path of a `cells` entry, for messages."""
    return f'export.xlsx.cells."{key}"'


def figure_value(ret: Return, key: str) -> tuple[Published | None, str | None]:
    """What `measure_id[codes]` shows in this return, or (None, problem)."""
    match = _CELL_KEY.match(key)
    if not match:
        return None, "write a measure id, or measure_id[code] for a breakdown cell"
    measure, codes = match.group(1), match.group(2)
    try:
        figure = ret.figure(measure)
    except KeyError:
        known = ", ".join(f.id for f in ret.figures) or "none"
        return None, f"the return has no measure '{measure}' (its measures: {known})"
    if codes is None:
        return shown(figure.total, ret), None
    cell = _find_cell(figure, codes)
    if cell is None:
        return None, _no_cell(figure, codes)
    return shown(cell, ret), None


def _find_cell(figure: ReturnFigure, codes: str) -> PublishedCell | None:
    wanted = tuple(None if c.strip() in ("-", "") else c.strip() for c in codes.split(","))
    return next((c for c in figure.cells if c.key == wanted), None)


def _no_cell(figure: ReturnFigure, codes: str) -> str:
    if not figure.by:
        return f"measure '{figure.id}' has no breakdown, so it has no cell [{codes}]"
    sample = [",".join("-" if k is None else k for k in c.key) for c in figure.cells[:12]]
    more = ", ..." if len(figure.cells) > 12 else ""
    by = ", ".join(figure.by)
    return (
        f"measure '{figure.id}' (by {by}) has no cell [{codes}]; its cells are "
        f"[{'], ['.join(sample)}]{more}"
    )


def field_values(ret: Return, draft: bool) -> dict[str, Any]:
    """The return metadata a template can receive, by `[export.xlsx.fields]` key."""
    return {
        "organisation_name": ret.organisation_name,
        "provider_code": ret.organisation,
        "period_label": ret.period.label,
        "period_start": ret.period.start,
        "period_end": ret.period.end,
        "due": ret.due,
        "rule_id": ret.rule.id,
        "rule_title": ret.rule.title,
        "rule_version": ret.rule.version,
        "spec": ret.rule.spec,
        "purchase_units": ", ".join(ret.rule.purchase_units),
        "status": return_status(ret, draft),
    }


def locate(workbook: Any, target: str) -> tuple[str, str] | str:
    """(sheet title, cell) for a named range or 'Sheet'!A1; or a problem as text."""
    reference = _REFERENCE.match(target.strip())
    if reference:
        sheet = (reference.group(1) or "").replace("''", "'") or (reference.group(2) or "").strip()
        if sheet not in workbook.sheetnames:
            sheets = ", ".join(repr(s) for s in workbook.sheetnames)
            return f"the template has no sheet {sheet!r} (its sheets: {sheets})"
        return sheet, f"{reference.group(3).upper()}{reference.group(4)}"
    if _BARE_CELL.match(target.strip()):
        first = workbook.sheetnames[0]
        return (
            f"'{target}' has no sheet: write it as \"'{first}'!{target.strip()}\" "
            "or use a named range"
        )
    if not _NAME.match(target.strip()):
        return f"'{target}' is neither a named range nor a cell such as \"'Sheet'!C5\""
    return _named(workbook, target.strip())


def _named(workbook: Any, name: str) -> tuple[str, str] | str:
    definition = workbook.defined_names.get(name)
    if definition is None:
        for sheet in workbook.worksheets:
            definition = sheet.defined_names.get(name) or definition
    if definition is None:
        known = sorted([*workbook.defined_names, *(n for s in workbook for n in s.defined_names)])
        listed = ", ".join(known) if known else "none"
        return f"the template has no named range '{name}' (its named ranges: {listed})"
    try:
        destinations = list(definition.destinations)
    except Exception:  # openpyxl raises on names that are formulas or constants
        destinations = []
    if not destinations:
        return f"named range '{name}' does not refer to a cell ({definition.attr_text})"
    sheet, reference = destinations[0]
    if sheet not in workbook.sheetnames:
        return f"named range '{name}' refers to a sheet that is not in the template: {sheet!r}"
    first = reference.split(":")[0].replace("$", "")
    return sheet, first


def placements(
    ret: Return, workbook: Any, mapping: ExportXlsx, draft: bool
) -> tuple[list[Placement], list[str]]:
    """Every value to write and where, and every problem (as 'key: message' lines)."""
    wanted: list[tuple[str, str, Any]] = []
    problems: list[str] = []
    for key, target in mapping.cells.items():
        value, problem = figure_value(ret, key)
        if problem:
            problems.append(f"{cells_key(key)}: {problem}")
        else:
            wanted.append((cells_key(key), target, value))
    values = field_values(ret, draft)
    for name, target in mapping.fields.model_dump(exclude_none=True).items():
        wanted.append((f"export.xlsx.fields.{name}", target, values[name]))
    result: list[Placement] = []
    taken: dict[tuple[str, str], str] = {}
    for key, target, value in wanted:
        where = locate(workbook, target)
        if isinstance(where, str):
            problems.append(f"{key}: {where}")
            continue
        sheet, coordinate = where[0], _anchor(workbook[where[0]], where[1])
        problem = _writable(workbook[sheet], coordinate)
        if (sheet, coordinate) in taken:
            problem = f"'{sheet}'!{coordinate} is also the cell of {taken[sheet, coordinate]}"
        if problem:
            problems.append(f"{key} = {target!r}: {problem}")
            continue
        taken[sheet, coordinate] = key
        result.append(Placement(key, sheet, coordinate, value))
    return result, problems


def _anchor(sheet: Any, coordinate: str) -> str:
    """The top-left cell of the merged range holding `coordinate` (or itself)."""
    for merged in sheet.merged_cells.ranges:
        if coordinate in merged:
            return str(merged.start_cell.coordinate)
    return coordinate


def _writable(sheet: Any, coordinate: str) -> str | None:
    """A problem if the template's cell holds a formula (filling it would break the template)."""
    cell = sheet[coordinate]
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return f"'{sheet.title}'!{coordinate} holds a formula ({cell.value}); map to an input cell"
    return None
