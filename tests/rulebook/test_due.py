"""`[due]`: its two forms, the messages for mistakes, inheritance, digest, schema and display."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli
from peerreport.findings import Finding
from peerreport.render.ruledoc import render_rule_doc
from peerreport.rulebook import Catalogue, RuleFileInvalid, json_schema, load
from peerreport.rulebook.digest import canonical
from peerreport.rulebook.model import Due

WriteRules = Callable[..., Path]
MEASURE = '[[measure]]\nid = "m"\ncount = "activity"\n'


def _problem(path: Path) -> Finding:
    with pytest.raises(RuleFileInvalid) as info:
        load(path, Catalogue([path.parent]))
    found = info.value.findings
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


def test_day_form_defaults_to_the_month_after(write_rules: WriteRules) -> None:
    rules = load(write_rules(r=MEASURE + "[due]\nday = 20\n"), Catalogue([]))
    assert rules.due == Due(day=20, months_after=1)
    assert rules.due is not None and rules.due.days_after_end is None


def test_days_after_end_form(write_rules: WriteRules) -> None:
    rules = load(write_rules(r=MEASURE + "[due]\ndays_after_end = 30\n"), Catalogue([]))
    assert rules.due == Due(days_after_end=30)
    assert rules.due is not None and rules.due.months_after is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "day = 20\ndays_after_end = 30",
            "[due] takes either day (with months_after) or days_after_end, not both",
        ),
        (
            "months_after = 1\ndays_after_end = 30",
            "[due] takes either day (with months_after) or days_after_end, not both",
        ),
        ("months_after = 1", "[due] months_after needs a day: e.g. day = 20"),
        ("", "[due] needs day (with months_after), e.g. day = 20 and months_after = 1, or "),
    ],
)
def test_exactly_one_form(write_rules: WriteRules, body: str, message: str) -> None:
    f = _problem(write_rules(r=MEASURE + f"[due]\n{body}\n"))
    assert f.code == "RUL-003"
    assert f.location.key == "due"
    assert message in f.message
    assert "Value error" not in f.message


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ("day = 0", "due.day", "greater than or equal to 1"),
        ("day = 32", "due.day", "less than or equal to 31"),
        ("day = 20\nmonths_after = -1", "due.months_after", "greater than or equal to 0"),
        ("days_after_end = 400", "due.days_after_end", "less than or equal to 366"),
        ('day = "20th"', "due.day", "valid integer"),
    ],
)
def test_out_of_range_values_name_their_key(
    write_rules: WriteRules, body: str, key: str, message: str
) -> None:
    f = _problem(write_rules(r=MEASURE + f"[due]\n{body}\n"))
    assert f.location.key == key and message in f.message


def test_unknown_key_suggests_the_right_one(write_rules: WriteRules) -> None:
    f = _problem(write_rules(r=MEASURE + "[due]\nday = 20\nmonth_after = 1\n"))
    assert f.location.key == "due.month_after"
    assert "Did you mean 'months_after'?" in f.message


def test_inherited_overridden_as_a_whole_and_through_two_levels(write_rules: WriteRules) -> None:
    write_rules(
        base=MEASURE + "[due]\nday = 20\nmonths_after = 1\n",
        middle='extends = ["base"]\n',
        child='extends = ["middle"]\n[due]\ndays_after_end = 30\n',
        silent='extends = ["base"]\nperiod = "month"\n',
    )
    folder = write_rules()  # no files: the folder they were written to
    catalogue = Catalogue([folder])
    assert load(folder / "middle.toml", catalogue).due == Due(day=20, months_after=1)
    assert load(folder / "silent.toml", catalogue).due == Due(day=20, months_after=1)
    # the child's [due] replaces the parent's whole table: no day left over to clash
    assert load(folder / "child.toml", catalogue).due == Due(days_after_end=30)


def test_later_parent_wins_like_period(write_rules: WriteRules) -> None:
    write_rules(
        a=MEASURE + "[due]\nday = 20\n",
        b="[due]\nday = 28\nmonths_after = 2\n",
        child='extends = ["a", "b"]\n',
    )
    folder = write_rules()
    assert load(folder / "child.toml", Catalogue([folder])).due == Due(day=28, months_after=2)


def test_digest_covers_due_and_is_unchanged_without_it(write_rules: WriteRules) -> None:
    folder = write_rules()
    plain = load(write_rules(r=MEASURE), Catalogue([folder]))
    assert "due" not in canonical(plain.model)
    with_due = load(write_rules(r=MEASURE + "[due]\nday = 20\n"), Catalogue([folder]))
    explicit = load(
        write_rules(r=MEASURE + "[due]\nday = 20\nmonths_after = 1\n"), Catalogue([folder])
    )
    later = load(write_rules(r=MEASURE + "[due]\nday = 21\n"), Catalogue([folder]))
    assert plain.digest != with_due.digest != later.digest
    assert with_due.digest == explicit.digest  # the default is written out before hashing


def test_digest_of_a_rule_file_without_due_is_what_it_was(write_rules: WriteRules) -> None:
    # Pinned: rule files written before [due] existed keep their digests, so
    # returns built and bundles filed with them still match the rule file.
    rules = load(write_rules(r=MEASURE), Catalogue([]))
    assert rules.digest == BEFORE_DUE, "a rule file without [due] must keep its digest"


#: The digest of `r` above, computed with the code before `[due]` existed.
BEFORE_DUE = "sha256:565f4e59a8f891b0bc80946b7ba27ce4ab223601d9256a0b12a90c7c75c6c4e9"


def test_json_schema_describes_due() -> None:
    schema = json_schema()
    assert schema["properties"]["due"]["anyOf"][0] == {"$ref": "#/$defs/Due"}
    due = schema["$defs"]["Due"]
    assert set(due["properties"]) == {"day", "months_after", "days_after_end"}
    assert due["additionalProperties"] is False
    assert due["properties"]["day"]["anyOf"][0] == {"maximum": 31, "minimum": 1, "type": "integer"}


@pytest.mark.parametrize(
    ("due", "words"),
    [
        (Due(day=20), "the 20th of the month after the period ends"),
        (Due(day=1, months_after=0), "the 1st of the month the period ends in"),
        (Due(day=22, months_after=2), "the 22nd of the month 2 months after the period ends"),
        (Due(day=13), "the 13th of the month after the period ends"),
        (Due(day=31), "the 31st (or the last day of a shorter month) of the month after"),
        (Due(days_after_end=30), "30 days after the period ends"),
        (Due(days_after_end=1), "1 day after the period ends"),
        (Due(days_after_end=0), "on the last day of the period"),
    ],
)
def test_in_words(due: Due, words: str) -> None:
    assert due.describe().startswith(words)


def test_rules_show_and_doc_say_when_it_is_due(
    write_rules: WriteRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_rules(r=MEASURE + "[due]\ndays_after_end = 30\n")
    plain = write_rules(p=MEASURE)
    monkeypatch.chdir(path.parent)
    runner = CliRunner()
    shown = runner.invoke(cli, ["rules", "show", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "  due: 30 days after the period ends" in shown.output
    data = json.loads(runner.invoke(cli, ["rules", "show", str(path), "--json"]).output)
    assert data["due"] == {"day": None, "months_after": None, "days_after_end": 30}
    assert "  due: not set" in runner.invoke(cli, ["rules", "show", str(plain)]).output
    page = render_rule_doc(load(path, Catalogue([])))
    assert "<dt>Due</dt><dd>30 days after the period ends</dd>" in page
    assert "<dt>Due</dt><dd>not set in the rule file</dd>" in render_rule_doc(
        load(plain, Catalogue([]))
    )
