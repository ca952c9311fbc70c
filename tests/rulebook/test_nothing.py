"""A measure's `nothing` key: its default keeps digests, a change of it is meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from peerreport.render.ruledoc import render_rule_doc
from peerreport.rulebook import RuleFile
from peerreport.rulebook.diff import diff
from peerreport.rulebook.problems import RuleFileInvalid
from tests.rulebook.test_releases import BASE, loaded

COLLECTED = BASE.replace('line = "A1"', 'line = "A1"\nnothing = "not collected"')


def test_the_default_is_zero_and_leaves_the_digests_as_they_were(tmp_path: Path) -> None:
    before = loaded(tmp_path / "a", BASE)
    explicit = loaded(tmp_path / "b", BASE.replace('line = "A1"', 'line = "A1"\nnothing = "zero"'))
    assert before.measures["groups"].measure.nothing == "zero"
    assert (explicit.digest, explicit.meaning) == (before.digest, before.meaning)


def test_a_change_of_nothing_is_meaning_and_diff_says_from_what(tmp_path: Path) -> None:
    before = loaded(tmp_path / "a", BASE)
    after = loaded(tmp_path / "b", COLLECTED)
    assert after.meaning != before.meaning
    (change,) = diff(before.model, after.model).changes
    assert change.meaning and (change.item, change.key) == ("groups", "nothing")
    assert change.text == (
        "measure groups: nothing collected (nothing) changed from 'zero' to 'not collected'"
    )
    back = diff(after.model, before.model).changes
    assert [(c.old, c.new) for c in back] == [("not collected", "zero")]


def test_a_derived_measure_cannot_say_nothing(tmp_path: Path) -> None:
    text = BASE + '\n[[measure]]\nid = "both"\nexpr = "groups + calls"\nnothing = "not collected"\n'
    with pytest.raises(RuleFileInvalid, match=r"derived measure.*cannot have nothing"):
        loaded(tmp_path / "a", text)


def test_an_unknown_value_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(RuleFileInvalid, match="not collected"):
        loaded(tmp_path / "a", BASE.replace('line = "A1"', 'line = "A1"\nnothing = "blank"'))


def test_rules_doc_shows_each_measures_nothing(tmp_path: Path) -> None:
    rule_file: RuleFile = loaded(tmp_path / "a", COLLECTED)
    page = render_rule_doc(rule_file)
    assert "published as not collected when no record of the period" in page
    assert "0 when no record of the period has the fields it reads" in page
