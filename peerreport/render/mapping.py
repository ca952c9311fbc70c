"""Resolving a rule file's `[export.xlsx]` mapping against a return and a template workbook.

Each `cells` key names a figure's total (`measure_id`) or one breakdown cell
(`measure_id[code]`, `measure_id[code1,code2]`, `-` for not recorded); each
value names a cell of the template: a named range (`provider_name`) or a
sheet-qualified reference (`'Quarterly Return'!D12`); `text` keys name a
cell the same way and write fixed text. Every problem is collected, then
reported together in one `UsageError` naming the rule-file key, so a funder
fixes the mapping in one round. `rules lint` runs the same resolution against
the rule file's measures instead of a return (`template_lint`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerreport.render.display import return_status, shown
from peerreport.returns.model import EXACT, NOT_COLLECTED, CellKey, Published, Return

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.export_model import ExportXlsx

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
    status: str = EXACT  # a figure's status: exact, rounded, suppressed or not_collected
    text: bool = False  # fixed text from the rule file: always written as text


@dataclass(frozen=True)
class MappingProblem:
    """One thing wrong with the mapping: its finding code for `rules lint`, key and message."""

    code: str  # RUL-06x, declared in findings_catalogue.toml
    key: str  # the rule-file key path, e.g. export.xlsx.cells."calls[phone]"
    message: str
    target: str | None = None  # the cell or name the key maps to, when the message is about it
    blocking: bool = True  # False: export goes ahead (lint warns)

    def __str__(self) -> str:
        where = f"{self.key} = {self.target!r}" if self.target is not None else self.key
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FigureShape:
    """What a `cells` key can name: a measure, its `by` fields, the codes of each and its cells.

    From a return (its figures' cells) when exporting, or from the rule file
    (each field's vocabulary, `None` for a field whose codes are open) when linting.
    """

    id: str
    by: tuple[str, ...] = ()
    codes: tuple[tuple[str | None, ...] | None, ...] = ()
    cells: tuple[CellKey, ...] | None = None  # every cell, when they are known


def return_shapes(ret: Return) -> dict[str, FigureShape]:
    """The shape of each figure of a return, from the cells it has."""
    shapes: dict[str, FigureShape] = {}
    for figure in ret.figures:
        keys = tuple(c.key for c in figure.cells)
        codes = tuple(tuple(dict.fromkeys(k[i] for k in keys)) for i in range(len(figure.by)))
        shapes[figure.id] = FigureShape(figure.id, figure.by, codes, keys)
    return shapes


def cells_key(key: str) -> str:
    """The rule-file key path of a `cells` entry, for messages."""
    return f'export.xlsx.cells."{key}"'


def text_key(key: str) -> str:
    """The rule-file key path of a `text` entry, for messages."""
    return f'export.xlsx.text."{key}"'


def resolve_key(shapes: Mapping[str, FigureShape], key: str) -> tuple[str, CellKey | None] | str:
    """(measure id, the cell's codes or None for the total) that `key` names; or a problem."""
    from peerreport.language import did_you_mean

    match = _CELL_KEY.match(key)
    if not match:
        return "write a measure id, or measure_id[code] for a breakdown cell"
    measure, codes = match.group(1), match.group(2)
    shape = shapes.get(measure)
    if shape is None:
        known = ", ".join(shapes) or "none"
        return (
            f"the return has no measure '{measure}' (its measures: {known})."
            + did_you_mean(measure, shapes)
        ).removesuffix(".")
    if codes is None:
        return measure, None
    if not shape.by:
        return f"measure '{measure}' has no breakdown, so it has no cell [{codes}]"
    wanted = tuple(None if c.strip() in ("-", "") else c.strip() for c in codes.split(","))
    if len(wanted) != len(shape.by):
        return (
            f"measure '{measure}' is broken down by {', '.join(shape.by)}: write one code for "
            f"each, [{','.join(shape.by)}]"
        )
    for code, known_codes in zip(wanted, shape.codes, strict=True):
        if known_codes is not None and code not in known_codes:
            guess = did_you_mean(code or "-", [c for c in known_codes if c is not None])
            return no_cell(shape, codes) + ("." + guess if guess else "")
    return measure, wanted


def no_cell(shape: FigureShape, codes: str) -> str:
    """A figure has no cell `[codes]`: which it has."""
    by = ", ".join(shape.by)
    head = f"measure '{shape.id}' (by {by}) has no cell [{codes}]"
    if shape.cells is None:
        listed = "; ".join(
            f"{field}: {', '.join('-' if c is None else c for c in known)}"
            for field, known in zip(shape.by, shape.codes, strict=True)
            if known is not None
        )
        return f"{head}; its codes are {listed}" if listed else head
    sample = [",".join("-" if k is None else k for k in c) for c in shape.cells[:12]]
    more = ", ..." if len(shape.cells) > 12 else ""
    return f"{head}; its cells are [{'], ['.join(sample)}]{more}"


def figure_value(ret: Return, key: str) -> tuple[Published | None, str, str | None]:
    """What `measure_id[codes]` shows in this return and its status, or (None, '', problem)."""
    shapes = return_shapes(ret)
    resolved = resolve_key(shapes, key)
    if isinstance(resolved, str):
        return None, "", resolved
    figure = ret.figure(resolved[0])
    if resolved[1] is None:
        return shown(figure.total, ret), figure.total.status, None
    cell = next((c for c in figure.cells if c.key == resolved[1]), None)
    if cell is None:  # a code of an open field that this return has no records for
        codes = key[key.index("[") + 1 : -1]
        return None, "", no_cell(shapes[resolved[0]], codes)
    return shown(cell, ret), cell.status, None


def field_values(ret: Return, draft: bool, period_format: str | None = None) -> dict[str, Any]:
    """The return metadata a template can receive, by `[export.xlsx.fields]` key."""
    from peerreport.rulebook.period_words import period_words

    filing = ret.filing
    return {
        "organisation_name": ret.organisation_name,
        "provider_code": ret.organisation,
        "contact_role": ret.contact_role,
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
        "period_words": (
            period_words(period_format, ret.period.label, ret.period.start, ret.period.end)
            if period_format
            else None
        ),
        "version": filing.version if filing else None,
        "amends_version": filing.amends_version if filing else None,
        "amendment_reason": filing.reason if filing else None,
        "rule_digest": ret.rule.digest,
        "records_digest": ret.records_digest,
        "tool_version": ret.tool_version,
    }


def locate(workbook: Any, target: str) -> tuple[str, str] | str:
    """(sheet title, cell) for a named range or 'Sheet'!A1; or a problem as text."""
    from peerreport.language import did_you_mean

    reference = _REFERENCE.match(target.strip())
    if reference:
        sheet = (reference.group(1) or "").replace("''", "'") or (reference.group(2) or "").strip()
        if sheet not in workbook.sheetnames:
            sheets = ", ".join(repr(s) for s in workbook.sheetnames)
            guess = did_you_mean(sheet, workbook.sheetnames)
            return f"the template has no sheet {sheet!r} (its sheets: {sheets}).{guess}".rstrip(".")
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


def defined_names(workbook: Any) -> dict[str, Any]:
    """Every defined name of the workbook: its own, then each sheet's (sheet-scoped)."""
    names: dict[str, Any] = {}
    for sheet in workbook.worksheets:
        names.update(sheet.defined_names)
    names.update(workbook.defined_names)
    return names


def name_destinations(definition: Any) -> list[tuple[str, str]]:
    """(sheet, reference) pairs a defined name refers to; [] for a formula or a constant."""
    try:
        return list(definition.destinations)
    except Exception:  # openpyxl raises on names that are formulas or constants
        return []


def _named(workbook: Any, name: str) -> tuple[str, str] | str:
    from peerreport.language import did_you_mean

    names = defined_names(workbook)
    definition = names.get(name)
    if definition is None:
        known = sorted(names)
        listed = ", ".join(known) if known else "none"
        guess = did_you_mean(name, known)
        return (
            f"the template has no named range '{name}' (its named ranges: {listed}).{guess}".rstrip(
                "."
            )
        )
    destinations = name_destinations(definition)
    if not destinations:
        return f"named range '{name}' does not refer to a cell ({definition.attr_text})"
    sheet, reference = destinations[0]
    if sheet not in workbook.sheetnames:
        return f"named range '{name}' refers to a sheet that is not in the template: {sheet!r}"
    first = reference.split(":")[0].replace("$", "")
    return sheet, first


@dataclass(frozen=True)
class Wanted:
    """A value a rule-file key asks to write, before its target is found in the template."""

    key: str
    target: str
    value: Any = None
    status: str = EXACT
    text: bool = False


def wanted_values(
    ret: Return, mapping: ExportXlsx, draft: bool
) -> tuple[list[Wanted], list[MappingProblem]]:
    """What the mapping asks to write from this return, and the keys that name nothing in it."""
    wanted: list[Wanted] = []
    problems: list[MappingProblem] = []
    for key, target in mapping.cells.items():
        value, status, problem = figure_value(ret, key)
        if problem:
            problems.append(MappingProblem("RUL-064", cells_key(key), problem))
        elif status == NOT_COLLECTED:  # the rule file's marker, as text (never 0)
            marker = mapping.not_collected or None
            wanted.append(Wanted(cells_key(key), target, marker, status, text=bool(marker)))
        else:
            wanted.append(Wanted(cells_key(key), target, value, status))
    values = field_values(ret, draft, mapping.period_format)
    for name, target in mapping.fields.model_dump(exclude_none=True).items():
        wanted.append(Wanted(f"export.xlsx.fields.{name}", target, values[name]))
    for target, text in mapping.text.items():
        wanted.append(Wanted(text_key(target), target, text, text=True))
    return wanted, problems


def place(workbook: Any, wanted: list[Wanted]) -> tuple[list[Placement], list[MappingProblem]]:
    """Where each wanted value goes in the template, and every problem with the targets."""
    result: list[Placement] = []
    problems: list[MappingProblem] = []
    taken: dict[tuple[str, str], str] = {}
    for item in wanted:
        where = locate(workbook, item.target)
        if isinstance(where, str):
            problems.append(MappingProblem("RUL-061", item.key, where))
            continue
        sheet = workbook[where[0]]
        coordinate = _anchor(sheet, where[1])
        formula = _formula(sheet, coordinate)
        if formula:
            problems.append(MappingProblem("RUL-062", item.key, formula, item.target))
            continue
        if (sheet.title, coordinate) in taken:
            also = (
                f"'{sheet.title}'!{coordinate} is also the cell of {taken[sheet.title, coordinate]}"
            )
            problems.append(MappingProblem("RUL-065", item.key, also, item.target))
            continue
        if coordinate != where[1]:
            merged = f"'{sheet.title}'!{where[1]} is inside merged cells, so it is written to " + (
                f"their top-left cell {coordinate}: map to {coordinate}"
            )
            problems.append(MappingProblem("RUL-063", item.key, merged, item.target, False))
        taken[sheet.title, coordinate] = item.key
        result.append(
            Placement(item.key, sheet.title, coordinate, item.value, item.status, item.text)
        )
    return result, problems


def placements(
    ret: Return, workbook: Any, mapping: ExportXlsx, draft: bool
) -> tuple[list[Placement], list[MappingProblem]]:
    """Every value to write and where, and every problem with the mapping."""
    wanted, problems = wanted_values(ret, mapping, draft)
    result, more = place(workbook, wanted)
    return result, [*problems, *more]


def _anchor(sheet: Any, coordinate: str) -> str:
    """The top-left cell of the merged range holding `coordinate` (or itself)."""
    for merged in sheet.merged_cells.ranges:
        if coordinate in merged:
            return str(merged.start_cell.coordinate)
    return coordinate


def _formula(sheet: Any, coordinate: str) -> str | None:
    """A problem if the template's cell holds a formula (filling it would break the template)."""
    cell = sheet[coordinate]
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return f"'{sheet.title}'!{coordinate} holds a formula ({cell.value}); map to an input cell"
    return None
