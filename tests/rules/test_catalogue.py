"""docs/rule-catalogue.md describes every shipped rule file, and is up to date."""

from __future__ import annotations

import re

import pytest

from peerreport.rulebook import Catalogue, load
from tests.rules.catalogue import CATALOGUE, RULES, render_catalogue, shipped_ids


def _sections(text: str) -> dict[str, str]:
    """The catalogue's sections, by the rule file id in their `## ` heading."""
    parts = re.split(r"^## `([a-z0-9._-]+)`$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_catalogue_is_up_to_date() -> None:
    committed = CATALOGUE.read_text("utf-8")
    assert committed == render_catalogue(), (
        "docs/rule-catalogue.md is stale: run `.venv/bin/python -m tests.rules.catalogue`"
    )


@pytest.mark.parametrize("rule_id", shipped_ids())
def test_every_measure_and_check_is_in_the_catalogue(rule_id: str) -> None:
    """Each measure id and check code appears in the file's section or an ancestor's."""
    sections = _sections(CATALOGUE.read_text("utf-8"))
    assert rule_id in sections, f"docs/rule-catalogue.md has no section for {rule_id}"
    rule_file = load(rule_id, Catalogue([RULES]))
    text = "".join(sections.get(i, "") for i in (rule_id, *rule_file.lineage))
    missing = [m.id for m in rule_file.model.measure if f"`{m.id}`" not in text]
    missing += [c.id for c in rule_file.model.check if f"`{c.id}`" not in text]
    assert missing == [], f"{rule_id}: not in docs/rule-catalogue.md: {missing}"
    own = sections[rule_id]
    for c in load(rule_id, Catalogue([RULES])).model.check:
        if f"| `{c.id}` |" in own:
            assert f"| `{c.id}` | {c.severity}" in own, f"{c.id}: severity differs"
