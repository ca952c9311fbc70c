"""`[[remove]]`: taking an inherited measure or check out of a tailored return.

Applied while resolving `extends`, after the parents are merged and before the
file's own measures and checks are added. Each removal must name something
inherited (else `RUL-033`, with the closest inherited id), may not name an id
the same file defines (`RUL-031`), and a removed measure may not be used by
anything that remains: a derived measure, a return or consistency check, a
message placeholder or the file's `[export.xlsx] cells` or `[export.adx]`
data elements (`RUL-033`, naming each user). Uses are read through the
file's `[define]`s, so a derived measure that uses the removed one through a
define is named too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from peerreport.findings import Finding
from peerreport.language import Define, ExpressionError, ast, did_you_mean, expand, parse
from peerreport.rulebook.model import Check, Measure, Remove, RuleFileModel
from peerreport.rulebook.problems import problem
from peerreport.rulebook.template import placeholders


def check_targets(
    model: RuleFileModel,
    path: Path,
    measures: Mapping[str, Measure],
    checks: Mapping[str, Check],
) -> list[Finding]:
    """Problems with the file's removals before they are applied: not inherited, also defined."""
    found: list[Finding] = []
    own = {
        "measure": {m.id: i for i, m in enumerate(model.measure)},
        "check": {c.id: i for i, c in enumerate(model.check)},
    }
    inherited = {"measure": measures, "check": checks}
    seen: set[tuple[str, str]] = set()
    for index, removal in enumerate(model.remove):
        kind, target = removal.kind, removal.target
        key = f"remove[{index}].{kind}"
        if (kind, target) in seen:
            found.append(problem("RUL-031", f"{kind} '{target}' is removed twice", path, key))
            continue
        seen.add((kind, target))
        if target in own[kind]:
            found.append(
                problem(
                    "RUL-031",
                    f"{kind} '{target}' is both removed (remove[{index}]) and defined "
                    f"({kind}[{own[kind][target]}]) in this file",
                    path,
                    key,
                    hint=f"A {kind} with an inherited id replaces the inherited one: keep the "
                    "new definition and drop the [[remove]], or keep the [[remove]] and drop "
                    f"the {kind}.",
                )
            )
        elif target not in inherited[kind] and not model.resolved:
            # A resolved (packed) file records the removals of its lineage; nothing to inherit.
            if inherited[kind]:
                what = f"no inherited {kind} has that id." + did_you_mean(
                    target, list(inherited[kind])
                )
            else:
                what = f"this file inherits no {kind}s (see extends)."
            found.append(
                problem(
                    "RUL-033",
                    f"remove of {kind} '{target}', which is not inherited: {what}",
                    path,
                    key,
                    hint="`peerreport rules show PARENT` lists what a parent defines.",
                )
            )
    return found


def parsed_defines(texts: Mapping[str, str]) -> dict[str, Define]:
    """The defines that parse (the analysis reports the others)."""
    result: dict[str, Define] = {}
    for name, text in texts.items():
        try:
            result[name] = Define(name, text, parse(text))
        except ExpressionError:
            continue
    return result


def _names(text: str | None, defines: Mapping[str, Define]) -> set[str]:
    if not text:
        return set()
    try:
        return {n.name for n in ast.names(expand(parse(text), defines))}
    except ExpressionError:
        return set()


def _placeholders(check: Check) -> set[str]:
    result: set[str] = set()
    for template in (check.message, check.hint):
        try:
            result.update(placeholders(template))
        except ValueError:
            continue
    return result


def users(
    measure_id: str,
    measures: Mapping[str, Measure],
    checks: Mapping[str, Check],
    defines: Mapping[str, Define],
    export_cells: Mapping[str, str],
) -> list[str]:
    """What still uses a measure, in words: "measure 'x' (expr)", "check 'C-1' (assert)", ..."""
    found: list[str] = []
    for m in measures.values():
        if m.kind == "expr" and measure_id in _names(m.expr, defines):
            found.append(f"measure '{m.id}' (expr)")
    for c in checks.values():
        attrs: list[str] = []
        if c.kind == "consistency":
            if c.total == measure_id:
                attrs.append("total")
            if measure_id in c.parts:
                attrs.append("parts")
        elif c.kind == "history":
            if c.history == measure_id:
                attrs.append("history")
        elif c.kind == "return":
            attrs += [
                a
                for a, t in (("where", c.where), ("assert", c.assert_))
                if t and (measure_id in _names(t, defines))
            ]
        if measure_id in _placeholders(c):
            attrs.append("message")
        if attrs:
            found.append(f"check '{c.id}' ({', '.join(attrs)})")
    for key, target in export_cells.items():
        if key.split("[", 1)[0] == measure_id:
            found.append(f"export.xlsx.cells '{key}' (-> {target})")
    return found


def _adx_users(model: RuleFileModel, measure_id: str) -> list[str]:
    """The file's `[export.adx]` entries that name a measure, in words."""
    adx = model.export.adx if model.export else None
    if adx is None:
        return []
    return [
        f"export.adx.{table} '{measure_id}' (-> {codes[measure_id]})"
        for table, codes in (("data_elements", adx.data_elements), ("totals", adx.totals))
        if measure_id in codes
    ]


def check_users(
    model: RuleFileModel,
    path: Path,
    measures: Mapping[str, Measure],
    checks: Mapping[str, Check],
    define_texts: Mapping[str, str],
) -> list[Finding]:
    """A removed measure that something remaining still uses: one problem per removal."""
    found: list[Finding] = []
    defines = parsed_defines(define_texts)
    cells = model.export.xlsx.cells if model.export and model.export.xlsx else {}
    for index, removal in enumerate(model.remove):
        if removal.measure is None or removal.measure in measures:
            continue
        using = users(removal.measure, measures, checks, defines, cells)
        using += _adx_users(model, removal.measure)
        if using:
            found.append(
                problem(
                    "RUL-033",
                    f"measure '{removal.measure}' cannot be removed: it is used by "
                    + ", ".join(using),
                    path,
                    f"remove[{index}].measure",
                    hint="Remove or replace what uses it too (a [[remove]] for a check or "
                    "derived measure, a measure or check with the same id, or a "
                    "[define] of the same name), or keep the measure.",
                )
            )
    return found


def record(removals: list[Remove], model: RuleFileModel) -> list[Remove]:
    """The chain's removals so far plus this file's (a later one of the same id wins)."""
    merged = {(r.kind, r.target): r for r in removals}
    merged.update({(r.kind, r.target): r for r in model.remove})
    return list(merged.values())
