"""`canonical_definition`: what a measure counts, whatever it is called or however written."""

from __future__ import annotations

from pathlib import Path

from peerreport.rulebook import RuleFile, load
from peerreport.rulebook.definition import breakdown_key, canonical_definition, check_definition

HEAD = """
id = "{ident}"
title = "Definitions"
version = "1"
period = "quarter"

[grouping.{grouping}]
field = "mode"
map = {{ remote = ["phone", "video", "text_online"], face_to_face = ["in_person"] }}
"""

MEASURES = """
[[measure]]
id = "a"
count = "activity"
where = "kind = 'group' and mode in ('phone', 'video')"
by = ["{grouping}"]

[[measure]]
id = "b"
label = "Renamed"
count = "activity"
where = "(mode in ('video','phone'))   and kind='group'"
by = ["{grouping}"]

[[measure]]
id = "c"
count = "activity"
where = "kind = 'group' and mode in ('phone')"

[[measure]]
id = "d"
sum = "attendance"
where = "kind = 'group' and mode in ('phone', 'video')"

[[check]]
id = "D-001"
source = "activity"
assert = "attendance >= 0"
message = "negative attendance"
"""


def _load(tmp_path: Path, ident: str, grouping: str) -> RuleFile:
    path = tmp_path / f"{ident}.toml"
    text = HEAD.format(ident=ident, grouping=grouping) + MEASURES.format(grouping=grouping)
    path.write_text(text, "utf-8")
    return load(path)


def test_names_spacing_parentheses_and_order_do_not_change_a_definition(tmp_path: Path) -> None:
    one = _load(tmp_path, "one", "channel")
    other = _load(tmp_path, "other", "how")
    a, b = one.measures["a"], other.measures["b"]
    assert canonical_definition(a, one) == canonical_definition(b, other)
    # A different condition, or a different aggregate, is a different count.
    assert canonical_definition(a, one) != canonical_definition(one.measures["c"], one)
    assert canonical_definition(a, one) != canonical_definition(one.measures["d"], one)
    # Groupings are spelled out, so two names of one grouping key the same cells.
    assert breakdown_key(a, ("remote",), one) == breakdown_key(b, ("remote",), other)
    assert breakdown_key(a, ("remote",), one) != breakdown_key(a, ("face_to_face",), one)
    assert breakdown_key(a, (), one) == "[]"
    assert check_definition(one.checks["D-001"], one) == check_definition(
        other.checks["D-001"], other
    )
    # Labels, ids and rule file ids are not part of it.
    for text in (canonical_definition(a, one), breakdown_key(a, ("remote",), one)):
        assert "channel" not in text and '"one"' not in text and "Renamed" not in text


def test_date_and_time_literals_are_part_of_a_definition(tmp_path: Path) -> None:
    """A measure with time('17:00') once could not be keyed at all (the build failed)."""
    path = tmp_path / "times.toml"
    measures = "".join(
        f'[[measure]]\nid = "{ident}"\ncount = "activity"\nwhere = "{where}"\n\n'
        for ident, where in (
            ("evening", "start_time >= time('17:00')"),
            ("late", "start_time >= time('21:00')"),
            ("since", "date >= date('2026-08-01')"),
        )
    )
    path.write_text(HEAD.format(ident="times", grouping="g") + measures, "utf-8")
    rule_file = load(path)
    evening, late, since = (
        canonical_definition(rule_file.measures[m], rule_file) for m in ("evening", "late", "since")
    )
    assert "17:00" in evening and "21:00" in late and "2026-08-01" in since
    assert evening != late
