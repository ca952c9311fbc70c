"""Every shipped rule file, every rendering, generated organisations with small counts,
history charts and amendment change lists: no hidden cell's true value is released
(issue 11; the search is tests/returns/leaks.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.compute.figures import Figures
from peerreport.ledger.changes import figure_changes
from peerreport.render.html import render_html
from peerreport.returns.build import build_return
from peerreport.returns.history import history
from peerreport.returns.model import SUPPRESSED, Return
from peerreport.returns.periods import Period, parse_period
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.samples.generator import SampleSpec
from peerreport.samples.writer import write_samples
from tests.helpers import make_workspace, messages, run_import
from tests.returns import leaks

RULES = Path(__file__).resolve().parents[2] / "rules"
SHIPPED = sorted(RULES.glob("*.toml"))
QUARTER = parse_period("FY2027-Q1")


def _store(engine: Engine, db_url: str, folder: Path, org: str, spec: SampleSpec) -> None:
    workspace = make_workspace(folder / org, db_url, code=org)
    for path in write_samples(folder / f"{org}-{spec.seed}.csv", spec):
        report = run_import(engine, workspace, path)
        assert report.stored, messages(report)


def _truth(engine: Engine, org: str, rule_file: RuleFile, period: Period) -> Figures:
    return evaluate(engine, org, rule_file, period.start, period.end).figures


@settings(
    max_examples=1,  # each example builds and renders every shipped file (~10 s)
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(1, 10**6), records=st.integers(10, 60))
def test_every_shipped_rule_file_and_rendering_on_small_organisations(
    engine: Engine, db_url: str, seed: int, records: int
) -> None:
    import tempfile

    org = f"H{seed:06d}"[:7]
    with tempfile.TemporaryDirectory() as folder:
        spec = SampleSpec(records=records, seed=seed, start=QUARTER.start, end=QUARTER.end)
        _store(engine, db_url, Path(folder), org, spec)
    renderings = leaks.renderings()
    catalogue = Catalogue([RULES])
    for path in SHIPPED:
        rule_file = load(path, catalogue)
        ret = build_return(engine, org, "Generated", rule_file, QUARTER)
        truth = _truth(engine, org, rule_file, QUARTER)
        found = leaks.problems(ret, truth, rule_file, renderings)
        assert not found, f"{path.name}, {records} records, seed {seed}:\n{leaks.described(found)}"


def test_every_shipped_rule_file_on_the_demo_data(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """The demo's first quarter (`peerreport demo`'s records, seed 2026)."""
    from peerreport.cli.demo_cmd import SAMPLE_SEED

    quarter = parse_period("FY2026-Q1")
    spec = SampleSpec(records=None, seed=SAMPLE_SEED, start=quarter.start, end=quarter.end)
    _store(engine, db_url, tmp_path, "TEST01", spec)
    cheap = {k: v for k, v in leaks.renderings().items() if k in ("json", "csv", "text")}
    catalogue = Catalogue([RULES])
    hidden = 0
    for path in SHIPPED:
        rule_file = load(path, catalogue)
        ret = build_return(engine, "TEST01", "Demo", rule_file, quarter)
        truth = _truth(engine, "TEST01", rule_file, quarter)
        hidden += len(leaks.hidden(ret, truth))
        found = leaks.problems(ret, truth, rule_file, cheap)
        assert not found, f"{path.name}:\n{leaks.described(found)}"
    assert hidden > 20


def test_history_charts_and_amendment_changes_release_no_hidden_value(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    org = "TEST02"
    start = dt.date(2026, 4, 1)
    _store(
        engine, db_url, tmp_path, org, SampleSpec(records=50, seed=5, start=start, end=QUARTER.end)
    )
    rule_file = load(RULES / "nz-peer-support-adults.toml", Catalogue([RULES]))
    first = build_return(engine, org, "Generated", rule_file, QUARTER)
    earlier = history(engine, org, "Generated", rule_file, QUARTER)
    assert earlier, "the records cover the quarter before"
    for past in earlier:
        found = leaks.problems(past, _truth(engine, org, rule_file, past.period), rule_file)
        assert not found, leaks.described(found)

    def with_charts(ret: Return) -> str:
        return leaks.visible_text(render_html(ret, earlier, True))

    truth = _truth(engine, org, rule_file, QUARTER)
    found = leaks.problems(first, truth, rule_file, {"html with history": with_charts}, earlier)
    assert not found, leaks.described(found)
    # An amendment: more records in the quarter (a second import, a new revision).
    _store(
        engine,
        db_url,
        tmp_path / "amendment",
        org,
        SampleSpec(records=12, seed=6, start=QUARTER.start, end=QUARTER.end),
    )
    second = build_return(engine, org, "Generated", rule_file, QUARTER)
    truth2 = _truth(engine, org, rule_file, QUARTER)
    changes = figure_changes(first, second)
    assert changes
    checked = 0
    for version, side, figures in ((first, "before", truth), (second, "after", truth2)):
        secret = {(m, key): value for m, key, value in leaks.hidden(version, figures)}
        for change in changes:
            figure = version.figure(change.measure)
            for cell in (figure.total, *figure.cells):
                label = cell.label()
                if label != change.cell or cell.status != SUPPRESSED:
                    continue
                text = getattr(change, side)
                assert text != secret.get((change.measure, cell.key), "\0"), change
                assert text == version.disclosure["symbol"], change
                checked += 1
    assert checked  # some change has a hidden side, so the search looked at one
