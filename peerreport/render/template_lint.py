"""`rules lint` for a funder's template: the `[export.xlsx]` mapping checked against the workbook.

No return is needed: a `cells` key is resolved against the rule file's
measures and the codes of their `by` fields (`rulebook.cells`), and every
target against the template, with the same code `fill_template` uses
(`mapping.resolve_key`, `mapping.place`), so lint and export agree. Each
problem is a finding naming the rule-file key:

    RUL-060  the template is missing or is not an .xlsx workbook
    RUL-061  a sheet, cell or named range the template does not have
    RUL-062  a target cell that holds a formula
    RUL-063  a target inside merged cells other than their top-left (warning)
    RUL-064  a key naming no measure, or a code its breakdown does not have
    RUL-065  two keys writing the same cell
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from peerreport.errors import UsageError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.render.mapping import (
    FigureShape,
    MappingProblem,
    Wanted,
    cells_key,
    place,
    resolve_key,
    text_key,
)
from peerreport.render.template import load_template

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.compiled import RuleFile


def rule_shapes(rule_file: RuleFile) -> dict[str, FigureShape]:
    """Each measure's `by` fields and their codes, as a return built from the rule file has them."""
    from peerreport.rulebook.cells import measure_codes

    shapes: dict[str, FigureShape] = {}
    for compiled in rule_file.measures.values():
        measure = compiled.measure
        by = tuple(measure.by)
        codes = [measure_codes(rule_file.model, measure, field) for field in by]
        known = [c for c in codes if c is not None]
        cells = tuple(itertools.product(*known)) if len(known) == len(codes) and by else None
        shapes[measure.id] = FigureShape(
            measure.id, by, tuple(None if c is None else tuple(c) for c in codes), cells
        )
    return shapes


def lint_template(rule_file: RuleFile) -> list[Finding]:
    """Every problem with the rule file's `[export.xlsx]` mapping and its template."""
    export = rule_file.model.export
    mapping = export.xlsx if export is not None else None
    if mapping is None or not mapping.template:
        return []
    file = str(rule_file.path)
    try:
        workbook = load_template(rule_file.path.parent / mapping.template, "")
    except UsageError as exc:
        message = str(exc).removeprefix("export.xlsx.template: ")
        return [
            finding("RUL-060", message, location=Location(file=file, key="export.xlsx.template"))
        ]
    shapes = rule_shapes(rule_file)
    wanted: list[Wanted] = []
    problems: list[MappingProblem] = []
    for key, target in mapping.cells.items():
        resolved = resolve_key(shapes, key)
        if isinstance(resolved, str):
            problems.append(MappingProblem("RUL-064", cells_key(key), resolved))
        else:
            wanted.append(Wanted(cells_key(key), target))
    for name, target in mapping.fields.model_dump(exclude_none=True).items():
        wanted.append(Wanted(f"export.xlsx.fields.{name}", target))
    for target in mapping.text:
        wanted.append(Wanted(text_key(target), target))
    problems += place(workbook, wanted)[1]
    return [_finding(p, file) for p in problems]


def _finding(problem: MappingProblem, file: str) -> Finding:
    # The message names the cell itself; the location names the key.
    return finding(problem.code, problem.message, location=Location(file=file, key=problem.key))
