"""One audit over everything an organisation has released: earlier returns and this one.

    ledger of releases ──earlier returns that overlap (transitively)──┐
    the return being built (published cells) ─────────────────────────┤
                                                                      ▼
          atoms (one grouped SQL statement per record source, `atoms`)
                                                                      ▼
          every released cell = a sum of atom unknowns; for each hidden
          cell, the attacker's whole-number interval (`milp`), and what
          to do about it (`protection.solve`):
                                                                      ▼
          fixed exactly by earlier returns alone (and not small)? publish it;
          too narrow? hide more of THIS return's cells, cheapest first;
          still narrow because a hidden cell is known to be >= 1? hide this
          return's zeros too, and declare it (zero_exempt false, RET-043);
          impossible (it cannot hide)? an error finding naming the figures

`audit_release` is the one step `build_return` takes after `publish`;
`record_release` is the step `filing.file_return` takes at submit, so the
next build is audited against what was filed. Releases already made cannot
be unpublished: only the return being built gains suppressions.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from peerreport.disclosure.atoms import CellSpec, Planner, Window, gather
from peerreport.disclosure.protection import Audit, Key, Released, solve
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.returns.model import EXACT as EXACT_STATUS
from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED, PublishedCell, ReturnFigure
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile, from_resolved, resolved_text
from peerreport.store.schema import released_cell, released_rule, submitted_return


def _window(period: Period) -> Window:
    return (period.start, period.end)


def _overlaps(a: Window, b: Window) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def earlier_releases(conn: Connection, org: str, window: Window) -> list[Released]:
    """The filed returns that overlap `window`, and those overlapping them, and so on."""
    rows = conn.execute(
        select(released_cell).where(released_cell.c.org == org).order_by(released_cell.c.id)
    ).all()
    by_submission: dict[int, list[Any]] = {}
    for row in rows:
        by_submission.setdefault(int(row.submission_id), []).append(row)
    reach = [window]
    chosen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for ident, cells in by_submission.items():
            first = cells[0]
            span = (first.period_start, first.period_end)
            if ident not in chosen and any(_overlaps(span, w) for w in reach):
                chosen.add(ident)
                reach.append(span)
                changed = True
    declared = _declared(conn, org, chosen)
    texts: dict[str, RuleFile] = {}
    released = []
    for ident in sorted(chosen):
        cells = by_submission[ident]
        first = cells[0]
        if first.rule_digest not in texts:
            text = conn.execute(
                select(released_rule.c.resolved).where(
                    released_rule.c.org == org, released_rule.c.digest == first.rule_digest
                )
            ).scalar_one()
            texts[first.rule_digest] = _compiled(text, first.rule_id)
        version = f", version {first.version}" if first.version and first.version > 1 else ""
        released.append(
            Released(
                label=f"the return for {first.period_label} ({first.rule_id}{version})",
                rule_file=texts[first.rule_digest],
                window=(first.period_start, first.period_end),
                revision=first.records_revision,
                cells=tuple(
                    (
                        c.measure_id,
                        tuple(json.loads(c.cell_key)),
                        c.status,
                        json.loads(c.value) if c.value is not None else None,
                        c.note or "",
                    )
                    for c in cells
                ),
                zero_exempt=declared.get(ident),
            )
        )
    return released


def _declared(conn: Connection, org: str, submissions: set[int]) -> dict[int, bool]:
    """Whether each filed return declared its zeros shown (its `disclosure.zero_exempt`).

    A return whose audit had to hide zeros says `zero_exempt: false` although
    its rule file says true: the reader, and so the next audit, may then not
    assume its hidden cells are at least 1.
    """
    if not submissions:
        return {}
    rows = conn.execute(
        select(submitted_return.c.id, submitted_return.c.return_json).where(
            submitted_return.c.org == org, submitted_return.c.id.in_(sorted(submissions))
        )
    ).all()
    declared = {}
    for ident, text in rows:
        exempt = json.loads(text).get("disclosure", {}).get("zero_exempt")
        if isinstance(exempt, bool):
            declared[int(ident)] = exempt
    return declared


@functools.lru_cache(maxsize=32)
def _compiled(text: str, name: str) -> RuleFile:
    """A filed rule file compiled from its resolved text (the same text compiles the same)."""
    return from_resolved(text, name)


def _cells_of(figures: Sequence[ReturnFigure]) -> tuple[tuple[str, Key, str, Any, str], ...]:
    return tuple(
        (f.id, cell.key, cell.status, cell.value, cell.note)
        for f in figures
        for cell in (f.total, *f.cells)
    )


def audit(conn: Connection, org: str, releases: Sequence[Released]) -> Audit:
    """Audit the releases together; only the `current` one's exact cells may be hidden."""
    planner = Planner(conn.dialect)
    specs: list[tuple[Released, str, Key, str, Any, str, CellSpec]] = []
    for release in releases:
        measures = release.rule_file.measures
        shapes: dict[str, Any] = {}
        for measure_id, key, status, value, note in release.cells:
            m = measures.get(measure_id)
            if m is None or status == NOT_COLLECTED:
                continue  # a figure not collected released no number
            if measure_id not in shapes:
                shapes[measure_id] = planner.measure(release.rule_file, m)
            shape = shapes[measure_id]
            if shape is None:
                continue
            source, kind, where, argument, fields = shape
            planner.window(source, release.window, release.revision)
            spec = CellSpec(
                source,
                kind,
                where,
                argument,
                fields,
                key if key else None,
                release.window,
                release.revision,
            )
            specs.append((release, measure_id, key, status, value, note, spec))
    if not any(status == SUPPRESSED for _, _, _, status, *_ in specs):
        # No cell hidden in any release: nothing can be narrowed, so no atoms are read
        # (a pass over the records that would decide nothing; issue 16).
        return Audit({}, [], [])
    atoms = gather(conn, org, list(planner.plans.values()))
    return solve(atoms, specs)


def audit_release(
    engine: Engine,
    org: str,
    rule_file: RuleFile,
    period: Period,
    revision: int | None,
    figures: Sequence[ReturnFigure],
) -> tuple[list[ReturnFigure], list[Finding], bool]:
    """The return's published figures audited with everything released before; findings;
    and whether its zeros are still all shown (what its `disclosure.zero_exempt` declares).

    Cells that an attacker could narrow below the threshold by combining this
    return with earlier ones (or its own figures with each other) are hidden,
    each with a note saying why. When hiding every non-zero figure is not
    enough under `suppress`, zeros may be hidden too and the return no longer
    declares its zeros shown (a warning says so). Figures that still cannot be
    protected (a return that hides nothing) give an error finding (so the
    return is not filed); figures earlier releases had already given away give
    a warning.
    """
    current = Released(
        label=f"the return for {period.label} being built",
        rule_file=rule_file,
        window=_window(period),
        revision=revision,
        cells=_cells_of(figures),
        current=True,
    )
    with engine.connect() as conn:
        earlier = earlier_releases(conn, org, _window(period))
        earlier = [r for r in earlier if not _same(r, current)]
        decided = audit(conn, org, [*earlier, current])
    updated = _apply(rule_file, figures, decided.hide, decided.show)
    findings: list[Finding] = []
    if decided.conflicts:
        findings.append(
            finding(
                "RET-041",
                "this return cannot be released safely: with what was filed before, these hidden "
                "figures could be worked out whatever else is hidden: "
                + "; ".join(decided.conflicts[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"figures": decided.conflicts},
            )
        )
    if decided.disclosed_before:
        findings.append(
            finding(
                "RET-042",
                "returns filed before already let these hidden figures be worked out: "
                + "; ".join(decided.disclosed_before[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"figures": decided.disclosed_before},
            )
        )
    if decided.relaxed:
        # Which hidden figures are 0 is not said: the finding is released with the return.
        concerned = decided.maybe_zero
        findings.append(
            finding(
                "RET-043",
                "to protect people, this return hides its zeros like small figures, so any "
                "hidden figure may be 0: with what was filed before, a reader who knew that every "
                "hidden figure is at least 1 could have worked out a small one of "
                + ", ".join(concerned[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"measures": concerned},
            )
        )
    exempt = rule_file.disclosure.zero_exempt and not decided.relaxed
    return updated, findings, exempt


def _same(release: Released, current: Released) -> bool:
    """An earlier release identical to the one being built adds nothing (a re-file)."""
    return (
        release.rule_file.digest == current.rule_file.digest
        and release.window == current.window
        and release.revision == current.revision
        and release.cells == current.cells
    )


def _apply(
    rule_file: RuleFile,
    figures: Sequence[ReturnFigure],
    hide: dict[tuple[str, Key], str],
    show: dict[tuple[str, Key], int],
) -> list[ReturnFigure]:
    if not hide and not show:
        return list(figures)

    def decided(figure: ReturnFigure, cell: PublishedCell) -> PublishedCell:
        if (figure.id, cell.key) in hide:
            return PublishedCell(cell.key, None, SUPPRESSED, hide[(figure.id, cell.key)])
        if (figure.id, cell.key) in show:
            return PublishedCell(cell.key, show[(figure.id, cell.key)], EXACT_STATUS)
        return cell

    updated: dict[str, ReturnFigure] = {}
    for figure in figures:
        compiled = rule_file.measures.get(figure.id)
        total = decided(figure, figure.total)
        cells = tuple(decided(figure, c) for c in figure.cells)
        if (
            figure.kind == "expr"
            and total.status != SUPPRESSED
            and compiled is not None
            and compiled.argument is not None
            and any(
                name in updated and updated[name].total.status == SUPPRESSED
                for name in compiled.argument.names()
            )
        ):
            total, cells = PublishedCell((), None, SUPPRESSED), ()
        updated[figure.id] = replace(figure, total=total, cells=cells)
    return list(updated.values())


def record_release(
    conn: Connection, submission_id: int, version: int, ret: Any, rule_file: RuleFile
) -> int:
    """Record what a filed return released, so later builds are audited against it.

    One row per published cell (its measure, key, status, value and note) with
    the definition needed to recount it at any time: the rule file's digest
    (its resolved text is kept once per digest), the period's dates and the
    records revision the return was computed from.
    """
    known = conn.execute(
        select(released_rule.c.digest).where(
            released_rule.c.org == ret.organisation, released_rule.c.digest == rule_file.digest
        )
    ).first()
    if known is None:
        conn.execute(
            insert(released_rule).values(
                org=ret.organisation,
                digest=rule_file.digest,
                rule_id=rule_file.id,
                resolved=resolved_text(rule_file),
            )
        )
    rows = [
        {
            "org": ret.organisation,
            "submission_id": submission_id,
            "version": version,
            "rule_id": rule_file.id,
            "rule_digest": rule_file.digest,
            "period_start": ret.period.start,
            "period_end": ret.period.end,
            "period_label": ret.period.label,
            "records_revision": ret.revision,
            "measure_id": measure,
            "cell_key": json.dumps(list(key)),
            "status": status,
            "value": None if value is None else json.dumps(value),
            "note": note or None,
        }
        for measure, key, status, value, note in _cells_of(ret.figures)
    ]
    if rows:
        conn.execute(insert(released_cell), rows)
    return len(rows)


__all__ = ["Audit", "Released", "audit", "audit_release", "earlier_releases", "record_release"]
