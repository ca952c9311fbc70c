"""Record checks that compare an activity with its breakdowns (`breakdown_total_*` fields)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.rulebook import RuleFile
from tests.compute.conftest import ORG, activity

Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
CHECK = """
[[check]]
id = "C-1"
title = "Age counts add up to no more than the attendance"
severity = "error"
source = "activity"
assert = "breakdown_total_age_band <= attendance"
message = "{count} activities ({sample})"
hint = "Correct the age counts."
"""


def count(activity_id: str, dimension: str, category: str, n: int) -> dict[str, Any]:
    """A breakdown count."""
    return {"activity_id": activity_id, "dimension": dimension, "category": category, "count": n}


@pytest.fixture
def rules(rule_file: Callable[[str], RuleFile]) -> RuleFile:
    return rule_file(
        CHECK + '[[measure]]\nid = "over"\ncount = "activity"\n'
        'where = "breakdown_total_gender > attendance"\n'
        '[[measure]]\nid = "without_ethnicity"\ncount = "activity"\n'
        'where = "breakdown_total_ethnicity is null"\n'
        '[[measure]]\nid = "sessions"\ncount = "activity"\n'
    )


def test_the_check_fires_for_the_activities_whose_counts_add_up_to_more(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(
        activities=[activity("A1", attendance=5), activity("A2", attendance=5), activity("A3")],
        breakdowns=[
            # A1: 3 + 3 = 6 > 5 by age, though no one category is over.
            count("A1", "age_band", "15_24", 3),
            count("A1", "age_band", "25_44", 3),
            count("A1", "gender", "female", 5),
            # A2: exactly the attendance, with ethnicity (total response) over it.
            count("A2", "age_band", "15_24", 5),
            count("A2", "gender", "male", 4),
            count("A2", "gender", "female", 2),
            count("A2", "ethnicity", "maori", 4),
            count("A2", "ethnicity", "european", 4),
        ],
    )
    result = evaluate(engine, ORG, rules, *Q1)
    [finding] = result.findings
    assert finding.code == "C-1"
    assert finding.details["count"] == 1
    assert finding.details["sample"] == ["A1"]
    assert result.figures["over"].value == 1  # A2's gender counts (6) exceed 5
    assert result.figures["without_ethnicity"].value == 2  # A1, A3: no ethnicity rows


def test_the_check_passes_when_the_counts_fit_or_are_missing(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(
        activities=[activity("A1", attendance=5), activity("A2", attendance=0)],
        # A2 has no age breakdown: its total is null, and a null assertion does not fail.
        breakdowns=[count("A1", "age_band", "15_24", 2), count("A1", "age_band", "65_plus", 3)],
    )
    result = evaluate(engine, ORG, rules, *Q1)
    assert result.findings == ()
    assert [o.status for o in result.outcomes] == ["pass"]


def test_another_organisations_breakdowns_are_not_added(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(
        activities=[activity("A1", attendance=5)], breakdowns=[count("A1", "age_band", "15_24", 5)]
    )
    store(
        org="OTHER",
        activities=[activity("A1", attendance=5)],
        breakdowns=[count("A1", "age_band", "25_44", 5)],
    )
    assert evaluate(engine, ORG, rules, *Q1).findings == ()


def test_a_build_as_of_an_earlier_revision_adds_up_the_breakdowns_of_that_revision(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(
        activities=[activity("A1", attendance=5)],
        breakdowns=[count("A1", "age_band", "15_24", 2), count("A1", "age_band", "25_44", 3)],
    )
    # Revision 2: one count corrected upwards, the activity itself unchanged.
    store(breakdowns=[count("A1", "age_band", "25_44", 4)])
    # Revision 3: a new category for the same activity.
    store(breakdowns=[count("A1", "age_band", "65_plus", 1)])
    assert evaluate(engine, ORG, rules, *Q1, revision=1).findings == ()
    at_two = evaluate(engine, ORG, rules, *Q1, revision=2)
    assert [f.details["sample"] for f in at_two.findings] == [["A1"]]
    assert at_two.figures["without_ethnicity"].value == 1
    now = evaluate(engine, ORG, rules, *Q1)
    assert [f.details["count"] for f in now.findings] == [1]


def test_the_sum_is_read_at_the_revision_in_a_sample_too(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    """The failing sample is fetched with the same revision as the count."""
    rules = rule_file(CHECK.replace("<= attendance", "<= attendance - 1"))
    store(
        activities=[activity("A1", attendance=5)], breakdowns=[count("A1", "age_band", "15_24", 5)]
    )
    store(breakdowns=[count("A1", "age_band", "15_24", 4)])  # corrected: now it passes
    assert evaluate(engine, ORG, rules, *Q1).findings == ()
    [finding] = evaluate(engine, ORG, rules, *Q1, revision=1).findings
    assert finding.details["sample"] == ["A1"]


def test_the_release_audit_leaves_out_measures_that_read_breakdown_totals(
    rules: RuleFile,
) -> None:
    """One atoms statement tests every revision, but a breakdown total is read at one: such
    a measure is not linked, and `rules lint` treats it so (RUL-052)."""
    from sqlalchemy.dialects import sqlite

    from peerreport.disclosure.atoms import Planner
    from peerreport.rulebook.disclosure_lint import _linked

    planner = Planner(sqlite.dialect())
    for reads in ("over", "without_ethnicity"):
        assert planner.measure(rules, rules.measures[reads]) is None
        assert not _linked(rules.measures[reads])
    assert planner.measure(rules, rules.measures["sessions"]) is not None
    assert _linked(rules.measures["sessions"])
