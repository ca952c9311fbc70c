"""Releases of rule files: the meaning digest, `rules diff`, and partial fixture expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.cli.main import cli
from peerreport.compute.fixtures import run_fixtures
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.rulebook.diff import diff

BASE = """\
id = "release-test"
title = "Release test return"
version = "1"

[[measure]]
id = "groups"
label = "Group sessions"
count = "activity"
where = "kind = 'group'"
unit = "sessions"
line = "A1"

[[measure]]
id = "calls"
label = "Warm-line calls"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[[check]]
id = "RT-010"
title = "Some groups"
severity = "warning"
assert = "groups > 0"
message = "no group sessions in the period"
hint = "Log the groups."

[[check]]
id = "RT-020"
severity = "info"
assert = "calls = 0"
message = "{calls} calls"
"""


def write(folder: Path, text: str, name: str = "release-test.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def loaded(folder: Path, text: str) -> RuleFile:
    path = write(folder, text)
    return load(path, Catalogue([path.parent]))


#: Edits that change only the wording: the meaning digest stays, the whole digest does not.
WORDING = [
    ('label = "Group sessions"', 'label = "Peer group sessions"'),
    ('version = "1"', 'version = "1.1"'),
    ('unit = "sessions"', 'unit = "sessions held"'),
    ('line = "A1"', 'line = "B7"'),
    ('title = "Some groups"', 'title = "At least one group"'),
    ('message = "no group sessions in the period"', 'message = "no groups at all"'),
    ('hint = "Log the groups."', 'hint = "Check the log."'),
    ('title = "Release test return"', 'title = "Renamed return"'),
]
#: Edits that change what the figures or findings are.
MEANING = [
    ("where = \"kind = 'group'\"", "where = \"kind = 'group' and attendance > 2\""),
    ('by = ["mode"]', "by = []"),
    ('severity = "warning"', 'severity = "error"'),
    ('assert = "groups > 0"', 'assert = "groups > 1"'),
    ('count = "activity"\nwhere = "kind = \'warm', 'count = "activity"\nwhere = "kind != \'warm'),
    ('unit = "sessions"', 'unit = "sessions"\nnothing = "not collected"'),
]


@pytest.mark.parametrize(("old", "new"), WORDING)
def test_a_wording_edit_keeps_the_meaning_digest(tmp_path: Path, old: str, new: str) -> None:
    assert old in BASE
    before = loaded(tmp_path / "a", BASE)
    after = loaded(tmp_path / "b", BASE.replace(old, new))
    assert after.digest != before.digest
    assert after.meaning == before.meaning
    changes = diff(before.model, after.model).changes
    assert changes and not any(c.meaning for c in changes)


@pytest.mark.parametrize(("old", "new"), MEANING)
def test_a_meaning_edit_changes_the_meaning_digest(tmp_path: Path, old: str, new: str) -> None:
    assert old in BASE
    before = loaded(tmp_path / "a", BASE)
    after = loaded(tmp_path / "b", BASE.replace(old, new))
    assert after.meaning != before.meaning
    assert diff(before.model, after.model).meaning_changed


def test_reordering_measures_changes_nothing_that_means_anything(tmp_path: Path) -> None:
    groups = BASE[
        BASE.index('[[measure]]\nid = "groups"') : BASE.index('[[measure]]\nid = "calls"')
    ]
    first_check = '[[check]]\nid = "RT-010"'
    swapped = BASE.replace(groups, "").replace(first_check, groups + first_check)
    before, after = loaded(tmp_path / "a", BASE), loaded(tmp_path / "b", swapped)
    assert list(after.measures) == ["calls", "groups"]
    assert after.meaning == before.meaning
    assert diff(before.model, after.model).changes == ()


@settings(max_examples=30, deadline=None)
@given(label=st.text(st.characters(categories=["L", "N", "Zs"]), max_size=40))
def test_any_label_keeps_the_meaning(tmp_path_factory: pytest.TempPathFactory, label: str) -> None:
    folder = tmp_path_factory.mktemp("label")
    before = loaded(folder / "a", BASE)
    after = loaded(
        folder / "b", BASE.replace('"Group sessions"', json.dumps(label, ensure_ascii=False))
    )
    assert after.meaning == before.meaning


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_rules_diff_of_a_wording_change_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    old = write(tmp_path / "a", BASE)
    new = write(tmp_path / "b", BASE.replace('label = "Group sessions"', 'label = "Groups"'))
    result = runner.invoke(cli, ["rules", "diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert (
        "presentation measure groups: label changed from 'Group sessions' to 'Groups'"
        in result.output
    )
    assert "the meaning is the same" in result.output
    data = json.loads(runner.invoke(cli, ["rules", "diff", str(old), str(new), "--json"]).output)
    assert data["meaning_changed"] is False
    assert data["old"]["meaning"] == data["new"]["meaning"]
    assert data["old"]["digest"] != data["new"]["digest"]
    assert [(c["item"], c["key"], c["kind"]) for c in data["changes"]] == [
        ("groups", "label", "presentation")
    ]


def test_rules_diff_of_a_meaning_change_exits_1_and_says_what(
    runner: CliRunner, tmp_path: Path
) -> None:
    old = write(tmp_path / "a", BASE)
    edited = BASE.replace("kind = 'group'", "kind = 'group' and attendance > 2")
    edited = edited.replace('severity = "warning"', 'severity = "error"')
    edited = edited.replace('id = "RT-020"', 'id = "RT-030"')
    new = write(tmp_path / "b", edited)
    result = runner.invoke(cli, ["rules", "diff", str(old), str(new)])
    assert result.exit_code == 1, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert (
        "meaning measure groups: filter changed from \"kind = 'group'\" to "
        "\"kind = 'group' and attendance > 2\""
    ) in lines
    assert "meaning check RT-010: severity warning → error" in lines
    assert "meaning check RT-020: removed" in lines
    assert "meaning check RT-030: added" in lines
    data = json.loads(runner.invoke(cli, ["rules", "diff", str(old), str(new), "--json"]).output)
    assert data["meaning_changed"] is True
    where = next(c for c in data["changes"] if c["key"] == "where")
    assert (where["old"], where["new"], where["kind"]) == (
        "kind = 'group'",
        "kind = 'group' and attendance > 2",
        "meaning",
    )


def test_rules_diff_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    old = write(tmp_path / "a", BASE)
    result = runner.invoke(cli, ["rules", "diff", str(old), str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert "missing.toml" in result.output and "Traceback" not in result.output
    assert runner.invoke(cli, ["rules", "diff", str(old)]).exit_code == 2


FIXTURE = """
[[fixture]]
name = "{name}"
period = ["2026-07-01", "2026-09-30"]
[[fixture.activities]]
activity_id = "C1"
date = "2026-07-02"
kind = "warm_line_call"
attendance = 1
mode = "phone"
[fixture.expect]
{expect}
"""


def fixtures_of(tmp_path: Path, *cases: tuple[str, str]) -> Path:
    text = BASE + "".join(FIXTURE.format(name=name, expect=expect) for name, expect in cases)
    return write(tmp_path, text)


def test_partial_fixture_expectations(tmp_path: Path) -> None:
    path = fixtures_of(
        tmp_path,
        ("includes one of two codes", 'includes = { findings = ["RT-010"] }'),
        ("includes figures", 'includes = { figures = { calls = 1 }, findings = ["RT-020"] }'),
        ("includes a code that does not fire", 'includes = { findings = ["RT-010", "RET-020"] }'),
        ("includes a wrong figure", "includes = { figures = { groups = 3 } }"),
        ("exact form still exact", 'findings = ["RT-010"]'),
    )
    results = {r.name: r for r in run_fixtures(load(path, Catalogue([tmp_path])))}
    assert results["includes one of two codes"].passed, results["includes one of two codes"]
    assert results["includes figures"].passed
    missing = results["includes a code that does not fire"]
    assert not missing.passed
    assert missing.problems == (
        "findings: expected to include ['RET-020'], got ['RT-010', 'RT-020']",
    )
    assert results["includes a wrong figure"].problems == ("groups: expected 3, got 0",)
    assert not results["exact form still exact"].passed  # RT-020 fires too


def test_a_failing_fixture_shows_each_findings_message(runner: CliRunner, tmp_path: Path) -> None:
    path = fixtures_of(tmp_path, ("exact", 'findings = ["RT-010"]'))
    result = runner.invoke(cli, ["rules", "test", str(path)])
    assert result.exit_code == 1
    assert "RT-010 (warning): no group sessions in the period" in result.output
    assert "RT-020 (info): 1 calls" in result.output
    data = json.loads(runner.invoke(cli, ["rules", "test", str(path), "--json"]).output)
    assert "RT-020 (info): 1 calls" in data[0]["findings"]


def test_a_fixture_cannot_have_both_findings_forms(runner: CliRunner, tmp_path: Path) -> None:
    fixtures_of(tmp_path, ("both", 'findings = []\nincludes = { findings = ["RT-010"] }'))
    result = runner.invoke(cli, ["rules", "lint", str(tmp_path / "release-test.toml")])
    assert result.exit_code == 1
    assert "cannot both be given" in result.output


def test_lint_names_an_unknown_code_in_includes(runner: CliRunner, tmp_path: Path) -> None:
    fixtures_of(tmp_path, ("typo", 'includes = { findings = ["RT-01"], figures = { grups = 1 } }'))
    result = runner.invoke(cli, ["rules", "lint", str(tmp_path / "release-test.toml")])
    assert result.exit_code == 1
    assert "expect.includes.findings" in result.output and "RT-010" in result.output
    assert "expect.includes.figures.grups" in result.output
