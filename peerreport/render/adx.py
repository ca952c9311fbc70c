"""IHE ADX (Aggregate Data Exchange) XML for a return or a collation, which DHIS2 imports.

A document is `<adx exported="…">` holding one `<group orgUnit period
dataSet>` of `<dataValue dataElement="…" CATEGORY="option" value="…"/>`, in
the namespace `urn:ihe:qrph:adx:2015`. The rule file's `[export.adx]` gives
the funder's codes: the data set, a data element per measure, a category
code per `by` grouping (written as the value's attribute name) and category
option codes. The period is written as ISO 8601 start and duration
(`2026-07-01/P3M`).

Protected figures follow the profile: a value is a required decimal, so a
hidden figure has no `dataValue` (writing 0, or anything, would be a false
figure); the group lists them in `peerreport:hidden` (namespace
`urn:peerreport:adx:1`, which the profile's open attributes allow), so an
importer's gap can be told from an unreported item. A figure the organisation
did not collect (status `not_collected`) has no `dataValue` either, and is
listed in `peerreport:notCollected`. A rounded figure carries
an `<annotation>` saying so, as does a collated figure that is only a lower
bound because some providers hid theirs.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerreport.errors import UsageError
from peerreport.returns.periods import Period

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.export_model import ExportAdx

ADX_NS = "urn:ihe:qrph:adx:2015"
PEERREPORT_NS = "urn:peerreport:adx:1"
NOT_RECORDED = "NOT_RECORDED"


def adx_period(period: Period) -> str:
    """ISO 8601 start/duration: whole months as PnM (a year as P1Y), else days (PnD)."""
    start, end = period.start, period.end
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    last_day = (end + dt.timedelta(days=1)).day == 1
    if start.day == 1 and last_day:
        return f"{start.isoformat()}/{'P1Y' if months == 12 else f'P{months}M'}"
    return f"{start.isoformat()}/P{(end - start).days + 1}D"


@dataclass(frozen=True)
class _Value:
    element: str
    categories: tuple[tuple[str, str], ...]
    value: Any
    annotation: str = ""

    def name(self) -> str:
        """'CALLS(MODE=PHONE)': how a hidden value is listed."""
        if not self.categories:
            return self.element
        return f"{self.element}({','.join(f'{c}={o}' for c, o in self.categories)})"


def _problems(figures: Sequence[Any], mapping: ExportAdx) -> list[str]:
    from peerreport.language import did_you_mean

    by_id = {f.id: f for f in figures}
    problems = []
    for measure in mapping.data_elements:
        if measure not in by_id:
            hint = did_you_mean(measure, list(by_id))
            problems.append(
                f'export.adx.data_elements."{measure}": the return has no measure {measure!r}.'
                + (hint or f" Its measures: {', '.join(by_id)}.")
            )
    for measure in mapping.totals:
        figure = by_id.get(measure)
        if figure is None or not figure.by:
            problems.append(
                f'export.adx.totals."{measure}": only a measure with `by` has a separate total'
            )
    groupings: dict[str, set[str | None]] = {}
    for measure in mapping.data_elements:
        figure = by_id.get(measure)
        if figure is None:
            continue
        for position, grouping in enumerate(figure.by):
            if grouping not in mapping.categories:
                problems.append(
                    f"export.adx.categories: measure {measure} is broken down by {grouping}; "
                    f'give its category code ({grouping} = "CODE")'
                )
            codes = groupings.setdefault(grouping, set())
            codes.update(c.key[position] for c in figure.cells)
    for grouping, options in mapping.options.items():
        if grouping not in groupings:
            problems.append(
                f'export.adx.options."{grouping}": no mapped measure is broken down by {grouping}'
            )
            continue
        # '-' (not recorded) is always a possible cell.
        known = sorted({"-"} | {"-" if c is None else c for c in groupings[grouping]})
        for code in options:
            if code not in known:
                hint = did_you_mean(code, known)
                problems.append(
                    f'export.adx.options."{grouping}"."{code}": {grouping} has no code {code!r}.'
                    + (hint or f" Its codes: {', '.join(known)}.")
                )
    return problems


def _option(mapping: ExportAdx, grouping: str, code: str | None) -> str:
    chosen = mapping.options.get(grouping, {})
    if code is None:
        return chosen.get("-", NOT_RECORDED)
    return chosen.get(code, code)


def _values(
    figures: Sequence[Any], mapping: ExportAdx, rounding: str
) -> tuple[list[_Value], list[_Value], list[_Value]]:
    """(values written, values hidden, values not collected) for every mapped measure."""
    written: list[_Value] = []
    hidden: list[_Value] = []
    uncollected: list[_Value] = []
    for figure in figures:
        element = mapping.data_elements.get(figure.id)
        if element is None:
            continue
        cells = list(figure.cells) if figure.by else [figure.total]
        places = [(element, cell) for cell in cells]
        if figure.by and figure.id in mapping.totals:
            places.append((mapping.totals[figure.id], figure.total))
        for code, cell in places:
            categories = tuple(
                (mapping.categories[g], _option(mapping, g, k))
                for g, k in zip(figure.by, cell.key, strict=False)
            )
            value = _Value(code, categories, cell.value, _annotation(cell, rounding))
            if cell.status == "suppressed":
                hidden.append(value)
            elif cell.status == "not_collected":
                uncollected.append(value)
            elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                written.append(value)
    return written, hidden, uncollected


def _annotation(cell: Any, rounding: str) -> str:
    notes = []
    if cell.status == "rounded":
        notes.append(f"rounded to protect small counts ({rounding})")
    incomplete = getattr(cell, "incomplete", 0)
    if incomplete:
        notes.append(
            f"at least this: {incomplete} provider(s) hid their figure, which is not added"
        )
    return "; ".join(notes)


def _document(
    figures: Sequence[Any],
    mapping: ExportAdx,
    org_unit: str,
    period: Period,
    exported: dt.datetime,
    rounding: str,
    complete: dt.datetime | None,
) -> bytes:
    problems = _problems(figures, mapping)
    if problems:
        raise UsageError(
            "the rule file's [export.adx] does not fit the return:\n  " + "\n  ".join(problems)
        )
    written, hidden, uncollected = _values(figures, mapping, rounding)
    if not written:
        raise UsageError(
            "every figure [export.adx] maps is hidden, not collected or empty, and an ADX "
            "group needs at "
            "least one value: there is nothing to write as ADX"
        )
    ET.register_namespace("", ADX_NS)
    ET.register_namespace("peerreport", PEERREPORT_NS)
    root = ET.Element(f"{{{ADX_NS}}}adx", {"exported": _stamp(exported)})
    group = ET.SubElement(
        root,
        f"{{{ADX_NS}}}group",
        {"orgUnit": org_unit, "period": adx_period(period), "dataSet": mapping.data_set},
    )
    if complete is not None:
        group.set("completeDate", complete.date().isoformat())
    if hidden:
        group.set(f"{{{PEERREPORT_NS}}}hidden", " ".join(v.name() for v in hidden))
    if uncollected:
        group.set(f"{{{PEERREPORT_NS}}}notCollected", " ".join(v.name() for v in uncollected))
    for item in written:
        attributes = {"dataElement": item.element, **dict(item.categories)}
        attributes["value"] = _decimal(item.value)
        element = ET.SubElement(group, f"{{{ADX_NS}}}dataValue", attributes)
        if item.annotation:
            ET.SubElement(element, f"{{{ADX_NS}}}annotation").text = item.annotation
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _decimal(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def render_adx(ret: Any, mapping: ExportAdx, exported: dt.datetime | None = None) -> bytes:
    """A return as an ADX document (its filing time as `exported` and `completeDate`)."""
    filed = dt.datetime.fromisoformat(ret.filing.submitted_at) if ret.filing is not None else None
    moment = exported or filed or dt.datetime.now(dt.UTC)
    return _document(
        ret.figures,
        mapping,
        mapping.org_unit or ret.organisation,
        ret.period,
        moment,
        str(ret.disclosure.get("method", "")),
        filed,
    )


def render_collation_adx(
    collation: Any,
    mapping: ExportAdx,
    org_unit: str,
    rounding: str,
    exported: dt.datetime | None = None,
) -> bytes:
    """A collation as an ADX document for the region `org_unit`."""
    return _document(
        collation.figures,
        mapping,
        org_unit,
        collation.period,
        exported or dt.datetime.now(dt.UTC),
        rounding,
        None,
    )


__all__ = ["ADX_NS", "PEERREPORT_NS", "adx_period", "render_adx", "render_collation_adx"]
