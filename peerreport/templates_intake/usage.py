"""Which fields a funder's return uses, read from its rule file.

A measure or record check uses the fields its `where`, its argument and its
`by` name (a grouping in `by` stands for the field it groups). A breakdown
row is joined to its activity, so a breakdown measure may use activity
fields too. The fields every record needs (activity_id, date, ...) are always
needed and are not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from peerreport.records.models import RECORD_TYPES
from peerreport.rulebook import CompiledMeasure, RuleFile
from peerreport.rulebook.sources import BREAKDOWN_TOTALS

# Rule-file sources and the record sheets they read.
_SHEETS_OF_SOURCE: dict[str, tuple[str, ...]] = {
    "activity": ("activities",),
    "breakdown": ("breakdowns", "activities"),  # breakdown rows see their activity's fields
    "cross_breakdown": ("breakdowns", "activities"),
    "workforce": ("workforce",),
    "feedback": ("feedback",),
}


@dataclass(frozen=True)
class ReturnUse:
    """A return's title and the fields of each record sheet its rule file uses."""

    rule_id: str
    title: str
    heading: str  # the title line: return, funder, specification and version
    fields: dict[str, list[str]] = field(default_factory=dict)  # record type -> fields

    def uses(self, record_type: str, field_name: str) -> bool:
        """Whether the return uses this field of this record type."""
        return field_name in self.fields.get(record_type, [])


def _owner(source: str, name: str) -> str | None:
    """The record type a name used over `source` is a field of, if it is a field."""
    for record_type in _SHEETS_OF_SOURCE.get(source, ()):
        if name in RECORD_TYPES[record_type].model_fields:
            return record_type
    return None


def _collect(found: dict[str, set[str]], source: str | None, names: Iterable[str]) -> None:
    if source is None:
        return
    found.setdefault(_SHEETS_OF_SOURCE[source][0], set())
    for name in names:
        if name in BREAKDOWN_TOTALS:  # an activity's breakdown counts of one dimension
            found.setdefault("breakdowns", set()).update(("dimension", "category", "count"))
            continue
        owner = _owner(source, name)
        if owner is not None:
            found.setdefault(owner, set()).add(name)


def _measure_names(rule_file: RuleFile, measure: CompiledMeasure) -> list[str]:
    names: list[str] = []
    for expression in (measure.where, measure.argument):
        if expression is not None:
            names += expression.names()
    for by in measure.measure.by:
        grouping = rule_file.model.grouping.get(by)
        names.append(grouping.field if grouping else by)
    return names


def _ordered(found: dict[str, set[str]]) -> dict[str, list[str]]:
    return {
        record_type: [f for f in RECORD_TYPES[record_type].model_fields if f in found[record_type]]
        for record_type in RECORD_TYPES
        if record_type in found
    }


def measure_use(rule_file: RuleFile, measure_id: str) -> dict[str, list[str]]:
    """The fields of each record type one measure reads (beyond those every record has).

    A derived measure (`expr`) reads no records itself: its record types are empty.
    """
    measure = rule_file.measures[measure_id]
    found: dict[str, set[str]] = {}
    _collect(found, measure.measure.record_source, _measure_names(rule_file, measure))
    return _ordered(found)


def return_use(rule_file: RuleFile) -> ReturnUse:
    """What a loaded rule file uses, for titling and annotating the intake workbook."""
    model = rule_file.model
    found: dict[str, set[str]] = {}
    for measure in rule_file.measures.values():
        _collect(found, measure.measure.record_source, _measure_names(rule_file, measure))
    for check in rule_file.checks.values():
        if not check.check.enabled or check.check.source is None:
            continue
        names = []
        for expression in (check.where, check.assertion):
            if expression is not None:
                names += expression.names()
        _collect(found, check.check.source, names)
    parts = [p for p in (model.funder, model.spec) if p]
    details = f" ({', '.join(parts)}; version {model.version})" if parts else ""
    return ReturnUse(model.id, model.title, f"{model.title}{details}", _ordered(found))
