"""An attacker on everything released, written apart from `peerreport.disclosure.release`.

It shares nothing with the audit's atoms or integer programs. For every cell
of every release it fetches the record versions the cell counts, ONE query per
cell built from the compute stage's own row filter (`compute.tables`), keyed
by each record version's primary key; then, in Python, it groups record
versions by the set of cells that count them. Those groups are the unknowns
(their sizes, and the sums of each summed field); the published cells give
equations (exact), bounds (rounded) and lower bounds (hidden: at least 1 when
the return declares that zeros are shown, `disclosure.zero_exempt` in the
return itself, which says false when zeros were hidden too; a note never tells
small cells from those hidden to protect them). For each hidden cell
it solves its own pair of integer programs with very large variable bounds, and
reports every cell an attacker can pin to an interval narrower than the
threshold. It also checks that every exact cell equals what its records add up
to, so the two sides agree on what the cells count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import Engine, and_, literal, select

from peerreport.compute.scans import apportions
from peerreport.compute.tables import from_clause, resolver, row_filter
from peerreport.language import Type, to_sql
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from peerreport.rulebook.counting import rule_of
from peerreport.store import schema

BIG = 1_000_000
UNBOUNDED = 100_000


@dataclass(frozen=True)
class Narrowed:
    """A hidden cell the attacker pinned down."""

    release: int
    measure: str
    key: tuple[str | None, ...]
    low: int
    high: int
    true: int
    threshold: int


def _identity(source: str) -> list[Any]:
    a, b = schema.activity, schema.activity_breakdown
    if source == "activity":
        return [a.c.activity_id, a.c.valid_from]
    if source in ("breakdown", "cross_breakdown"):
        key = [b.c.activity_id, b.c.dimension, b.c.category, b.c.dimension2, b.c.category2]
        return [*key, b.c.valid_from, a.c.valid_from]
    table = schema.workforce if source == "workforce" else schema.feedback
    return [c for c in table.primary_key.columns if c.name != "org"]


def _linear(rule_file: RuleFile, measure_id: str) -> bool:
    m = rule_file.measures.get(measure_id)
    if m is None or m.measure.kind not in ("count", "sum") or m.counts_tokens:
        return False
    source = m.measure.record_source
    if source not in ("activity", "breakdown", "cross_breakdown", "workforce", "feedback"):
        return False
    return m.measure.kind == "count" or (m.type is Type.INTEGER and not apportions(m, source))


def _records(
    engine: Engine, org: str, ret: Return, rule_file: RuleFile, measure_id: str, key: Any
) -> dict[tuple[Any, ...], int]:
    """The record versions one cell counts, each with what it adds (1, or its summed value)."""
    m = rule_file.measures[measure_id]
    source = m.measure.record_source
    assert source is not None
    resolve = resolver(source, dict(rule_file.model.grouping))
    units = rule_of(rule_file.model)
    conditions = [row_filter(source, org, ret.period.start, ret.period.end, ret.revision, units)]
    if m.where is not None:
        conditions.append(to_sql(m.where.tree, resolve))
    for name, code in zip(m.measure.by, key, strict=False):  # () is the total
        field = resolve(name)
        conditions.append(field.is_(None) if code is None else field == code)
    if m.measure.kind == "sum":
        assert m.argument is not None
        amount = to_sql(m.argument.tree, resolve)
    else:
        amount = literal(1)
    query = select(*_identity(source), amount).select_from(from_clause(source))
    with engine.connect() as conn:
        rows = conn.execute(query.where(and_(*conditions))).all()
    return {(source, *row[:-1]): int(row[-1] or 0) for row in rows}


def attack(engine: Engine, org: str, releases: Sequence[tuple[Return, RuleFile]]) -> list[Narrowed]:
    """Every hidden count or sum cell of `releases` an attacker can narrow below its threshold."""
    cells: list[dict[str, Any]] = []
    for index, (ret, rule_file) in enumerate(releases):
        policy = rule_file.disclosure
        # What the return itself declares, not its rule file: false when zeros may be hidden.
        zeros_shown = bool(ret.disclosure.get("zero_exempt"))
        for figure in ret.figures:
            if not _linear(rule_file, figure.id):
                continue
            kind = rule_file.measures[figure.id].measure.kind
            for cell in (figure.total, *figure.cells):
                members = _records(engine, org, ret, rule_file, figure.id, cell.key)
                true = sum(members.values())
                if cell.status == "exact":
                    assert cell.value == true, (figure.id, cell.key, cell.value, true)
                cells.append(
                    {
                        "release": index,
                        "measure": figure.id,
                        "key": cell.key,
                        "quantity": "count" if kind == "count" else f"sum:{figure.id}",
                        "argument": rule_file.measures[figure.id].argument,
                        "members": members,
                        "true": true,
                        "status": cell.status,
                        "value": cell.value,
                        "note": cell.note,
                        "policy": policy,
                        "zeros_shown": zeros_shown,
                    }
                )
    return _solve(cells)


def _solve(cells: list[dict[str, Any]]) -> list[Narrowed]:
    # A record version's signature: which cells count it. Sums of different fields are
    # different unknowns; two sum cells share an unknown when they add the same amounts.
    amounts: dict[tuple[Any, ...], dict[str, int]] = {}
    for c in cells:
        quantity = "count" if c["quantity"] == "count" else f"sum:{c['argument'].text}"
        c["unknown"] = quantity
        for record, value in c["members"].items():
            amounts.setdefault(record, {})[quantity] = value
    signature: dict[tuple[Any, ...], set[int]] = {}
    for i, c in enumerate(cells):
        for record in c["members"]:
            signature.setdefault(record, set()).add(i)
    groups: dict[tuple[frozenset[int], str], int] = {}
    for record, inside in signature.items():
        for quantity in amounts[record]:
            users = frozenset(i for i in inside if cells[i]["unknown"] == quantity)
            if users:
                groups.setdefault((users, quantity), len(groups))
    size = len(groups)
    rows, low_bounds, high_bounds = [], [], []
    for i, c in enumerate(cells):
        row = np.zeros(size)
        for (users, quantity), j in groups.items():
            if i in users and quantity == c["unknown"]:
                row[j] = 1.0
        policy = c["policy"]
        if c["status"] == "exact":
            lo, hi = c["true"], c["true"]
        elif c["status"] == "rounded":
            slack = 2 if policy.method == "rr3" else 99
            lo, hi = max(0, c["value"] - slack), c["value"] + slack
        else:
            lo = 0
            if policy.method == "suppress" and c["zeros_shown"] and c["true"] > 0:
                lo = 1
            hi = np.inf
        rows.append(row)
        low_bounds.append(lo)
        high_bounds.append(hi)
    if size == 0:
        return []
    matrix = np.array(rows)
    constraint = LinearConstraint(matrix, np.array(low_bounds, float), np.array(high_bounds, float))
    bounds = Bounds(np.zeros(size), np.full(size, BIG))
    found = []
    for i, c in enumerate(cells):
        if c["status"] != "suppressed" or not matrix[i].any():
            continue
        least = milp(matrix[i], constraints=[constraint], integrality=np.ones(size), bounds=bounds)
        most = milp(-matrix[i], constraints=[constraint], integrality=np.ones(size), bounds=bounds)
        assert least.success and most.success, (least.message, most.message)
        low, high = round(least.fun), round(-most.fun)
        threshold = c["policy"].threshold
        if high < UNBOUNDED and high - low < threshold:
            found.append(
                Narrowed(c["release"], c["measure"], c["key"], low, high, c["true"], threshold)
            )
    return found
