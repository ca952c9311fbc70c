"""Everything a return releases is a cell: figures, derived figures, record counts, findings.

`build_return` computes on the true values (checks see real problems) and
then releases only protected values:

- counts, distinct counts and sums are protected by what they count, not by
  their Python type: a sum that comes out as a decimal (an average
  headcount, FTE) is protected like a count in its own units;
- min and max over fewer than `threshold` records are hidden (they would
  give one record's value);
- derived figures (`expr`) are computed after their inputs, in dependency
  order whatever the order of the file: hidden when an input is hidden,
  computed from the rounded inputs under random rounding;
- the record counts are rounded under random rounding and left out under
  suppression (a record count next to a published figure gives their
  difference);
- every number in a rule-file check's message, hint and details is filled
  again from the released figures (hidden ones show the suppression symbol).

Random rounding is seeded by what a cell counts (`canonical_definition`), the
breakdown cell, the period's dates and the organisation, so the same count
is rounded the same way under another measure id, another rule file or
another name of the same period. docs/disclosure.md states the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from peerreport.compute.figures import Figure, Value, json_value, round_half_up, show
from peerreport.disclosure import Protected, Status, cell_seed, protect_table
from peerreport.disclosure.distinct import protect_distinct
from peerreport.disclosure.rounding import grr_base, random_round_real
from peerreport.findings import Finding
from peerreport.language import Type
from peerreport.language import evaluate as evaluate_expression
from peerreport.returns.model import EXACT, ROUNDED, SUPPRESSED, PublishedCell, ReturnFigure
from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import CompiledCheck, CompiledMeasure, RuleFile
from peerreport.rulebook.definition import (
    breakdown_key,
    canonical_definition,
    check_definition,
    records_definition,
)
from peerreport.rulebook.model import Disclosure
from peerreport.rulebook.sources import sources
from peerreport.rulebook.template import fill

COUNT_KINDS = ("count", "distinct", "sum")
EXTREME_KINDS = ("min", "max")
_SEED_VERSION = "peerreport.released-cell.v2"
# Counts of records of each kind, as a `count` measure over the source (the same
# records, so the same rounded value); workforce and feedback entries count only
# those wholly inside the period, unlike a measure, so they get their own definition.
_RECORD_DEFINITIONS = {
    "activities": records_definition("activity"),
    "breakdowns": records_definition("breakdown"),
    "workforce": '{"aggregate":"entries_within_period","source":"workforce"}',
    "feedback": '{"aggregate":"entries_within_period","source":"feedback"}',
}
CellKey = tuple[str | None, ...]


def rounding_seed(definition: str, cell: str, period: Period, org: str) -> int:
    """The random-rounding seed of one released cell: what it counts, not what it is called."""
    return cell_seed(
        _SEED_VERSION, definition, cell, period.start.isoformat(), period.end.isoformat(), org
    )


def publish(
    rule_file: RuleFile, figures: Sequence[Figure], org: str, period: Period
) -> list[ReturnFigure]:
    """Every figure as released, in the order given (see the module docstring)."""
    published: dict[str, ReturnFigure] = {}
    for figure in figures:
        if figure.kind != "expr":
            published[figure.id] = _aggregate(rule_file, figure, org, period)
    return _with_derived(rule_file, figures, published)


def rederive(
    rule_file: RuleFile, figures: Sequence[Figure], released: Sequence[ReturnFigure]
) -> list[ReturnFigure]:
    """The derived figures worked out again from `released`, after a later stage (the audit
    of everything released) hid more of their inputs: hidden with a hidden input."""
    return _with_derived(rule_file, figures, {f.id: f for f in released})


def _with_derived(
    rule_file: RuleFile, figures: Sequence[Figure], published: dict[str, ReturnFigure]
) -> list[ReturnFigure]:
    by_id = {f.id: f for f in figures}
    for ident in rule_file.derived_order:
        if ident in by_id:
            published[ident] = _derived(rule_file, by_id[ident], published, by_id)
    return [published[f.id] for f in figures]


def _figure(
    rule_file: RuleFile, figure: Figure, total: PublishedCell, cells: tuple[PublishedCell, ...]
) -> ReturnFigure:
    return ReturnFigure(
        id=figure.id,
        label=figure.label or figure.id,
        kind=figure.kind,
        unit=figure.unit,
        line=figure.line,
        by=figure.by,
        total=total,
        cells=cells,
        description=rule_file.measures[figure.id].measure.description,
    )


def _exact(rule_file: RuleFile, figure: Figure) -> ReturnFigure:
    total = PublishedCell((), json_value(figure.value), EXACT)
    cells = tuple(PublishedCell(c.key, json_value(c.value), EXACT) for c in figure.cells)
    return _figure(rule_file, figure, total, cells)


def _aggregate(rule_file: RuleFile, figure: Figure, org: str, period: Period) -> ReturnFigure:
    policy = rule_file.disclosure
    if policy.method == "none" or figure.kind not in (*COUNT_KINDS, *EXTREME_KINDS):
        return _exact(rule_file, figure)
    if figure.kind in EXTREME_KINDS:
        return _extreme(rule_file, figure, policy.threshold)
    compiled = rule_file.measures[figure.id]
    if figure.kind == "sum" and _sums_quantities(compiled):
        return _exact(rule_file, figure)
    definition = canonical_definition(compiled, rule_file)
    values: dict[CellKey, float | int] = {(): _number(figure.value)}
    values.update({c.key: _number(c.value) for c in figure.cells})
    if policy.method in ("rr3", "graduated"):
        protected = {
            key: _round(
                value,
                policy.method,
                rounding_seed(definition, breakdown_key(compiled, key, rule_file), period, org),
            )
            for key, value in values.items()
        }
    else:
        protected = suppress(figure, values, policy, compiled.measure.round)
    total = _cell((), protected[()], figure.value)
    cells = tuple(_cell(c.key, protected[c.key], c.value) for c in figure.cells)
    return _figure(rule_file, figure, total, cells)


def _sums_quantities(compiled: CompiledMeasure) -> bool:
    """Does a `sum` add up quantities (FTE, hours: decimal fields) rather than counts?

    Protection follows what a figure counts: a sum of a field that counts people
    or events (attendance, first_time, a headcount, a breakdown's count; whole
    numbers, apportioned or not) is protected like a count, whatever its Python
    type. A sum of decimal quantities only (paid FTE, volunteer or training
    hours) counts no one: it is the volume a funder buys, published as computed.
    """
    source = sources().get(compiled.measure.record_source or "")
    if source is None or compiled.argument is None:
        return False
    names = compiled.argument.names()
    bindings = [source.binding(name) for name in names]
    return bool(bindings) and all(b is not None and b.type is Type.REAL for b in bindings)


def _number(value: Value) -> float | int:
    if value is None:
        return 0
    assert isinstance(value, int | float), "counts and sums are numbers"
    return value


def _round(value: float | int, method: str, seed: int) -> Protected:
    base = 3 if method == "rr3" else grr_base(round(value))
    return Protected(random_round_real(value, base, seed), Status.ROUNDED, method)


def suppress(
    figure: Figure, values: Mapping[CellKey, float | int], policy: Disclosure, places: int | None
) -> dict[CellKey, Protected]:
    """Threshold suppression of one figure's table, whole numbers or not.

    A table of decimals is protected as whole numbers of its smallest unit
    (tenths for `round = 1`, hundredths when it does not say), with the
    threshold in the same unit, so a hidden decimal cannot be narrowed to less
    than `threshold` of the figure's own units. A distinct count broken down
    (one person in several cells) is protected under its own attacker model
    (`disclosure.distinct`). Other cells that do not add up to the total
    (decimals rounded apart) are protected one by one, since none can then be
    recovered by subtraction; so are the cells of a table with a negative value
    (by their size).
    """
    whole = all(float(v).is_integer() for v in values.values())
    scale = 1 if whole else 10 ** min(places if places is not None else 2, 4)
    # A negative sum (a net change) is protected by its size, cell by cell.
    signed = any(v < 0 for v in values.values())
    scaled = {key: round(abs(v) * scale) for key, v in values.items()}
    cells = {k: v for k, v in scaled.items() if k != ()}
    table_policy = policy.model_copy(update={"threshold": policy.threshold * scale})
    by = len(figure.by)
    slack = 0 if whole else len(cells)  # rounding each cell moves the sum by under 1 each
    additive = (
        figure.kind != "distinct" and not signed and abs(sum(cells.values()) - scaled[()]) <= slack
    )
    if cells and figure.kind == "distinct" and whole:
        # One person can be in several cells: protected against an attacker who knows each
        # cell is at most the total and the total at most the sum of the cells.
        return protect_distinct({**scaled}, by, table_policy)
    if not cells or additive:
        table = {**scaled, (): sum(cells.values())} if cells else scaled
        protected = protect_table(table, by, table_policy, ())
    else:
        protected = protect_table({(): scaled[()]}, 0, table_policy, ())
        for key, value in cells.items():
            protected[key] = protect_table({(): value}, 0, table_policy, ())[()]
    return protected  # an exact cell's value here is in the scaled unit: publish the true one


def _cell(key: CellKey, protected: Protected, true: Value) -> PublishedCell:
    if protected.status is Status.SUPPRESSED:
        return PublishedCell(key, None, SUPPRESSED)
    if protected.status is Status.ROUNDED:
        value: Any = protected.value
        return PublishedCell(key, float(value) if isinstance(true, float) else value, ROUNDED)
    return PublishedCell(key, json_value(true), EXACT)


def _extreme(rule_file: RuleFile, figure: Figure, threshold: int) -> ReturnFigure:
    """Min and max: hidden when fewer than `threshold` records give them (one record's value)."""

    def released(key: CellKey, value: Value, support: int | None) -> PublishedCell:
        if value is None or (support is not None and support >= threshold):
            return PublishedCell(key, json_value(value), EXACT)
        return PublishedCell(key, None, SUPPRESSED)

    total = released((), figure.value, figure.support)
    cells = tuple(released(c.key, c.value, c.support) for c in figure.cells)
    return _figure(rule_file, figure, total, cells)


def _derived(
    rule_file: RuleFile,
    figure: Figure,
    published: Mapping[str, ReturnFigure],
    figures: Mapping[str, Figure],
) -> ReturnFigure:
    """A derived figure from the released values of what it uses."""
    compiled = rule_file.measures[figure.id]
    if rule_file.disclosure.method == "none" or compiled.argument is None:
        return _exact(rule_file, figure)
    inputs = {n: published[n].total for n in compiled.argument.names() if n in published}
    if any(cell.status == SUPPRESSED for cell in inputs.values()):
        return _figure(rule_file, figure, PublishedCell((), None, SUPPRESSED), ())
    if all(cell.status == EXACT for cell in inputs.values()):
        return _exact(rule_file, figure)
    env: dict[str, Value] = {
        n: figures[n].value if cell.status == EXACT else _released_number(cell.value)
        for n, cell in inputs.items()
    }
    value = evaluate_expression(compiled.argument.tree, env, on_zero=lambda _node: None)
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    rounded = round_half_up(number, compiled.measure.round)
    return _figure(rule_file, figure, PublishedCell((), json_value(rounded), ROUNDED), ())


def _released_number(value: object) -> Value:
    return value if isinstance(value, int | float) else None


def release_record_counts(
    counts: Mapping[str, int], policy: Disclosure, org: str, period: Period
) -> dict[str, int]:
    """The record counts a return releases: exact under `none`, rounded under random
    rounding, left out under suppression (they are not audited with the figures)."""
    if policy.method == "none":
        return dict(counts)
    if policy.method == "suppress":
        return {}
    released: dict[str, int] = {}
    for name, count in counts.items():
        definition = _RECORD_DEFINITIONS.get(name, f'{{"records":"{name}"}}')
        seed = rounding_seed(definition, "[]", period, org)
        value = _round(count, policy.method, seed).value
        assert isinstance(value, int)
        released[name] = value
    return released


def release_findings(
    rule_file: RuleFile,
    findings: Sequence[Finding],
    figures: Sequence[ReturnFigure],
    org: str,
    period: Period,
) -> list[Finding]:
    """Findings as released: every check's message, hint and details filled from released values.

    Findings of rule-file checks are rendered again from their templates; the
    others (built-in codes) name months, expressions and files, not figures.
    """
    policy = rule_file.disclosure
    if policy.method == "none":
        return list(findings)
    released = _Released(rule_file, figures, org, period)
    result = []
    for found in findings:
        check = rule_file.checks.get(found.code)
        if check is None or found.details.get("check") != found.code:
            result.append(found)
        else:
            result.append(released.finding(check, found))
    return result


def released_values(
    rule_file: RuleFile, figures: Sequence[ReturnFigure], org: str, period: Period
) -> dict[str, str]:
    """Every measure's released total as a message shows it (hidden ones: the symbol)."""
    return _Released(rule_file, figures, org, period).values()


class _Released:
    """Released values, as messages show them."""

    def __init__(
        self, rule_file: RuleFile, figures: Sequence[ReturnFigure], org: str, period: Period
    ) -> None:
        self.rule_file = rule_file
        self.policy = rule_file.disclosure
        self.org = org
        self.period = period
        self.figures = {f.id: f for f in figures}
        self.places = {m.id: m.measure.round for m in rule_file.measures.values()}

    def shown(self, value: Any, places: int | None = None) -> str:
        return self.policy.symbol if value is None else show(value, places)

    def values(self) -> dict[str, str]:
        return {
            ident: (
                self.policy.symbol
                if f.total.status == SUPPRESSED
                else show(f.total.value, self.places.get(ident))
            )
            for ident, f in self.figures.items()
        }

    def value(self, ident: str) -> Any:
        """A figure's released total (None when hidden)."""
        figure = self.figures.get(ident)
        return None if figure is None else figure.total.value

    def number(self, ident: str) -> float | int | None:
        value = self.value(ident)
        return value if isinstance(value, int | float) else None

    def finding(self, check: CompiledCheck, found: Finding) -> Finding:
        kind = check.check.kind
        if kind == "history":
            return found  # made from released values only (history_checks.py)
        values = self.values()
        details = dict(found.details)
        if kind == "record":
            values.update(self.record_values(check, details))
        elif kind == "return":
            details["values"] = {
                n: (self.value(n) if n in self.figures else v)
                for n, v in dict(details.get("values", {})).items()
            }
        else:
            values.update(self.consistency_values(check, details))
        return replace(
            found,
            message=fill(check.check.message, values),
            hint=fill(check.check.hint, values),
            details=details,
        )

    def record_values(self, check: CompiledCheck, details: dict[str, Any]) -> dict[str, str]:
        """A record check's failing count is a count of records too: protect it."""
        count = int(details.get("count", 0))
        sample = [str(s) for s in details.get("sample", [])]
        if self.policy.method == "suppress":
            released: int | None = None if 0 < count < self.policy.threshold else count
        else:
            seed = rounding_seed(
                check_definition(check, self.rule_file), "[]", self.period, self.org
            )
            value = _round(count, self.policy.method, seed).value
            released = value if isinstance(value, int) else None
        # A complete list of failing records gives their number: under rounding, list
        # them only when the list is cut short; a hidden count lists none.
        complete = count <= len(sample)
        if released is None or (complete and self.policy.method != "suppress"):
            sample = []
        details["count"], details["sample"] = released, sample
        more = ", ..." if count > len(sample) else ""
        listed = ", ".join(sample) + more if sample else self.policy.symbol
        return {"count": self.shown(released), "sample": listed}

    def consistency_values(self, check: CompiledCheck, details: dict[str, Any]) -> dict[str, str]:
        """total, parts and difference from the released figures."""
        total = self.number(check.check.total or "")
        parts: float | int | None = 0
        for part in check.check.parts:
            figure = self.figures.get(part)
            if figure is None:
                parts = None
                break
            cells = figure.cells if figure.by else (figure.total,)
            numbers = [_released_number(c.value) for c in cells if c.status != SUPPRESSED]
            if len(numbers) < len(cells) or parts is None:
                parts = None
                break
            parts += sum(n for n in numbers if isinstance(n, int | float))
        difference = None if total is None or parts is None else total - parts
        details.update(total=total, parts=parts, difference=difference)
        return {
            "total": self.shown(total),
            "parts": self.shown(parts),
            "difference": self.shown(difference),
        }
