"""Hostile rule files: refused with a plain rule-file finding, so whatever lints also builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from peerreport.cli.main import cli
from peerreport.language.parser import MAX_ARITHMETIC_DEPTH, MAX_DEPTH
from peerreport.rulebook import Catalogue, lint, load
from tests.bundle.sample import build, records, store

WriteRules = Callable[..., Path]

MEASURE = """
period = "quarter"
year_start = "07-01"
[disclosure]
method = "suppress"
threshold = 3
[[measure]]
id = "m"
label = "M"
count = "activity"
unit = "sessions"
where = "{where}"
"""


def chain(op: str, terms: int) -> str:
    return f" {op} ".join(["kind = 'group'"] * terms)


def nested_sum(levels: int) -> str:
    return "(" * levels + "attendance" + " + 1)" * levels + " > 0"


def alternating(levels: int) -> str:
    """not (kind = 'group' or not (kind = 'group' or ...)): brackets at every level."""
    text = "kind = 'group'"
    for _ in range(levels // 2):
        text = f"not (kind = 'group' or {text})"
    return text


def codes(path: Path) -> list[tuple[str, str | None]]:
    return [(f.code, f.location.key) for f in lint(path, Catalogue([]))]


HOSTILE = {
    "an or chain of 500 terms": chain("or", 500),
    "3000 nested nots": "not " * 3000 + "community_session",
    f"{MAX_DEPTH + 2} nested nots": "not " * (MAX_DEPTH + 2) + "community_session",
    "a 30-digit number": "attendance > 123456789012345678901234567890",
    "a 5,000 character string": "kind = '" + "x" * 5000 + "'",
    "a 20,000 character expression": chain("or", 1300),
    "a long sum": nested_sum(MAX_ARITHMETIC_DEPTH + 1),
}


@pytest.mark.parametrize("where", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions_are_refused_by_lint_naming_the_key(
    write_rules: WriteRules, where: str
) -> None:
    path = write_rules(r=MEASURE.format(where=where))
    assert codes(path) == [("RUL-015", "measure[0].where")]
    result = CliRunner().invoke(cli, ["rules", "lint", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert len(result.output) < 2000  # a long expression is shown as a window, not in full


@pytest.mark.parametrize(
    "where",
    [
        chain("or", MAX_DEPTH),
        "not " * MAX_DEPTH + "community_session",
        alternating(MAX_DEPTH - 2),
        nested_sum(MAX_ARITHMETIC_DEPTH),
        "-" * (MAX_ARITHMETIC_DEPTH - 1) + "(attendance * 2) > 0",
        "attendance < 999999999999999",
        "programme != '" + "x" * 1000 + "'",
    ],
    ids=["or chain", "nots", "alternating", "sum", "negations", "15 digits", "long string"],
)
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_what_lints_at_the_limits_also_builds(
    write_rules: WriteRules, engine: Engine, where: str
) -> None:
    path = write_rules(r=MEASURE.format(where=where))
    assert codes(path) == []
    store(engine, records())
    ret = build(engine, load(path, Catalogue([])))
    assert [f.id for f in ret.figures] == ["m"]


def test_a_rule_file_over_1_mb_is_refused_unread(write_rules: WriteRules) -> None:
    path = write_rules(r=MEASURE.format(where="true") + "# " + "x" * 1_100_000 + "\n")
    assert codes(path) == [("RUL-015", None)]


def test_deeply_nested_toml_is_a_finding(write_rules: WriteRules) -> None:
    path = write_rules(r="x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert codes(path) == [("RUL-002", None)]


def test_the_current_folder_is_not_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile .toml dropped in a workspace breaks neither `rules list` nor a lookup by id."""
    folder = tmp_path / "ws"
    folder.mkdir()
    hostile = 'id = "hostile"\ntitle = "x"\nversion = "1"\n' + MEASURE.format(
        where=chain("or", 500)
    )
    (folder / "hostile.toml").write_text(hostile, "utf-8")
    (folder / "nested.toml").write_text("x = " + "[" * 50_000 + "]" * 50_000, "utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PEERREPORT_RULES_PATH", raising=False)
    runner = CliRunner()
    listed = runner.invoke(cli, ["rules", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert "hostile" not in listed.output and "example-peer-core" in listed.output
    by_id = runner.invoke(cli, ["rules", "show", "hostile"])
    assert by_id.exit_code == 2 and "no rule file 'hostile'" in by_id.output
    by_path = runner.invoke(cli, ["rules", "lint", "hostile.toml"])  # given explicitly: read
    assert by_path.exit_code == 1 and "RUL-015" not in by_path.output
    assert "more than" in by_path.output and "Traceback" not in by_path.output
