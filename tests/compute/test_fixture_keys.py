"""A rule file's fixture with two records of one type sharing their natural key.

The store keeps one record per natural key (a unique key on both databases),
so such a fixture once stopped with an internal error. It is now a plain
problem naming the rule file and the rows, for every record type. Fixtures
run in an in-memory SQLite database; the second test pins, on both databases,
that the pairs reported are exactly the ones the databases' unique keys refuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from peerreport.cli.main import cli
from peerreport.compute.fixtures import run_fixture, run_fixtures
from peerreport.records.models import RECORD_TYPES
from peerreport.rulebook import RuleFile
from peerreport.store.records import ensure_organisation, save_records

QUARTER = ("2026-07-01", "2026-09-30")
ACTIVITY = {"activity_id": "A1", "date": "2026-07-10", "kind": "group", "attendance": 5}
#: For each record type: two rows with the same natural key, the words that key is shown in,
#: and the key field that tells the rows apart when it differs.
SAME: dict[str, tuple[dict[str, Any], dict[str, Any], str, tuple[str, Any]]] = {
    "activities": (
        ACTIVITY,
        {**ACTIVITY, "attendance": 3},
        "the same activity (activity_id 'A1')",
        ("activity_id", "A2"),
    ),
    "breakdowns": (
        {"activity_id": "A1", "dimension": "ethnicity", "category": "maori", "count": 2},
        {"activity_id": "A1", "dimension": "ethnicity", "category": "maori", "count": 3},
        "the same breakdown (activity_id 'A1', dimension 'ethnicity', category 'maori')",
        ("category", "european"),
    ),
    "workforce": (
        {
            "period_start": QUARTER[0],
            "period_end": QUARTER[1],
            "role": "peer_support_worker",
            "paid_fte": 1.0,
        },
        {
            "period_start": QUARTER[0],
            "period_end": QUARTER[1],
            "role": "peer_support_worker",
            "paid_fte": 0.5,
        },
        "the same workforce entry (period_start 2026-07-01, period_end 2026-09-30, "
        "role 'peer_support_worker', programme none)",
        ("programme", "Youth"),
    ),
    "feedback": (
        {
            "period_start": QUARTER[0],
            "period_end": QUARTER[1],
            "question": "I feel more hopeful",
            "response": "1",
            "count": 1,
        },
        {
            "period_start": QUARTER[0],
            "period_end": QUARTER[1],
            "question": "I feel more hopeful",
            "response": "1",
            "count": 4,
        },
        "the same feedback tally (period_start 2026-07-01, period_end 2026-09-30, programme "
        "none, question 'I feel more hopeful', response '1')",
        ("response", "2"),
    ),
}


def _rows(kind: str, first: dict[str, Any], second: dict[str, Any]) -> dict[str, list[Any]]:
    """The fixture's records: the two rows, after the activity breakdowns need."""
    rows: dict[str, list[Any]] = {kind: [first, second]}
    if kind == "breakdowns":
        rows["activities"] = [ACTIVITY]
    return rows


def _rule_text(rows: dict[str, list[Any]], records: tuple[str, ...] = ()) -> str:
    # JSON arrays of objects are not TOML; TOML inline tables are written out by hand.
    def table(row: dict[str, Any]) -> str:
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in row.items()) + " }"

    lines = [
        'id = "keys"',
        'title = "Keys"',
        'version = "1"',
        "[[measure]]",
        'id = "groups"',
        'count = "activity"',
        "[[fixture]]",
        'name = "two rows, one record"',
        f"period = {json.dumps(list(QUARTER))}",
        f"records = {json.dumps(list(records))}",
    ]
    for kind, found in rows.items():
        lines.append(f"{kind} = [{', '.join(table(r) for r in found)}]")
    lines += ["[fixture.expect]", "figures = {}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", list(SAME))
def test_two_rows_with_one_natural_key_are_a_plain_problem_naming_the_file_and_rows(
    kind: str, rule_file: Callable[[str], RuleFile], tmp_path: Path
) -> None:
    first, second, words, _ = SAME[kind]
    loaded = rule_file(_rule_text(_rows(kind, first, second)).split("\n", 3)[3])
    [result] = run_fixtures(loaded)
    assert not result.passed and result.evaluation is None
    [problem] = result.problems
    assert problem.startswith(f"records: r.toml: {kind}[0] and {kind}[1] are {words}: ")
    assert "is identified by its" in problem and "IntegrityError" not in problem


def test_the_cli_reports_it_and_exits_1_never_an_internal_error(tmp_path: Path) -> None:
    first, second, words, _ = SAME["workforce"]
    (tmp_path / "keys.toml").write_text(_rule_text(_rows("workforce", first, second)), "utf-8")
    done = CliRunner().invoke(cli, ["rules", "test", str(tmp_path / "keys.toml")])
    assert done.exit_code == 1, done.output
    assert "FAIL keys: two rows, one record" in done.output
    assert f"records: keys.toml: workforce[0] and workforce[1] are {words}" in done.output
    assert "internal error" not in done.output


def test_rows_in_a_record_file_are_named_by_file_and_place(tmp_path: Path) -> None:
    (tmp_path / "acts.csv").write_text(
        "activity_id,date,kind,attendance\nA1,10/07/2026,group,5\nA2,11/07/2026,group,4\n"
        "A1,12/07/2026,group,3\n",
        "utf-8",
    )
    inline = {"activity_id": "A2", "date": "2026-07-11", "kind": "group", "attendance": 4}
    path = tmp_path / "keys.toml"
    path.write_text(_rule_text({"activities": [inline]}, ("acts.csv",)), "utf-8")
    from peerreport.rulebook import Catalogue, load

    loaded = load(path, Catalogue([tmp_path]))
    [result] = run_fixtures(loaded)
    assert result.problems == (
        "records: keys.toml: activities[0] and activity 2 of acts.csv are the same activity "
        "(activity_id 'A2'): an activity is identified by its activity_id, so change one of "
        "them or merge them into one; keys.toml: activity 1 of acts.csv and activity 3 of "
        "acts.csv are the same activity (activity_id 'A1'): an activity is identified by its "
        "activity_id, so change one of them or merge them into one",
    )


def _unique_violations() -> tuple[type[Exception], ...]:
    """What a database's unique key raises: SQLAlchemy's IntegrityError, or psycopg's own
    UniqueViolation when the store writes to PostgreSQL with COPY."""
    try:
        from psycopg.errors import UniqueViolation
    except ImportError:
        return (IntegrityError,)
    return (IntegrityError, UniqueViolation)


@pytest.mark.parametrize("kind", list(SAME))
def test_what_is_reported_is_what_the_databases_refuse(
    kind: str, engine: Engine, rule_file: Callable[[str], RuleFile]
) -> None:
    first, second, _, (field, other) = SAME[kind]
    apart = {**second, field: other}

    def store(rows: dict[str, list[Any]]) -> None:
        models = [
            RECORD_TYPES[k].model_validate(r)
            for k in ("activities", *(k for k in rows if k != "activities"))
            for r in rows.get(k, [])
        ]
        with engine.begin() as conn:
            ensure_organisation(conn, "KEYS01", "Keys")
            save_records(conn, "KEYS01", models, b"secret")

    with pytest.raises(_unique_violations()):  # the same key: this database refuses the pair
        store(_rows(kind, first, second))
    store(_rows(kind, first, apart))  # one key field apart: both are kept
    reported = rule_file(_rule_text(_rows(kind, first, second)).split("\n", 3)[3])
    assert run_fixture(reported, reported.model.fixture[0]).problems[0].startswith("records:")
    kept = rule_file(_rule_text(_rows(kind, first, apart)).split("\n", 3)[3])
    assert not any(p.startswith("records:") for p in run_fixtures(kept)[0].problems)
