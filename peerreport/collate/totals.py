"""Adding providers' figures up, and protecting the collated table again.

A funder only has what providers published, so collation works on published
values:
- counts and sums add up; a provider's suppressed cell adds nothing and the
  collated cell is marked `incomplete` (its true value is at least the sum);
- `distinct` counts (unique people) add up too, but a person who went to two
  providers is counted twice: the sum is an upper bound, and it is labelled so;
- `min` and `max` take the smallest and largest provider value;
- derived measures (`expr`) are computed again from the collated totals with
  the rule file's own expression (an average of averages would be wrong).
With the funder's private key (`collate --funder-key`), providers' sealed
exact figures are added instead of their published ones: nothing is a lower
bound any more, and the regional table is protected once, so a small count
every provider had to hide can be published for the region when the region's
figure is large enough.
Then the rule file's disclosure control is applied to each collated table
(`peerreport.disclosure.protect_table`), so a small regional sum is protected
like a small provider count. Where providers' suppressed cells leave the
collated table not adding up, secondary suppression cannot be worked out and
each cell is protected on its own (primary suppression only), which the
cell's reason says. A collation of exact figures is then audited with the
providers' own returns (`collate.linked`), so that a region's figure less the
providers who published theirs cannot give a hidden one away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from peerreport.collate.gather import Received
from peerreport.collate.linked import Earlier, audit_collation
from peerreport.compute.figures import round_half_up
from peerreport.disclosure import Protected, Status, TableError, protect_table
from peerreport.disclosure.distinct import protect_distinct
from peerreport.language import evaluate
from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED
from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import RuleFile

CellKey = tuple[str | None, ...]
ADDITIVE = ("count", "sum", "distinct")


@dataclass(frozen=True)
class CollatedCell:
    """One collated number: its published value and status, and how complete it is."""

    key: CellKey
    value: int | float | str | None
    status: str  # exact | rounded | suppressed | not_collected
    providers: int  # providers that published a value for it
    incomplete: int = 0  # providers whose value was suppressed (not added)
    reason: str = ""

    def label(self) -> str:
        """'total', or the key's codes joined with ' / ' ('not recorded' for None)."""
        if not self.key:
            return "total"
        return " / ".join("not recorded" if k is None else k for k in self.key)

    def words(self, by: Sequence[str]) -> str:
        """'total', or the cell's categories in words: 'In person · Māori'."""
        from peerreport.render.words import category_label

        if not self.key:
            return "total"
        return " · ".join(category_label(f, k) for f, k in zip(by, self.key, strict=False))


@dataclass(frozen=True)
class CollatedFigure:
    """A measure across all providers."""

    id: str
    label: str
    kind: str
    unit: str
    line: str
    by: tuple[str, ...]
    total: CollatedCell
    cells: tuple[CollatedCell, ...]
    note: str = ""


def collate_figures(
    rule_file: RuleFile,
    received: Sequence[Received],
    period: Period,
    exact: Mapping[str, Mapping[str, Mapping[CellKey, Any]]] | None = None,
    earlier: Sequence[Earlier] = (),
) -> list[CollatedFigure]:
    """Every measure of the rule file, added up over the received returns and protected.

    `exact` holds providers' exact figures (by organisation code, from their
    sealed parts, `collate.exact`): for those providers the exact values are
    added, not the published ones, and the regional table is protected once,
    then audited with the providers' returns and the `earlier` collations of
    the period already published (`collate.linked`).
    """
    figures: dict[str, CollatedFigure] = {}
    raw: dict[str, Any] = {}
    exact = exact or {}
    for ident, compiled in rule_file.measures.items():
        measure = compiled.measure
        if measure.kind == "expr":
            continue
        parts = [
            _exact_parts(exact[r.ret.organisation], ident)
            if r.ret.organisation in exact
            else _parts(r, ident)
            for r in received
        ]
        keys = list(dict.fromkeys(k for p in parts for k in p))
        sums = {k: _combine(measure.kind, [p[k] for p in parts if k in p]) for k in keys or [()]}
        raw[ident] = sums[()][0] if () in sums else None
        protected = _protect(rule_file, ident, len(measure.by), sums, period)
        note = (
            (
                "sum of providers' distinct counts: people who went to more than one provider "
                "are counted once for each"
            )
            if measure.kind == "distinct"
            else ""
        )
        cells = tuple(protected[k] for k in keys if k != ())
        total = protected.get((), CollatedCell((), None, "exact", 0))
        figures[ident] = CollatedFigure(
            ident,
            measure.label or ident,
            measure.kind,
            measure.unit,
            measure.line,
            tuple(measure.by),
            total,
            cells,
            note,
        )
    if exact:
        # Exact sums beside the providers' own returns could give a hidden figure away.
        audit = audit_collation(rule_file, received, exact, figures, earlier)
        figures = {i: _hidden(f, audit.hide) for i, f in figures.items()}
        for ident, said in _conflicts(audit.conflicts).items():
            figures[ident] = replace(figures[ident], note=_joined(figures[ident].note, said))
    for ident in rule_file.derived_order:
        figures[ident] = _derived(rule_file, ident, raw, figures)
    return [figures[i] for i in rule_file.measures if i in figures]


def _hidden(figure: CollatedFigure, hide: Mapping[tuple[str, CellKey], str]) -> CollatedFigure:
    """The figure with the cells the linked audit hid (value gone, reason given)."""

    def one(cell: CollatedCell) -> CollatedCell:
        reason = hide.get((figure.id, cell.key))
        if reason is None:
            return cell
        return replace(cell, value=None, status="suppressed", reason=reason)

    return replace(figure, total=one(figure.total), cells=tuple(one(c) for c in figure.cells))


def _conflicts(conflicts: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Cells the audit could not protect, by measure (they were given away by providers)."""
    found: dict[str, list[str]] = {}
    for ident, words in conflicts:
        found.setdefault(ident, []).append(words)
    return {
        ident: "providers' own returns already give away " + "; ".join(items)
        for ident, items in found.items()
    }


def _joined(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more


def _parts(item: Received, ident: str) -> dict[CellKey, tuple[Any, str]]:
    """One provider's published (value, status) for the total and every cell of a figure."""
    try:
        figure = item.ret.figure(ident)
    except KeyError:
        return {}
    cells = [figure.total, *figure.cells]
    return {c.key: (c.value, c.status) for c in cells}


def _exact_parts(
    figures: Mapping[str, Mapping[CellKey, Any]], ident: str
) -> dict[CellKey, tuple[Any, str]]:
    """One provider's exact (value, "exact") for the total and every cell of a figure."""
    return {key: (value, "exact") for key, value in figures.get(ident, {}).items()}


def _combine(kind: str, parts: list[tuple[Any, str]]) -> tuple[Any, int, int, bool]:
    """(value, providers with a value, providers suppressed, any rounded)."""
    values = [v for v, status in parts if status != SUPPRESSED and v is not None]
    hidden = sum(1 for _, status in parts if status == SUPPRESSED)
    rounded = any(status == "rounded" for _, status in parts)
    collected = any(status != NOT_COLLECTED for _, status in parts)
    if kind in ADDITIVE:
        # No provider collected it: not collected for the region either, never 0.
        value: Any = sum(values) if values else (0 if not hidden and collected else None)
    elif not values:
        value = None
    else:
        value = min(values) if kind == "min" else max(values)
    return value, len(values), hidden, rounded


def _protect(
    rule_file: RuleFile,
    ident: str,
    by: int,
    sums: dict[CellKey, tuple[Any, int, int, bool]],
    period: Period,
) -> dict[CellKey, CollatedCell]:
    policy = rule_file.disclosure
    kind = rule_file.measures[ident].measure.kind
    values = {k: v for k, (v, *_) in sums.items()}
    whole = all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values.values()
    )
    protected: dict[CellKey, Protected] = {}
    reason = ""
    if kind in ADDITIVE and whole and policy.method != "none":
        table = {k: int(v) for k, v in values.items() if v is not None}
        identity = (rule_file.id, ident, period.label, "collated")
        try:
            if len(table) != len(values):
                raise TableError("some cells have no value")
            if kind == "distinct" and by and policy.method == "suppress":
                # Summed distinct counts are still cell <= total <= sum of cells.
                protected = protect_distinct(table, by, policy, identity)
            else:
                protected = protect_table(table, by, policy, identity)
        except TableError:
            reason = "protected cell by cell: the collated table does not add up"
            protected = {
                k: protect_table({(): v}, 0, policy, (*identity, repr(k)))[()]
                for k, v in table.items()
            }
    result: dict[CellKey, CollatedCell] = {}
    for key, (value, providers, hidden, rounded) in sums.items():
        found = protected.get(key)
        if found is None:
            status = (
                "suppressed"
                if value is None and hidden
                else NOT_COLLECTED
                if value is None and kind in ADDITIVE
                else ("rounded" if rounded else "exact")
            )
            result[key] = CollatedCell(
                key, _rounded(rule_file, ident, value), status, providers, hidden
            )
            continue
        status = {
            Status.EXACT: "rounded" if rounded else "exact",
            Status.SUPPRESSED: "suppressed",
        }.get(found.status, "rounded")
        why = "; ".join(r for r in (found.reason, reason) if r)
        result[key] = CollatedCell(key, found.value, status, providers, hidden, why)
    return result


def _rounded(rule_file: RuleFile, ident: str, value: Any) -> Any:
    if isinstance(value, float):
        return round_half_up(value, rule_file.measures[ident].measure.round)
    return value


def _derived(
    rule_file: RuleFile, ident: str, raw: dict[str, Any], figures: dict[str, CollatedFigure]
) -> CollatedFigure:
    compiled = rule_file.measures[ident]
    assert compiled.argument is not None
    names = compiled.argument.names()
    hidden = [n for n in names if n in figures and figures[n].total.status == "suppressed"]
    incomplete = [n for n in names if n in figures and figures[n].total.incomplete]
    value = None
    if not hidden and not incomplete:
        computed = evaluate(compiled.argument.tree, raw)
        value = (
            _rounded(rule_file, ident, float(computed))
            if isinstance(computed, int | float) and not isinstance(computed, bool)
            else computed
        )
        raw[ident] = value
    status = "suppressed" if hidden or incomplete else "exact"
    reason = (
        f"derived from hidden or incomplete figures: {', '.join(hidden + incomplete)}"
        if status == "suppressed"
        else ""
    )
    m = compiled.measure
    total = CollatedCell((), value, status, 0, 0, reason)
    return CollatedFigure(ident, m.label or ident, m.kind, m.unit, m.line, (), total, ())
