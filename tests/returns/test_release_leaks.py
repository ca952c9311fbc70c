"""No rendering of a return built from a shipped rule file shows a hidden cell's true value.

A small organisation (a generated quarter of few records, so many cells are
small) is built with every shipped rule file; `leaks.problems` searches the
return, its findings and record counts, and every rendering (issue 11).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.returns.build import build_return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import Catalogue, load
from peerreport.samples.generator import SampleSpec
from peerreport.samples.writer import write_samples
from tests.helpers import make_workspace, messages, run_import
from tests.returns import leaks

RULES = Path(__file__).resolve().parents[2] / "rules"
# A sample of the shipped files here (counts, breakdowns, derived figures, decimals,
# min/max, checks that print figures); every file, every rendering and generated
# organisations run in tests/reliability/test_released_values.py.
SAMPLED = (
    "nz-peer-support-adults.toml",
    "peer-workforce.toml",
    "nz-consumer-phone-service.toml",
    "peer-values.toml",
    "au-community-sessions.toml",
)
QUARTER = parse_period("FY2027-Q1")
RENDERINGS = ("json", "csv", "text")


def store_sample(engine: Engine, db_url: str, folder: Path, seed: int, records: int) -> None:
    """A generated quarter of `records` activities (with their breakdowns, staff, feedback)."""
    workspace = make_workspace(folder / "ws", db_url)
    log = folder / "log.csv"
    spec = SampleSpec(records=records, seed=seed, start=QUARTER.start, end=QUARTER.end)
    paths = write_samples(log, spec)
    for path in paths:
        report = run_import(engine, workspace, path)
        assert report.stored, messages(report)


def test_shipped_rule_files_release_no_hidden_value(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    store_sample(engine, db_url, tmp_path, seed=11, records=40)
    renderings = {k: v for k, v in leaks.renderings().items() if k in RENDERINGS}
    catalogue = Catalogue([RULES])
    hidden = 0
    for name in SAMPLED:
        path = RULES / name
        rule_file = load(path, catalogue)
        ret = build_return(engine, "TEST01", "Test", rule_file, QUARTER)
        truth = evaluate(engine, "TEST01", rule_file, QUARTER.start, QUARTER.end).figures
        hidden += len(leaks.hidden(ret, truth))
        found = leaks.problems(ret, truth, rule_file, renderings)
        assert not found, f"{path.name}:\n{leaks.described(found)}"
        rounded = leaks.with_method(rule_file, "rr3")
        ret = build_return(engine, "TEST01", "Test", rounded, QUARTER)
        found = leaks.problems(ret, truth, rounded, renderings)
        assert not found, f"{path.name} under rr3:\n{leaks.described(found)}"
    assert hidden > 10  # the search had hidden cells to look for


def test_the_search_finds_a_value_a_renderer_would_leak(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """The search is not vacuous: a message with the true value, and a renderer adding
    up the shown cells, are both caught."""
    store_sample(engine, db_url, tmp_path, seed=11, records=40)
    rule_file = load(RULES / "nz-peer-support-adults.toml", Catalogue([RULES]))
    ret = build_return(engine, "TEST01", "Test", rule_file, QUARTER)
    truth = evaluate(engine, "TEST01", rule_file, QUARTER.start, QUARTER.end).figures
    released = leaks.numbers(ret.to_json())
    secret = [s for s in leaks.hidden(ret, truth) if s[2] not in released]
    assert secret
    measure, key, value = secret[0]

    def leaky(r: object) -> str:
        return f"{measure} {key}: {value}" if r is ret else ""

    found = leaks.problems(ret, truth, rule_file, {"leaky": leaky})
    assert found == [f"leaky: shows {value}, a hidden figure's true value"]
