"""The meaning digest takes expressions with their defines written out.

A rule file and the same file with a repeated expression moved into
`[define]` have the same meaning digest (and the same figures); any change to
what a used define says changes it, and `rules diff` says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli
from peerreport.compute.fixtures import run_fixtures
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.rulebook.diff import diff

HEAD = """\
id = "meaning-defines"
title = "Meaning with defines"
version = "1"
"""

#: The same return written twice: expressions inline, and repeated ones as defines.
INLINE = (
    HEAD
    + """
[[measure]]
id = "answered"
count = "activity"
where = "kind = 'warm_line_call' and attendance > 0"

[[measure]]
id = "late_answered"
count = "activity"
where = "kind = 'warm_line_call' and attendance > 0 and hour(start_time) >= 17"

[[measure]]
id = "weighted"
sum = "(attendance + 1) * 2"
where = "kind = 'warm_line_call' and attendance > 0"

[[measure]]
id = "late_share"
expr = "late_answered / answered"
round = 2

[[check]]
id = "MD-010"
source = "activity"
where = "kind = 'warm_line_call' and attendance > 0"
assert = "(attendance + 1) * 2 <= 20"
message = "{count} calls with too many people"

[[check]]
id = "MD-020"
severity = "warning"
assert = "late_answered / answered <= 0.5"
message = "most answered calls were late"
"""
)

DEFINED = (
    HEAD
    + """
[define]
answered_call = "kind = 'warm_line_call' and attendance > 0"
late = "hour(start_time) >= 17"
people = "attendance + 1"
share = "late_answered / answered"

[[measure]]
id = "answered"
count = "activity"
where = "answered_call"

[[measure]]
id = "late_answered"
count = "activity"
where = "answered_call and late"

[[measure]]
id = "weighted"
sum = "people * 2"
where = "answered_call"

[[measure]]
id = "late_share"
expr = "share"
round = 2

[[check]]
id = "MD-010"
source = "activity"
where = "answered_call"
assert = "people * 2 <= 20"
message = "{count} calls with too many people"

[[check]]
id = "MD-020"
severity = "warning"
assert = "share <= 0.5"
message = "most answered calls were late"
"""
)

FIXTURE = """
[[fixture]]
name = "four calls"
period = ["2026-07-01", "2026-09-30"]
[[fixture.activities]]
activity_id = "C1"
date = "2026-07-02"
kind = "warm_line_call"
attendance = 1
start_time = "18:30"
[[fixture.activities]]
activity_id = "C2"
date = "2026-07-03"
kind = "warm_line_call"
attendance = 12
start_time = "10:00"
[[fixture.activities]]
activity_id = "C3"
date = "2026-07-04"
kind = "warm_line_call"
attendance = 0
start_time = "19:00"
[[fixture.activities]]
activity_id = "C4"
date = "2026-07-05"
kind = "group"
attendance = 5
start_time = "19:00"
[fixture.expect]
findings = ["MD-010"]
figures = { answered = 2, late_answered = 1, weighted = 30, late_share = 0.5 }
"""


def loaded(folder: Path, text: str) -> RuleFile:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "meaning-defines.toml"
    path.write_text(text, "utf-8")
    return load(path, Catalogue([folder]))


def test_moving_repeated_expressions_into_defines_keeps_the_meaning(tmp_path: Path) -> None:
    inline, defined = loaded(tmp_path / "a", INLINE), loaded(tmp_path / "b", DEFINED)
    assert defined.digest != inline.digest
    assert defined.meaning == inline.meaning
    found = diff(inline.model, defined.model)
    assert not found.meaning_changed
    assert [(c.part, c.item, c.change, c.meaning) for c in found.changes] == [
        ("define", name, "added", False) for name in ("answered_call", "late", "people", "share")
    ]
    assert found.changes[0].text == (
        "define answered_call: expression set to \"kind = 'warm_line_call' and attendance > 0\""
    )


def test_both_forms_give_the_same_figures_and_findings(tmp_path: Path) -> None:
    for folder, text in (("a", INLINE), ("b", DEFINED)):
        results = run_fixtures(loaded(tmp_path / folder, text + FIXTURE))
        assert [r.problems for r in results] == [()], folder


#: Edits of what a define says: each changes figures or findings, so the meaning digest.
DEFINE_EDITS = [
    # used in a where (of measures and a record check)
    ("answered_call = \"kind = 'warm_line_call' and attendance > 0\"",
     "answered_call = \"kind = 'warm_line_call' and attendance > 1\""),
    # used inside another expression's where only
    ('late = "hour(start_time) >= 17"', 'late = "hour(start_time) >= 18"'),
    # used in a measure's sum and a check's assert
    ('people = "attendance + 1"', 'people = "attendance + 2"'),
    # used in a derived measure and a return check
    ('share = "late_answered / answered"', 'share = "answered / late_answered"'),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new"), DEFINE_EDITS)
def test_changing_what_a_define_says_changes_the_meaning(
    tmp_path: Path, old: str, new: str
) -> None:
    assert old in DEFINED
    before = loaded(tmp_path / "a", DEFINED)
    after = loaded(tmp_path / "b", DEFINED.replace(old, new))
    assert after.meaning != before.meaning
    found = diff(before.model, after.model)
    assert found.meaning_changed
    name = old.split(" = ")[0]
    define = next(c for c in found.changes if c.part == "define")
    assert (define.item, define.change, define.meaning) == (name, "changed", True)
    users = [c for c in found.changes if c.part in ("measure", "check")]
    assert users and all(c.meaning for c in users)


def test_the_diff_shows_expressions_written_out(tmp_path: Path) -> None:
    before = loaded(tmp_path / "a", DEFINED)
    after = loaded(tmp_path / "b", DEFINED.replace('"attendance + 1"', '"attendance + 2"'))
    texts = [c.text for c in diff(before.model, after.model).changes]
    assert texts == [
        "define people: expression changed from 'attendance + 1' to 'attendance + 2'",
        "measure weighted: definition (sum) changed from "
        "'(attendance + 1) * 2' to '(attendance + 2) * 2'",
        "check MD-010: condition changed from '(attendance + 1) * 2 <= 20' to "
        "'(attendance + 2) * 2 <= 20'",
    ]


def test_a_define_nothing_uses_is_presentation(tmp_path: Path) -> None:
    before = loaded(tmp_path / "a", DEFINED)
    after = loaded(
        tmp_path / "b", DEFINED.replace("[define]\n", '[define]\nspare = "attendance"\n')
    )
    assert after.meaning == before.meaning and after.digest != before.digest
    changes = diff(before.model, after.model).changes
    assert [(c.item, c.change, c.meaning) for c in changes] == [("spare", "added", False)]


def test_a_define_redefined_by_a_child_changes_the_childs_meaning(tmp_path: Path) -> None:
    parent = loaded(tmp_path, DEFINED)
    child = tmp_path / "child.toml"
    child.write_text(
        'id = "child"\ntitle = "Child"\nversion = "1"\nextends = ["meaning-defines"]\n'
        '[define]\nlate = "hour(start_time) >= 20"\n',
        "utf-8",
    )
    same = tmp_path / "same.toml"
    same.write_text(
        'id = "child"\ntitle = "Child"\nversion = "1"\nextends = ["meaning-defines"]\n', "utf-8"
    )
    catalogue = Catalogue([tmp_path])
    redefined, plain = load(child, catalogue), load(same, catalogue)
    assert redefined.meaning != plain.meaning != parent.meaning
    found = diff(plain.model, redefined.model)
    assert [c.item for c in found.changes if c.meaning] == ["late", "late_answered"]


def test_rules_diff_of_a_refactor_into_defines_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old, new = tmp_path / "a" / "meaning-defines.toml", tmp_path / "b" / "meaning-defines.toml"
    loaded(old.parent, INLINE), loaded(new.parent, DEFINED)
    runner = CliRunner()
    result = runner.invoke(cli, ["rules", "diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "the meaning is the same" in result.output
    assert "presentation define late: expression set to 'hour(start_time) >= 17'" in " ".join(
        result.output.split()
    )
    data = json.loads(runner.invoke(cli, ["rules", "diff", str(old), str(new), "--json"]).output)
    assert data["old"]["meaning"] == data["new"]["meaning"]
    assert {c["kind"] for c in data["changes"]} == {"presentation"}
