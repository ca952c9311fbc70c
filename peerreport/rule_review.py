"""What a return asks of one organisation: a burden and fitness review a provider sends a funder.

`peerreport rules review RULES --volume N` reads the rule file only (no
records). N is how many records the organisation typically has in a period
(activities per quarter for a quarterly return). For each figure it says:

(a) whether small-count protection will hide it at that volume. Only a
    count of records (`count = ...`) is bounded by the number of records, so
    only counts are judged; sums (attendances, hours, FTE) and counts of
    different people depend on the values recorded and are listed as not
    judged. The rule, with the filter's share of the records taken as 1
    (the best case: a filter can only make a figure smaller):

    - **never shown**: N is below the threshold, so even if every record
      were counted in one cell, that cell would be hidden;
    - **mostly hidden**: N divided by the breakdown's cells is below the
      threshold, so with the records spread evenly every cell is hidden,
      and with any spread most are.

    Both apply only under `method = "suppress"`; under `rr3` and `graduated`
    small counts are rounded, not hidden, and under `none` nothing is hidden.

(b) the record fields it reads, beyond those every record has (a derived
    figure reads none itself: it names the figures it is worked out from).

(c) Rule files have no `nothing` declaration yet (a way to say "we had none
    of these" rather than leaving a figure at zero), so the review says so
    instead of listing figures without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from peerreport.rulebook import RuleFile
from peerreport.rulebook.cells import cell_count
from peerreport.templates_intake.usage import measure_use

Verdict = Literal["never shown", "mostly hidden", "shown", "not judged"]

NOTHING_NOTE = (
    "Rule files cannot yet declare how to report having none of something (a `nothing` key), "
    "so this review does not list figures without one."
)


@dataclass(frozen=True)
class ItemReview:
    """One figure of the return at the organisation's volume."""

    measure: str
    label: str
    kind: str
    source: str | None
    cells: int  # 1 for a figure without a breakdown
    per_cell: float | None  # the volume spread evenly over the cells (counts only)
    verdict: Verdict
    why: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # record type -> fields
    worked_out_from: list[str] = field(default_factory=list)  # derived figures' inputs

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "label": self.label,
            "kind": self.kind,
            "source": self.source,
            "cells": self.cells,
            "per_cell": self.per_cell,
            "verdict": self.verdict,
            "why": self.why,
            "fields": self.fields,
            "worked_out_from": self.worked_out_from,
        }


@dataclass(frozen=True)
class Review:
    """The review of a rule file at one volume."""

    rule_id: str
    title: str
    version: str
    digest: str
    volume: int
    method: str
    threshold: int
    items: list[ItemReview]

    @property
    def flagged(self) -> list[ItemReview]:
        """The figures small-count protection will hide at this volume."""
        return [i for i in self.items if i.verdict in ("never shown", "mostly hidden")]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (the shape `rules review --json` prints)."""
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "version": self.version,
            "digest": self.digest,
            "volume": self.volume,
            "disclosure": {"method": self.method, "threshold": self.threshold},
            "flagged": [i.measure for i in self.flagged],
            "items": [i.to_dict() for i in self.items],
            "nothing": {"judged": False, "why": NOTHING_NOTE},
        }


def review(rule_file: RuleFile, volume: int) -> Review:
    """Each figure of `rule_file` judged at `volume` records a period (see the module doc)."""
    if volume < 0:
        raise ValueError("the volume is a number of records, 0 or more")
    policy = rule_file.disclosure
    items = []
    for measure_id, compiled in rule_file.measures.items():
        measure = compiled.measure
        cells = cell_count(rule_file.model, measure) or 1
        verdict, why, per_cell = _judge(
            measure.kind, cells, volume, policy.method, policy.threshold
        )
        inputs: list[str] = []
        if measure.kind == "expr" and compiled.argument is not None:
            known = set(rule_file.measures)
            inputs = list(dict.fromkeys(n for n in compiled.argument.names() if n in known))
        items.append(
            ItemReview(
                measure=measure_id,
                label=measure.label or measure_id,
                kind=measure.kind,
                source=measure.record_source,
                cells=cells,
                per_cell=per_cell,
                verdict=verdict,
                why=why,
                fields=measure_use(rule_file, measure_id),
                worked_out_from=inputs,
            )
        )
    return Review(
        rule_id=rule_file.id,
        title=rule_file.model.title,
        version=rule_file.version,
        digest=rule_file.digest,
        volume=volume,
        method=policy.method,
        threshold=policy.threshold,
        items=items,
    )


def _judge(
    kind: str, cells: int, volume: int, method: str, threshold: int
) -> tuple[Verdict, str, float | None]:
    if kind != "count":
        what = "worked out from other figures" if kind == "expr" else "not a count of records"
        return "not judged", f"{what}: its size does not follow from the number of records", None
    per_cell = round(volume / cells, 2)
    if method != "suppress":
        return "shown", f"method {method}: small counts are not hidden", per_cell
    if volume < threshold:
        return (
            "never shown",
            f"{volume} records is below the threshold {threshold}: every cell is hidden "
            "even if all of them were counted in one",
            per_cell,
        )
    if volume / cells < threshold:
        return (
            "mostly hidden",
            f"{volume} records over {cells} cells is {per_cell} a cell, below the threshold "
            f"{threshold}: most cells will be hidden",
            per_cell,
        )
    return "shown", f"{per_cell} records a cell spread evenly, at or above the threshold", per_cell


def review_text(result: Review) -> str:
    """The review in plain words, for a coordinator to send to the funder."""
    lines = [
        f"{result.title} ({result.rule_id} {result.version})",
        f"Reviewed for {result.volume} records a period. Small counts: method "
        f"{result.method}, threshold {result.threshold}.",
        "",
    ]
    never = [i for i in result.flagged if i.verdict == "never shown"]
    mostly = [i for i in result.flagged if i.verdict == "mostly hidden"]
    if result.method != "suppress":
        lines.append("No figure is hidden for being small: this return rounds or publishes counts.")
    elif not result.flagged:
        lines.append("At this volume no count of records is hidden for being small.")
    if never:
        lines.append(f"Figures that will never be shown at this volume ({len(never)}):")
        lines += [f"  {i.label} ({i.measure}): {i.why}" for i in never]
    if mostly:
        lines.append(f"Figures that will be mostly hidden at this volume ({len(mostly)}):")
        lines += [f"  {i.label} ({i.measure}): {i.why}" for i in mostly]
    skipped = [i for i in result.items if i.verdict == "not judged"]
    if skipped:
        lines.append(
            f"Not judged ({len(skipped)}): sums, counts of people and derived figures, whose "
            "size depends on what is recorded, not on the number of records."
        )
    lines += ["", "What each figure needs recorded (beyond the fields every record has):"]
    for item in result.items:
        lines.append(f"  {item.label} ({item.measure}): {_needs(item)}")
    lines += ["", NOTHING_NOTE]
    return "\n".join(lines)


def _needs(item: ItemReview) -> str:
    if item.worked_out_from:
        return "worked out from " + ", ".join(item.worked_out_from)
    parts = [f"{kind}: {', '.join(names)}" for kind, names in item.fields.items() if names]
    if parts:
        return "; ".join(parts)
    kinds = ", ".join(item.fields) or "records"
    return f"only the fields every record has ({kinds})"


__all__ = ["ItemReview", "Review", "review", "review_text"]
