"""extends: inheritance, overriding measures, disabling and downgrading checks; the digest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from peerreport.rulebook import Catalogue, RuleFileInvalid, json_schema, load

WriteRules = Callable[..., Path]

BASE = """
period = "year"
[disclosure]
threshold = 10
[grouping.broad]
field = "kind"
other = "other"
[grouping.broad.map]
support = ["one_to_one", "group"]
[[measure]]
id = "sessions"
count = "activity"
[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"
[[check]]
id = "B-1"
assert = "groups <= sessions"
message = "more groups than sessions"
[[check]]
id = "B-2"
severity = "warning"
assert = "sessions > 0"
message = "nothing"
"""

CHILD = """
extends = ["base"]
[disclosure]
method = "rr3"
[[measure]]
id = "sessions"
count = "activity"
where = "not community_session"
[[measure]]
id = "share"
expr = "groups / sessions"
[[check]]
id = "C-1"
assert = "share <= 1"
message = "share {share}"
[[override]]
check = "B-1"
enabled = false
[[override]]
check = "B-2"
severity = "info"
hint = "new hint"
"""


def test_child_inherits_overrides_and_adds(write_rules: WriteRules) -> None:
    path = write_rules(base=BASE, child=CHILD)
    child = load(path, Catalogue([path.parent]))
    assert child.lineage == ("base",)
    assert list(child.measures) == ["sessions", "groups", "share"]
    assert child.measures["sessions"].measure.where == "not community_session"
    assert child.origin("measure", "groups").file.name == "base.toml"
    assert child.origin("measure", "sessions").file.name == "child.toml"
    checks = {c.id: c.check for c in child.checks.values()}
    assert checks["B-1"].enabled is False
    assert (checks["B-2"].severity, checks["B-2"].hint) == ("info", "new hint")
    assert "C-1" in checks
    disclosure = child.disclosure
    assert (disclosure.method, disclosure.threshold) == ("rr3", 10)
    assert child.model.period == "year" and child.model.year_start == "07-01"
    assert "broad" in child.model.grouping


def test_override_of_unknown_check(write_rules: WriteRules) -> None:
    write_rules(base=BASE)
    path = write_rules(child='extends = ["base"]\n[[override]]\ncheck = "B1"\nenabled = false\n')
    with pytest.raises(RuleFileInvalid) as info:
        load(path, Catalogue([path.parent]))
    (finding,) = info.value.findings
    assert finding.location.key == "override[0].check"
    assert "Did you mean 'B-1'?" in finding.message


def test_digest_is_of_the_resolved_rules(write_rules: WriteRules, tmp_path: Path) -> None:
    path = write_rules(base=BASE, child=CHILD)
    first = load(path, Catalogue([path.parent])).digest
    assert first.startswith("sha256:") and len(first) == 7 + 64
    # Reformatting and comments do not change the digest; fixtures do not either.
    path.write_text(
        path.read_text("utf-8").replace("\n[[check]]", "\n# a comment\n[[check]]"), "utf-8"
    )
    path.write_text(
        path.read_text("utf-8")
        + '[[fixture]]\nname = "x"\nperiod = ["2026-01-01", "2026-12-31"]\n[fixture.expect]\n',
        "utf-8",
    )
    assert load(path, Catalogue([path.parent])).digest == first
    # A change in the parent changes the child's digest.
    base = path.parent / "base.toml"
    base.write_text(base.read_text("utf-8").replace("threshold = 10", "threshold = 11"), "utf-8")
    assert load(path, Catalogue([path.parent])).digest != first


def test_json_schema_is_generated_from_the_models() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "title", "version"}
    measure = schema["$defs"]["Measure"]
    assert measure["additionalProperties"] is False
    assert {"count", "sum", "distinct", "min", "max", "expr", "where", "by"} <= set(
        measure["properties"]
    )
    assert "assert" in schema["$defs"]["Check"]["properties"]


def test_shipped_example_rule_files_load() -> None:
    root = Path(__file__).resolve().parents[2] / "rules"
    child = load(root / "example-peer-support.toml", Catalogue([root]))
    assert child.lineage == ("example-peer-core",)
    assert child.model.fixture and child.measures
