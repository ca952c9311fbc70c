"""An independent search of everything a return releases for the true values it hides.

`problems(ret, truth, rule_file, renderings)` lists every place where a hidden
cell's true value is released where it stands for that cell: the figure
itself, a derived figure using it, a check's message, hint and details at the
placeholder or field that names it, the record counts; and, in every
rendering (JSON, CSV, XLSX cell by cell, HTML, text, the web review page,
history charts), any number equal to a hidden true value that neither the
released return nor the same rendering with every figure blanked out contains
(so a renderer that computes a number from released figures, like a sum of
the shown cells, is caught, and labels such as "25-44" are not).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from peerreport.compute.figures import Figures, show
from peerreport.returns.model import SUPPRESSED, PublishedCell, Return
from peerreport.rulebook import RuleFile
from peerreport.rulebook.template import placeholders

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_MARKUP = re.compile(r"<(style|script)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]*>")

Rendering = Callable[[Return], str]


def hidden(ret: Return, truth: Figures) -> list[tuple[str, tuple[str | None, ...], str]]:
    """(measure, cell key, true value as shown) of every hidden cell with a value."""
    found = []
    for figure in ret.figures:
        true = truth[figure.id]
        values = {(): true.value, **{c.key: c.value for c in true.cells}}
        for cell in (figure.total, *figure.cells):
            value = values.get(cell.key)
            if cell.status == SUPPRESSED and value is not None:
                found.append((figure.id, cell.key, show(value)))
    return found


def numbers(text: str) -> set[str]:
    """The numbers in a text, in a canonical form (3, 3.0 and 3.00 are all '3')."""
    return {_canonical(n) for n in NUMBER.findall(text)}


def _canonical(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else repr(value)


def visible_text(html: str) -> str:
    """What a reader sees of an HTML page: no style, script or tags."""
    return _TAG.sub(" ", _MARKUP.sub(" ", html))


def xlsx_text(data: bytes) -> str:
    """Every cell of every sheet of a workbook, one per line (openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell.value)
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def blanked(ret: Return) -> Return:
    """The same return with every figure hidden: what a rendering shows besides figures."""

    def blank(cell: PublishedCell) -> PublishedCell:
        return PublishedCell(cell.key, None, SUPPRESSED)

    figures = tuple(
        replace(f, total=blank(f.total), cells=tuple(blank(c) for c in f.cells))
        for f in ret.figures
    )
    return replace(ret, figures=figures)


def with_method(rule_file: RuleFile, method: str) -> RuleFile:
    """The same rule file under another disclosure method (the shipped files all suppress)."""
    policy = rule_file.disclosure.model_copy(update={"method": method})
    return replace(rule_file, model=rule_file.model.model_copy(update={"disclosure": policy}))


def _decimal_fields() -> frozenset[str]:
    """The record fields that hold decimal quantities (FTE, hours), read off the models."""
    import typing
    from decimal import Decimal

    from peerreport.records.models import RECORD_TYPES

    found = set()
    for model in RECORD_TYPES.values():
        for name, info in model.model_fields.items():
            annotation: Any = info.annotation
            while typing.get_origin(annotation) is typing.Annotated:
                annotation = typing.get_args(annotation)[0]
            if annotation is Decimal:
                found.add(name)
    return frozenset(found)


def _sums_decimal_fields(rule_file: RuleFile, ident: str) -> bool:
    argument = rule_file.measures[ident].argument
    names = set(argument.names()) if argument is not None else set()
    return bool(names) and names <= _decimal_fields()


def problems(
    ret: Return,
    truth: Figures,
    rule_file: RuleFile,
    renderings: Mapping[str, Rendering] = {},
    released: Iterable[Return] = (),
) -> list[str]:
    """Every disclosure of a hidden true value (see the module docstring); [] when none."""
    found: list[str] = []
    symbol = ret.disclosure.get("symbol", "S")
    secret = hidden(ret, truth)
    hidden_totals = {m for m, key, _ in secret if key == ()}
    hidden_any = {m for m, _, _ in secret}
    for figure in ret.figures:
        for cell in (figure.total, *figure.cells):
            if cell.status == SUPPRESSED and cell.value is not None:
                found.append(f"{figure.id} {cell.key}: hidden but has a value")
        argument = rule_file.measures[figure.id].argument
        if figure.kind == "expr" and argument is not None:
            uses = set(argument.names()) & hidden_totals
            if uses and figure.total.status != SUPPRESSED:
                found.append(f"{figure.id}: published although {sorted(uses)} are hidden")
    found += _findings(ret, rule_file, hidden_totals, hidden_any, symbol)
    method = ret.disclosure["method"]
    if method == "suppress" and ret.record_counts:
        found.append(f"record counts released beside suppressed figures: {ret.record_counts}")
    if method == "rr3" and any(v % 3 for v in ret.record_counts.values()):
        found.append(f"record counts not rounded: {ret.record_counts}")
    for figure in ret.figures:
        if method != "rr3" or figure.kind not in ("count", "distinct", "sum"):
            continue
        if figure.kind == "sum" and _sums_decimal_fields(rule_file, figure.id):
            continue  # FTE and hours count no one: published as computed
        for cell in (figure.total, *figure.cells):
            if not isinstance(cell.value, int | float) or cell.value % 3:
                found.append(f"{figure.id} {cell.key}: {cell.value} is not rounded to base 3")
    allowed = numbers(ret.to_json())
    for other in released:
        allowed |= numbers(other.to_json())
    secrets = {value for _, _, value in secret}
    for name, render in renderings.items():
        shown = numbers(render(ret)) - allowed - numbers(render(blanked(ret)))
        for value in sorted(secrets & shown):
            found.append(f"{name}: shows {value}, a hidden figure's true value")
    return found


def _findings(
    ret: Return, rule_file: RuleFile, hidden_totals: set[str], hidden_any: set[str], symbol: str
) -> list[str]:
    found: list[str] = []
    for f in ret.findings:
        compiled = rule_file.checks.get(f.code)
        if compiled is None:
            continue
        check = compiled.check
        # A consistency check's {parts} and {difference} are worked out from its parts'
        # cells, {total} and {difference} from its total.
        derived = {"parts", "difference"} if set(check.parts) & hidden_any else set()
        if check.total in hidden_totals:
            derived |= {"total", "difference"}
        for template, text in ((check.message, f.message), (check.hint, f.hint)):
            for name, value in _placeholder_values(template, text).items():
                secret = name in hidden_totals or name in derived
                if secret and value != symbol:
                    found.append(f"{f.code}: '{{{name}}}' shows {value!r} in {text!r}")
        values = f.details.get("values", {})
        for name in hidden_totals & set(values):
            if values[name] is not None:
                found.append(f"{f.code}: details give hidden {name} = {values[name]}")
        for name in derived & {"total", "parts", "difference"}:
            if f.details.get(name) is not None:
                found.append(f"{f.code}: details give {name} = {f.details[name]}")
        threshold = ret.disclosure["threshold"]
        count = f.details.get("count")
        small = isinstance(count, int) and 0 < count < threshold
        if ret.disclosure["method"] == "suppress" and small:
            found.append(f"{f.code}: {count} failing records is a small count")
    return found


def _placeholder_values(template: str, text: str) -> dict[str, str]:
    """What each `{name}` of `template` became in `text` (matched literally around it)."""
    names = placeholders(template)
    if not names:
        return {}
    pattern = ""
    rest = template.replace("{{", "\x00").replace("}}", "\x01")
    for part in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", rest):
        if part.startswith("{") and part.endswith("}"):
            pattern += "(.*?)"
        else:
            pattern += re.escape(part.replace("\x00", "{").replace("\x01", "}"))
    match = re.fullmatch(pattern, text, re.S)
    if match is None:
        return {"<template>": text}  # the message is not the template filled in
    result: dict[str, str] = {}
    for name, value in zip(names, match.groups(), strict=True):
        result.setdefault(name, value)
    return result


def renderings() -> dict[str, Rendering]:
    """Every rendering of a return a person can read (draft, so errors do not stop one)."""
    from peerreport.render.csv_output import render_csv
    from peerreport.render.html import render_html
    from peerreport.render.json_output import render_json
    from peerreport.render.text import render_text

    def xlsx(ret: Return) -> str:
        import tempfile
        from pathlib import Path

        from peerreport.render.workbook import render_xlsx

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "r.xlsx"
            render_xlsx(ret, path, draft=True)
            return xlsx_text(path.read_bytes())

    def review(ret: Return) -> str:
        from peerreport.web.routes.returns import _review_body

        return visible_text(str(_review_body(ret, [])))

    return {
        "json": lambda r: render_json(r, True).decode(),
        "csv": lambda r: render_csv(r, True).decode(),
        "text": lambda r: render_text(r),
        "html": lambda r: visible_text(render_html(r, (), True)),
        "xlsx": xlsx,
        "review page": review,
    }


def described(found: list[str]) -> Any:
    """A readable assertion message."""
    return "\n".join(found)
