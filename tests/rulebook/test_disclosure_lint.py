"""The disclosure lint: policies publishing small counts, check verdicts, unprotected overlaps."""

from __future__ import annotations

import operator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from peerreport.bundle.sealed import new_funder_key
from peerreport.cli.main import cli
from peerreport.disclosure.atoms import Planner
from peerreport.errors import RuleFileError
from peerreport.rulebook import Catalogue, digest, lint, load, overlapping_between
from peerreport.rulebook.disclosure_lint import _linked

HEAD = 'id = "{id}"\ntitle = "T"\nversion = "1"\n'
SAFE = """
[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"
by = ["mode"]
"""


def _write(folder: Path, ident: str, body: str, extends: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ident}.toml"
    head = HEAD.format(id=ident) + (f'extends = ["{extends}"]\n' if extends else "")
    path.write_text(head + body, "utf-8")
    return path


def _codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in lint(path, Catalogue([path.parent]))]


def test_a_safe_file_has_no_warnings(tmp_path: Path) -> None:
    assert _codes(_write(tmp_path, "safe", SAFE)) == []


@pytest.mark.parametrize(
    ("disclosure", "words"),
    [
        ('method = "none"', "method = 'none' publishes every count"),
        ("threshold = 3", "threshold = 3 publishes counts the funder's minimum (6"),
        ("secondary = false", "secondary = false"),
    ],
)
def test_policies_that_publish_small_counts_are_warned_about(
    tmp_path: Path, disclosure: str, words: str
) -> None:
    release = "[release]\nminimum_threshold = 6\n"
    found = _codes(_write(tmp_path, "loose", f"{release}[disclosure]\n{disclosure}\n{SAFE}"))
    assert [code for code, _ in found] == ["RUL-050"]
    assert words in found[0][1]


def test_the_funders_minimum_is_inherited_from_the_base(tmp_path: Path) -> None:
    _write(tmp_path, "base", "[release]\nminimum_threshold = 6\n" + SAFE)
    child = _write(tmp_path, "child", "[disclosure]\nthreshold = 4\n", extends="base")
    assert [code for code, _ in _codes(child)] == ["RUL-050"]


def test_a_message_that_prints_a_figure_is_not_warned_about(tmp_path: Path) -> None:
    # The engine fills every number of a message from the released values (a hidden
    # figure prints the symbol): printing a figure gives nothing away.
    body = (
        SAFE
        + """
[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"

[[measure]]
id = "per_group"
expr = "calls / groups"

[[check]]
id = "C-1"
assert = "calls < 100"
message = "{calls} calls, {per_group} a group"
hint = "Look at the calls {calls}."

[[check]]
id = "C-2"
total = "groups"
parts = ["groups"]
message = "{total} is not {parts} ({difference})"
"""
    )
    assert _codes(_write(tmp_path, "talky", body)) == []


CALLS = """
[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"

[[measure]]
id = "video_groups"
count = "activity"
where = "kind = 'group' and mode = 'video'"

[[measure]]
id = "hours"
sum = "duration_minutes / 60.0"
round = 1
"""


def _check(condition: str) -> str:
    return f'\n[[check]]\nid = "C-1"\n{condition}\nmessage = "m"\n'


#: Checks whose finding would (True) or would not (False) narrow a figure below threshold 6.
VERDICTS = {
    # a failing `groups >= 3` beside a hidden `groups` says it is 1 or 2
    'assert = "groups >= 3"': True,
    # whether the finding is there at all says a hidden count is 4 or 5
    'where = "groups >= 4"\nassert = "calls > 0"': True,
    # two figures that can both be hidden, compared with each other
    'assert = "calls <= groups"': True,
    # a share: 90% of a hidden count of 5 tells 4 from 5
    'where = "groups > 0"\nassert = "calls >= 0.9 * groups"': True,
    # a derived figure is followed to its inputs
    'assert = "calls / groups <= 1"': True,
    # a decimal sum is tried in its smallest unit: 0.5 splits 0.1 to 0.5 hours
    'assert = "hours >= 0.3"': True,
    # at the threshold: every hidden count below it fails alike
    'where = "groups >= 6"\nassert = "calls > 0"': False,
    'assert = "groups >= 6"': False,
    # zeros are shown, so a hidden count is at least 1 whatever the check says
    'assert = "groups > 0"': False,
    'assert = "calls + groups > 0"': False,
    # from 6 up, 90% of the count is above 5: every hidden `calls` fails alike
    'where = "groups >= 6"\nassert = "calls >= 0.9 * groups"': False,
    # a count whose records are among another's is never above it
    'assert = "video_groups <= groups"': False,
}


@pytest.mark.parametrize(("check", "warned"), VERDICTS.items(), ids=list(VERDICTS))
def test_a_check_whose_verdict_narrows_a_hidden_figure_is_warned_about(
    tmp_path: Path, check: str, warned: bool
) -> None:
    found = _codes(_write(tmp_path, "verdict", SAFE + CALLS + _check(check)))
    assert [code for code, _ in found] == (["RUL-051"] if warned else [])
    if warned:
        assert "check 'C-1': whether its finding is released depends on where" in found[0][1]


@pytest.mark.parametrize(
    ("disclosure", "warned"),
    [
        ("", False),  # zeros shown: a hidden count is at least 1, so `> 0` tells nothing
        ("zero_exempt = false", True),  # a hidden zero: the finding says it is 0
        ('method = "rr3"', True),  # a published 0 may be 1 or 2: the finding says which
        ('method = "none"', False),  # nothing is hidden; RUL-050 says so
    ],
)
def test_what_a_hidden_figure_can_be_depends_on_the_policy(
    tmp_path: Path, disclosure: str, warned: bool
) -> None:
    body = f"[disclosure]\n{disclosure}\n" + SAFE + _check('assert = "groups > 0"')
    codes = [code for code, _ in _codes(_write(tmp_path, "policy", body))]
    assert ("RUL-051" in codes) is warned


COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@settings(max_examples=30, deadline=None)
@given(
    threshold=st.integers(2, 9),
    op=st.sampled_from(sorted(COMPARE)),
    constant=st.integers(0, 12),
    zeros_shown=st.booleans(),
)
def test_a_comparison_with_a_constant_is_warned_about_when_it_splits_the_hidden_counts(
    tmp_path_factory: pytest.TempPathFactory,
    threshold: int,
    op: str,
    constant: int,
    zeros_shown: bool,
) -> None:
    """Warned exactly when two counts a hidden figure can be get different verdicts."""
    hidden = range(1 if zeros_shown else 0, threshold)
    verdicts = {COMPARE[op](v, constant) for v in hidden}
    policy = f"[disclosure]\nthreshold = {threshold}\nzero_exempt = {str(zeros_shown).lower()}\n"
    body = policy + SAFE + _check(f'assert = "groups {op} {constant}"')
    path = _write(tmp_path_factory.mktemp("cmp"), "compare", body)
    assert ("RUL-051" in [code for code, _ in _codes(path)]) is (len(verdicts) > 1)


CONSISTENCY = """
[[measure]]
id = "sessions"
count = "activity"
where = "kind in ('group', 'drop_in')"

[[measure]]
id = "dropins"
count = "activity"
where = "kind in ('group', 'drop_in') and kind = 'drop_in'"

[[measure]]
id = "dropin_people"
distinct = "member_tokens"
where = "kind = 'drop_in'"
"""


@pytest.mark.parametrize(
    ("parts", "warned"),
    [
        # counts the audit links, each inside the total, no record in two: the check fails
        # exactly when some sessions are in no part, which the audit's attacker knows
        (["groups", "dropins"], False),
        # a distinct count is not linked by the audit: equality would pin a hidden figure
        (["groups", "dropin_people"], True),
    ],
)
def test_consistency_checks(tmp_path: Path, parts: list[str], warned: bool) -> None:
    groups = SAFE.replace("kind = 'group'", "kind in ('group', 'drop_in') and kind = 'group'")
    check = f'total = "sessions"\nparts = {parts!r}'.replace("'", '"')
    found = _codes(_write(tmp_path, "sums", groups + CONSISTENCY + _check(check)))
    assert ("RUL-051" in [code for code, _ in found]) is warned


OVERLAPS = {
    "the same count twice": """
[[measure]]
id = "group_sessions"
count = "activity"
where = "'group' = kind"
""",
    "one table inside another": """
[[measure]]
id = "video_groups"
count = "activity"
where = "kind = 'group' and mode = 'video'"
""",
    "a sum of two others": """
[[measure]]
id = "groups_and_dropins"
count = "activity"
where = "kind in ('group', 'drop_in')"
by = ["mode"]

[[measure]]
id = "dropins"
count = "activity"
where = "kind = 'drop_in'"
by = ["mode"]
""",
}


@pytest.mark.parametrize("body", OVERLAPS.values(), ids=list(OVERLAPS))
@pytest.mark.parametrize(
    ("disclosure", "warned"),
    [
        # counts under suppress with secondary: the whole-release audit protects them together
        ("", False),
        # rounding rounds the two tables independently
        ('method = "rr3"', True),
        ('method = "graduated"', True),
        # secondary off: nothing hides more (RUL-050 warns about the policy too)
        ("secondary = false", True),
    ],
)
def test_measures_that_publish_overlapping_tables_are_warned_about_where_unprotected(
    tmp_path: Path, body: str, disclosure: str, warned: bool
) -> None:
    policy = f"[disclosure]\n{disclosure}\n"
    found = _codes(_write(tmp_path, "overlap", policy + SAFE + body))
    assert ("RUL-052" in [code for code, _ in found]) is warned


@pytest.mark.parametrize(
    ("kind", "warned"),
    [
        ('count = "activity"', False),
        ('sum = "attendance"', False),  # a whole-number sum: linked by the audit
        ('distinct = "member_tokens"', True),  # a distinct count is not a sum of atoms
        ('sum = "duration_minutes / 60.0"', True),  # a decimal sum is not linked
    ],
)
def test_overlaps_of_measures_the_audit_does_not_link_are_warned_about(
    tmp_path: Path, kind: str, warned: bool
) -> None:
    body = "".join(
        f'\n[[measure]]\nid = "{ident}"\n{kind}\nwhere = "{where}"\n{by}'
        for ident, where, by in [
            ("group_things", "kind = 'group'", 'by = ["mode"]\n'),
            ("video_group_things", "kind = 'group' and mode = 'video'", ""),
        ]
    )
    found = _codes(_write(tmp_path, "kinds", body))
    assert [code for code, _ in found] == (["RUL-052"] if warned else [])


def test_the_same_table_under_rounding_is_rounded_once(tmp_path: Path) -> None:
    body = OVERLAPS["the same count twice"].replace("group_sessions", "groups_again")
    found = _codes(_write(tmp_path, "twice", '[disclosure]\nmethod = "rr3"\n' + SAFE + body))
    # `groups_again` is `groups` without its breakdown: the totals are one count, rounded
    # once, but the cells of `groups` are rounded apart from it
    assert [code for code, _ in found] == ["RUL-052"]
    same = body.replace("where = \"'group' = kind\"", 'where = "\'group\' = kind"\nby = ["mode"]')
    assert (
        _codes(_write(tmp_path / "s", "twice", '[disclosure]\nmethod = "rr3"\n' + SAFE + same))
        == []
    )


def test_overlaps_between_files_that_share_a_base(tmp_path: Path) -> None:
    # Secondary suppression off: nothing protects overlapping tables together.
    _write(tmp_path, "base", "[disclosure]\nsecondary = false\n" + SAFE)
    first = _write(tmp_path, "first", OVERLAPS["one table inside another"], extends="base")
    other = OVERLAPS["one table inside another"].replace("video_groups", "groups_by_video")
    second = _write(tmp_path, "second", other.replace("'video'", "'phone'"), extends="base")
    catalogue = Catalogue([tmp_path])
    files = [load(first, catalogue), load(second, catalogue)]
    # Each file's own overlap (with the inherited `groups`) is its own lint's; across the two
    # files, video_groups and groups_by_video are different cells: no overlap between them.
    assert overlapping_between(files) == []
    same = _write(
        tmp_path,
        "third",
        OVERLAPS["one table inside another"].replace("video_groups", "groups_on_video"),
        extends="base",
    )
    found = overlapping_between([files[0], load(same, catalogue)])
    assert [f.code for f in found] == ["RUL-052"] and "share a base" in found[0].message
    result = CliRunner().invoke(cli, ["rules", "lint", str(first), str(same)])
    assert result.exit_code == 0 and "warn" in result.output and "share a base" in result.output
    # The same files under suppress with secondary: the audit protects them together.
    _write(tmp_path / "s", "base", SAFE)
    plain = Catalogue([tmp_path / "s"])
    pair = [
        load(_write(tmp_path / "s", "first", OVERLAPS["one table inside another"], "base"), plain),
        load(
            _write(
                tmp_path / "s",
                "third",
                OVERLAPS["one table inside another"].replace("video_groups", "groups_on_video"),
                "base",
            ),
            plain,
        ),
    ]
    assert overlapping_between(pair) == []


def test_linked_is_what_the_audit_links() -> None:
    """The lint's idea of an audited measure is the audit planner's, on every shipped measure."""
    rules = Path(__file__).resolve().parents[2] / "rules"
    catalogue = Catalogue([rules])
    planner = Planner(sqlite.dialect())
    kinds = set()
    for path in sorted(rules.glob("*.toml")):
        rule_file = load(path, catalogue)
        for measure in rule_file.measures.values():
            linked = planner.measure(rule_file, measure) is not None
            assert _linked(measure) is linked, (path.name, measure.id)
            kinds.add((measure.measure.kind, linked))
    # both sides are exercised: linked counts and sums, unlinked distinct and derived figures
    assert {("count", True), ("sum", True), ("sum", False), ("distinct", False)} <= kinds


def test_release_keys_and_digests(tmp_path: Path) -> None:
    key = new_funder_key(tmp_path / "k").public_text
    plain = load(_write(tmp_path, "plain", SAFE))
    sealed = load(
        _write(
            tmp_path / "s", "plain", f'[release]\nfunder_exact = true\nfunder_key = "{key}"\n{SAFE}'
        )
    )
    assert plain.model.release is None and sealed.model.release is not None
    assert digest(plain.model) != digest(sealed.model)  # the key is part of the rule file
    with pytest.raises(RuleFileError, match="funder_exact = true needs funder_key"):
        load(_write(tmp_path / "n", "nokey", f"[release]\nfunder_exact = true\n{SAFE}"))
    with pytest.raises(RuleFileError, match="funder_key"):
        load(_write(tmp_path / "b", "badkey", f'[release]\nfunder_key = "x25519:abc"\n{SAFE}'))
