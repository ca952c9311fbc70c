"""Tailoring with [[remove]] and [define]: what resolves, and every error's message."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.cli.main import cli
from peerreport.render.ruledoc import render_rule_doc
from peerreport.rulebook import (
    Catalogue,
    RuleFileInvalid,
    digest,
    from_resolved,
    load,
    resolved_text,
)
from peerreport.rulebook.definition import canonical_definition

WriteRules = Callable[..., Path]

BASE = """
[define]
group = "kind = 'group'"
[[measure]]
id = "sessions"
count = "activity"
[[measure]]
id = "groups"
count = "activity"
where = "group"
[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"
[[measure]]
id = "call_share"
expr = "calls / sessions"
[[check]]
id = "B-1"
assert = "groups <= sessions"
message = "more groups than sessions"
[[check]]
id = "B-2"
assert = "calls >= 0"
message = "{calls} calls"
"""


def _errors(path: Path) -> list[tuple[str, str | None, str]]:
    with pytest.raises(RuleFileInvalid) as caught:
        load(path, Catalogue([path.parent]))
    return [(f.code, f.location.key, f.message) for f in caught.value.findings]


def test_remove_takes_a_measure_and_a_check_out_and_says_why(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child="""
extends = ["base"]
[[remove]]
measure = "call_share"
reason = "not purchased in this region"
[[remove]]
check = "B-2"
reason = "calls are counted elsewhere"
""",
    )
    child = load(path, Catalogue([path.parent]))
    assert list(child.measures) == ["sessions", "groups", "calls"]
    assert list(child.checks) == ["B-1"]
    text = json.loads(resolved_text(child))
    assert text["remove"] == [
        {"measure": "call_share", "check": None, "reason": "not purchased in this region"},
        {"measure": None, "check": "B-2", "reason": "calls are counted elsewhere"},
    ]
    assert child.origins["remove:measure:call_share"].key == "remove[0]"
    doc = render_rule_doc(child)
    assert "not purchased in this region" in doc and "call_share" in doc
    # The reason is part of the digest: the resolved file says why.
    other = path.read_text("utf-8").replace("not purchased", "never purchased")
    path.write_text(other, "utf-8")
    assert load(path, Catalogue([path.parent])).digest != child.digest


def test_a_file_without_define_or_remove_keeps_its_digest(write_rules: WriteRules) -> None:
    path = write_rules(base=BASE.replace("[define]\ngroup = \"kind = 'group'\"\n", ""))
    path.write_text(
        path.read_text("utf-8").replace('where = "group"', "where = \"kind = 'group'\"")
    )
    rule_file = load(path, Catalogue([path.parent]))
    dumped = rule_file.model.model_dump(mode="json", by_alias=True)
    assert "define" not in json.loads(resolved_text(rule_file))
    assert dumped["define"] == {} and dumped["remove"] == []
    assert rule_file.digest == digest(rule_file.model)


def test_removing_what_is_not_inherited_suggests_the_closest(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child='extends = ["base"]\n[[remove]]\nmeasure = "cals"\nreason = "x"\n'
        '[[remove]]\ncheck = "B-9"\nreason = "x"\n',
    )
    assert _errors(path) == [
        (
            "RUL-033",
            "remove[0].measure",
            "remove of measure 'cals', which is not inherited: no inherited measure has that "
            "id. Did you mean 'calls'?",
        ),
        (
            "RUL-033",
            "remove[1].check",
            "remove of check 'B-9', which is not inherited: no inherited check has that id. "
            "Did you mean 'B-2'?",
        ),
    ]


def test_removing_from_a_file_that_extends_nothing(write_rules: WriteRules) -> None:
    path = write_rules(alone=BASE + '[[remove]]\nmeasure = "visits"\nreason = "x"\n')
    codes = _errors(path)
    assert codes[0][:2] == ("RUL-033", "remove[0].measure")
    assert "this file inherits no measures" in codes[0][2]


def test_removing_a_measure_still_used_names_every_user(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child="""
extends = ["base"]
[define]
call_rate = "calls / sessions"
[[measure]]
id = "rate"
expr = "call_rate * 100"
[[check]]
id = "C-1"
assert = "sessions > 0"
message = "{calls} calls"
[[remove]]
measure = "calls"
reason = "x"
[export.xlsx.cells]
"calls" = "'Return'!B2"
[export.adx]
data_set = "DS"
[export.adx.data_elements]
calls = "CALLS"
""",
    )
    [(code, key, message)] = _errors(path)
    assert (code, key) == ("RUL-033", "remove[0].measure")
    assert message == (
        "measure 'calls' cannot be removed: it is used by measure 'call_share' (expr), "
        "measure 'rate' (expr), check 'B-2' (assert, message), check 'C-1' (message), "
        "export.xlsx.cells 'calls' (-> 'Return'!B2), export.adx.data_elements 'calls' (-> CALLS)"
    )


def test_removing_the_users_too_is_allowed(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child='extends = ["base"]\n'
        + "".join(
            f'[[remove]]\n{kind} = "{ident}"\nreason = "not here"\n'
            for kind, ident in [("measure", "calls"), ("measure", "call_share"), ("check", "B-2")]
        ),
    )
    assert list(load(path, Catalogue([path.parent])).measures) == ["sessions", "groups"]


def test_a_file_may_not_remove_and_define_the_same_id(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child='extends = ["base"]\n[[remove]]\nmeasure = "calls"\nreason = "x"\n'
        '[[measure]]\nid = "calls"\ncount = "activity"\n',
    )
    [(code, key, message)] = _errors(path)
    assert (code, key) == ("RUL-031", "remove[0].measure")
    assert (
        message
        == "measure 'calls' is both removed (remove[0]) and defined (measure[0]) in this file"
    )


def test_a_remove_names_one_thing_with_a_reason(write_rules: WriteRules) -> None:
    path = write_rules(base=BASE, child='extends = ["base"]\n[[remove]]\nmeasure = "calls"\n')
    [(code, key, _)] = _errors(path)
    assert (code, key) == ("RUL-003", "remove[0].reason")
    path = write_rules(
        base=BASE,
        child='extends = ["base"]\n[[remove]]\nmeasure = "calls"\ncheck = "B-1"\nreason = "x"\n',
    )
    [(code, key, message)] = _errors(path)
    assert code == "RUL-003" and "either measure or check" in message


def test_a_grandchild_shows_its_parents_removals(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child='extends = ["base"]\n[[remove]]\ncheck = "B-2"\nreason = "why"\n',
        grandchild='extends = ["child"]\n',
    )
    grandchild = load(path, Catalogue([path.parent]))
    assert [(r.check, r.reason) for r in grandchild.model.remove] == [("B-2", "why")]
    assert grandchild.origins["remove:check:B-2"].file.name == "child.toml"
    # A later file that defines the id again brings it back, and the removal is not listed.
    path = write_rules(
        grandchild='extends = ["child"]\n[[check]]\nid = "B-2"\nassert = "calls >= 1"\n'
        'message = "m"\n'
    )
    again = load(path, Catalogue([path.parent]))
    assert "B-2" in again.checks and again.model.remove == []


# -- [define] ------------------------------------------------------------------------


def test_define_is_the_inline_formula(write_rules: WriteRules) -> None:
    path = write_rules(base=BASE)
    rule_file = load(path, Catalogue([path.parent]))
    inline = write_rules(inline=BASE.replace('where = "group"', "where = \"kind = 'group'\""))
    inline_file = load(inline, Catalogue([inline.parent]))
    # Same checked tree, so the same SQL, the same Python and the same cell seeds.
    defined, written = rule_file.measures["groups"].where, inline_file.measures["groups"].where
    assert defined is not None and written is not None
    assert defined.text == "group" and defined.tree == written.tree
    assert canonical_definition(rule_file.measures["groups"], rule_file) == canonical_definition(
        inline_file.measures["groups"], inline_file
    )
    assert rule_file.digest != inline_file.digest  # the text differs, and the digest says so


def test_defines_are_inherited_and_overridden(write_rules: WriteRules) -> None:
    path = write_rules(
        base=BASE,
        child="extends = [\"base\"]\n[define]\ngroup = \"kind in ('group', 'drop_in')\"\n",
    )
    child = load(path, Catalogue([path.parent]))
    assert child.model.define == {"group": "kind in ('group', 'drop_in')"}
    assert child.origin("define", "group").file.name == "child.toml"
    where = child.measures["groups"].where
    assert where is not None and "drop_in" in repr(where.tree)


@pytest.mark.parametrize(
    ("define", "use", "code", "key", "message"),
    [
        (
            "grp = \"kind = 'group'\"",
            'where = "gpr"',
            "RUL-012",
            "measure[0].where",
            "measure 'm': unknown name 'gpr' (not one of the fields of source 'activity'). "
            "Did you mean 'grp'?",
        ),
        (
            "grp = \"knd = 'group'\"",
            'where = "grp"',
            "RUL-012",
            "define.grp",
            "define 'grp': unknown name 'knd' (not a field, grouping, measure or define). "
            "Did you mean 'kind'?",
        ),
        (
            'a = "b and true"\nb = "not a"',
            'where = "a"',
            "RUL-032",
            "define.a",
            "define 'a' refers to itself: a -> b -> a",
        ),
        (
            "kind = \"mode = 'phone'\"",
            "where = \"kind = 'group'\"",
            "RUL-031",
            "define.kind",
            "define 'kind' has the name of a field of source 'activity': a define may not hide "
            "a field, function, keyword, grouping or measure",
        ),
        (
            'coalesce = "1"',
            'where = "true"',
            "RUL-031",
            "define.coalesce",
            "define 'coalesce' has the name of a function: a define may not hide a field, "
            "function, keyword, grouping or measure",
        ),
        (
            'm = "1"',
            'where = "true"',
            "RUL-031",
            "define.m",
            "define 'm' has the name of a measure: a define may not hide a field, function, "
            "keyword, grouping or measure",
        ),
        (
            'long = "duration_minutes"',
            'where = "long"',
            "RUL-011",
            "measure[0].where",
            "measure 'm': this must be a condition (true or false), but it is a whole number",
        ),
        (
            "grp = \"kind = 'grup'\"",
            'where = "grp"',
            "RUL-013",
            "measure[0].where",
            "measure 'm': in define 'grp' = \"kind = 'grup'\": 'grup' is not a code of "
            "vocabulary 'kind' (used by 'kind'). Did you mean 'group'?",
        ),
        (
            'bad = "attendance +"',
            'where = "true"',
            "RUL-010",
            "define.bad",
            "define 'bad': the expression ends too soon; expected",
        ),
        (
            "name_field = \"full_name = 'x'\"",
            'where = "true"',
            "RUL-020",
            "define.name_field",
            "'full_name' is a forbidden field",
        ),
    ],
)
def test_define_errors(
    write_rules: WriteRules, define: str, use: str, code: str, key: str, message: str
) -> None:
    path = write_rules(
        alone=f'[define]\n{define}\n[[measure]]\nid = "m"\ncount = "activity"\n{use}\n'
    )
    found = _errors(path)
    assert any(c == code and k == key and m.startswith(message) for c, k, m in found), found


def test_a_define_error_shows_the_define_with_a_caret(write_rules: WriteRules) -> None:
    path = write_rules(
        alone='[define]\nfte = "paid_fte + \'x\'"\n[[measure]]\nid = "m"\nsource = "workforce"\n'
        'sum = "fte"\n'
    )
    with pytest.raises(RuleFileInvalid) as caught:
        load(path, Catalogue([path.parent]))
    [finding] = caught.value.findings
    assert finding.code == "RUL-011" and finding.location.key == "measure[0].sum"
    assert "in define 'fte'" in finding.message
    assert finding.details["caret"] == "    paid_fte + 'x'\n               ^^^"


def test_defines_used_inside_defines_are_bounded(write_rules: WriteRules) -> None:
    # Each define uses the one before twice: written out, the last would have 2^20 parts.
    chain = ['d0 = "attendance"'] + [f'd{i} = "d{i - 1} + d{i - 1}"' for i in range(1, 21)]
    path = write_rules(
        alone="[define]\n" + "\n".join(chain) + '\n[[measure]]\nid = "m"\nsum = "d20"\n'
    )
    [(code, key, message)] = _errors(path)
    assert (code, key) == ("RUL-015", "measure[0].sum")
    assert "defines" in message


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(["attendance", "duration_minutes", "2", "first_time", "peer_workers"]),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["+", "-", "*"]),
)
def test_a_define_checks_to_the_same_tree_as_inline(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], op: str
) -> None:
    formula = f" {op} ".join(parts)
    folder = tmp_path_factory.mktemp("rules")
    header = 'title = "t"\nversion = "1"\n'
    (folder / "a.toml").write_text(
        f'id = "a"\n{header}[define]\nf = "{formula}"\n[[measure]]\nid = "m"\nsum = "2 * f"\n'
        '[[measure]]\nid = "d"\nexpr = "m + 1"\n',
        "utf-8",
    )
    (folder / "b.toml").write_text(
        f'id = "b"\n{header}[[measure]]\nid = "m"\nsum = "2 * ({formula})"\n'
        '[[measure]]\nid = "d"\nexpr = "m + 1"\n',
        "utf-8",
    )
    a, b = load(folder / "a.toml"), load(folder / "b.toml")
    assert a.measures["m"].argument is not None and b.measures["m"].argument is not None
    assert a.measures["m"].argument.tree == b.measures["m"].argument.tree
    assert a.measures["m"].type == b.measures["m"].type


def test_rules_show_and_doc_say_what_was_removed() -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["rules", "show", "example-tailored"])
    assert shown.exit_code == 0, shown.output
    assert "measure unique_members: providers in this region do not keep member tokens" in (
        shown.output
    )
    assert "define group_session = kind = 'group' and not community_session" in shown.output
    as_json = json.loads(runner.invoke(cli, ["rules", "show", "example-tailored", "--json"]).output)
    assert {r["measure"] for r in as_json["remove"]} == {"unique_members", None}
    assert "unique_members" not in [m["id"] for m in as_json["measure"]]


def test_a_bundle_s_resolved_text_keeps_defines_and_removals() -> None:
    tailored = load("example-tailored")
    again = from_resolved(resolved_text(tailored))
    assert again.digest == tailored.digest
    assert again.model.remove == tailored.model.remove and again.model.define
    assert list(again.measures) == list(tailored.measures)
    where = again.measures["member_led_group_sessions"].where
    original = tailored.measures["member_led_group_sessions"].where
    assert where is not None and original is not None and where.tree == original.tree
