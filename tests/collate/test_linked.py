"""A collation of exact figures gives no provider's hidden figure away beside their returns.

The attacker here shares no code with `peerreport.collate.linked`: it
enumerates every way each provider's hidden cells could fill its published
total, keeps the combinations that agree with every published regional cell,
and reads off how far each hidden cell is pinned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import peerreport.collate.totals as totals_module
from peerreport.collate.gather import Received
from peerreport.collate.linked import HIDDEN_REASON, Earlier
from peerreport.collate.totals import collate_figures
from peerreport.disclosure import Status, protect_table
from peerreport.returns.model import SUPPRESSED
from peerreport.rulebook import RuleFile
from tests.bundle.sample import load_rules, period, published, write_rules

MODES = ("in_person", "phone", "video", "text_online")
Table = dict[str, int]


@pytest.fixture(scope="module")
def rule_file(tmp_path_factory: pytest.TempPathFactory) -> RuleFile:
    return load_rules(write_rules(tmp_path_factory.mktemp("rules"), method="suppress"))


def _received(rule_file: RuleFile, tables: Mapping[str, Table]) -> list[Received]:
    """Each provider's return as it protected it itself, as the funder receives it."""
    policy = rule_file.disclosure
    found = []
    for org, table in tables.items():
        cells: dict[tuple[str | None, ...], int] = {(m,): table[m] for m in MODES}
        cells[()] = sum(table.values())
        shown = protect_table(cells, 1, policy, (rule_file.id, "calls", "FY2027-Q1", org))
        values = {k: p.value if p.status == Status.EXACT else None for k, p in shown.items()}
        ret = published(rule_file, org, {"calls": (values[()], {m: values[(m,)] for m in MODES})})
        when = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
        digest = hashlib.sha256(ret.to_json().encode()).hexdigest()
        found.append(Received(f"{org}.zip", ret, 1, when, "submission", None, digest))
    return found


def _exact(tables: Mapping[str, Table]) -> dict[str, Any]:
    return {
        org: {"calls": {(): sum(t.values())} | {(m,): t[m] for m in MODES}}
        for org, t in tables.items()
    }


def _released(
    rule_file: RuleFile, tables: Mapping[str, Table], earlier: Sequence[Earlier] = ()
) -> tuple[list[Received], Any]:
    received = _received(rule_file, tables)
    figures = collate_figures(rule_file, received, period(), _exact(tables), earlier)
    return received, next(f for f in figures if f.id == "calls")


def _fillings(total: int, slots: int, least: int) -> Iterator[tuple[int, ...]]:
    """Every way `slots` whole numbers of at least `least` add up to `total`."""
    if slots == 0:
        if total == 0:
            yield ()
        return
    for first in range(least, total - least * (slots - 1) + 1):
        for rest in _fillings(total - first, slots - 1, least):
            yield (first, *rest)


def attack(
    received: Sequence[Received], region: Any, *earlier: tuple[set[str], Any]
) -> dict[tuple[str, str], tuple[int, int]]:
    """The [min, max] of every provider's hidden cell over all fillings that fit what is shown
    (in `region`, and in each earlier collation: the providers it added, and its figure).

    A provider's filling fits when the other providers' fillings can make up the rest of
    every published regional cell."""
    everyone = {i.ret.organisation for i in received}
    regions = [
        (orgs, {c.key[0]: c.value for c in figure.cells if c.status != SUPPRESSED})
        for orgs, figure in ((everyone, region), *earlier)
    ]
    options: dict[str, list[dict[str, int]]] = {}
    for item in received:
        figure = item.ret.figure("calls")
        cells = {c.key[0]: c for c in figure.cells}
        hidden = [m for m in MODES if cells[m].status == SUPPRESSED]
        assert figure.total.status != SUPPRESSED  # the tests give providers large totals
        known = {m: int(str(cells[m].value)) for m in MODES if m not in hidden}
        left = int(str(figure.total.value)) - sum(known.values())
        least = 1 if item.ret.disclosure["zero_exempt"] else 0
        options[item.ret.organisation] = [
            known | dict(zip(hidden, filling, strict=True))
            for filling in _fillings(left, len(hidden), least)
        ]
    # Every published regional cell is a sum over its providers: one constraint each.
    constraints = [
        (members, m, v) for members, shown in regions for m, v in shown.items() if m is not None
    ]
    target = tuple(int(v) for _, _, v in constraints)

    def part(org: str, table: dict[str, int]) -> tuple[int, ...]:
        return tuple(table[m] if org in members else 0 for members, m, _ in constraints)

    parts = {org: {part(org, t) for t in tables} for org, tables in options.items()}
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for org, tables in options.items():
        # Every sum the other providers' fillings can reach (meet in the middle).
        reach = {tuple(0 for _ in constraints)}
        for other in options:
            if other != org:
                reach = {
                    tuple(a + b for a, b in zip(r, c, strict=True))
                    for r in reach
                    for c in parts[other]
                }
        for table in tables:
            need = tuple(t - p for t, p in zip(target, part(org, table), strict=True))
            if need not in reach:
                continue
            for m in MODES:
                low, high = found.get((org, m), (table[m], table[m]))
                found[(org, m)] = (min(low, table[m]), max(high, table[m]))
    hidden_cells = {
        (i.ret.organisation, c.key[0])
        for i in received
        for c in i.ret.figure("calls").cells
        if c.status == SUPPRESSED
    }
    return {k: v for k, v in found.items() if k in hidden_cells}


LEAKY = {
    "P01": {"in_person": 0, "phone": 2, "video": 0, "text_online": 12},
    "P02": {"in_person": 0, "phone": 10, "video": 0, "text_online": 10},
    "P03": {"in_person": 0, "phone": 8, "video": 0, "text_online": 9},
}


def test_a_region_less_the_providers_who_published_theirs_gives_nothing_away(
    rule_file: RuleFile,
) -> None:
    # Without the audit: the region's 20 phone calls less 10 and 8 is P01's hidden 2.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(totals_module, "audit_collation", _no_audit)
        received, region = _released(rule_file, LEAKY)
    assert attack(received, region)[("P01", "phone")] == (2, 2)

    received, region = _released(rule_file, LEAKY)
    pinned = attack(received, region)
    assert pinned[("P01", "phone")][1] - pinned[("P01", "phone")][0] >= 6
    cells = {c.key: c for c in (region.total, *region.cells)}
    assert cells[("phone",)].status == SUPPRESSED
    assert cells[("phone",)].reason == HIDDEN_REASON
    # Phone alone would be the total less the rest: another cell is hidden with it.
    assert cells[("text_online",)].status == SUPPRESSED
    # The total adds up published totals and stays; the zeros give nothing away and stay.
    assert cells[()].value == 14 + 20 + 17 and cells[("video",)].value == 0


def test_a_second_collation_less_the_first_gives_nothing_away(rule_file: RuleFile) -> None:
    """P02-P04 published 12 phone calls for the region; P01's late return adds its hidden 2."""
    first = {
        org: {"in_person": 0, "phone": phone, "video": 0, "text_online": 12}
        for org, phone in (("P02", 3), ("P03", 4), ("P04", 5))
    }
    received, region = _released(rule_file, first)
    assert {c.key: c.value for c in region.cells}[("phone",)] == 12
    published = Earlier(
        "first.json",
        frozenset(i.sha256 for i in received),
        tuple(("calls", c.key, c.status, c.value) for c in (region.total, *region.cells)),
    )
    second = first | {"P01": {"in_person": 0, "phone": 2, "video": 0, "text_online": 12}}
    earlier = (set(first), region)

    # Audited with its providers' returns only, the second collation publishes 14: less 12.
    received, blind = _released(rule_file, second)
    assert {c.key: c.value for c in blind.cells}[("phone",)] == 14
    assert attack(received, blind, earlier)[("P01", "phone")] == (2, 2)

    received, audited = _released(rule_file, second, [published])
    cells = {c.key: c for c in audited.cells}
    assert cells[("phone",)].status == SUPPRESSED and cells[("phone",)].reason == HIDDEN_REASON
    low, high = attack(received, audited, earlier)[("P01", "phone")]
    assert high - low >= rule_file.disclosure.threshold


def _no_audit(*args: Any) -> Any:
    from peerreport.collate.linked import LinkedAudit

    return LinkedAudit({}, [])


def _split(total: int, cuts: list[int]) -> Table:
    """`total` split into the four modes at the sorted `cuts`."""
    edges = [0, *sorted(cuts), total]
    return {m: edges[i + 1] - edges[i] for i, m in enumerate(MODES)}


# Tables of 12 to 16 calls, built directly rather than filtered (a filter rejected most
# draws, which hypothesis's health check refuses).
provider_tables = st.integers(12, 16).flatmap(
    lambda total: st.lists(st.integers(0, total), min_size=3, max_size=3).map(
        lambda cuts: _split(total, cuts)
    )
)


@settings(max_examples=60, deadline=None)
@given(tables=st.lists(provider_tables, min_size=2, max_size=4))
def test_no_hidden_provider_cell_is_narrowed_by_the_collation(
    rule_file: RuleFile, tables: list[Table]
) -> None:
    """Whatever the providers' tables, the collation narrows no hidden cell below the
    threshold further than the provider's own return already did."""
    named = {f"P{i:02d}": t for i, t in enumerate(tables, 1)}
    received, region = _released(rule_file, named)
    # The enumerating attacker needs each provider's total (a hidden one leaves it unbounded).
    assume(all(i.ret.figure("calls").total.status != SUPPRESSED for i in received))
    with_collation = attack(received, region)
    alone: dict[tuple[str, str], tuple[int, int]] = {}
    for item in received:  # what each provider's own return allows, with no region shown
        alone |= attack([item], replace(region, cells=()))
    threshold = rule_file.disclosure.threshold
    for cell, (low, high) in with_collation.items():
        own_low, own_high = alone[cell]
        assert high - low >= min(threshold, own_high - own_low), (cell, named, region)
