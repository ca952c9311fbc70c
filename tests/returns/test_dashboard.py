"""The funder's dashboard: providers × periods, each cell's state, the rates, the workbook.

Submissions are real: returns built from the records and filed through the
ledger (`ledger.submit`, at chosen times), decided with `lifecycle.record_event`.
The property (hypothesis, on SQLite and PostgreSQL): for random filing
patterns every cell's state is the one the pattern implies and the rates
count the cells.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, event

from peerreport.errors import UsageError
from peerreport.ledger import Submission, submit
from peerreport.ledger.lifecycle import record_event
from peerreport.render.dashboard_workbook import PERCENT_FORMAT, write_dashboard_xlsx
from peerreport.returns.build import build_return
from peerreport.returns.dashboard import (
    ACCEPTED,
    DUE,
    LATE,
    MISSING,
    NOT_YET_DUE,
    QUERIED,
    RECEIVED,
    STATE_LABELS,
    STATE_SENTENCES,
    STATES,
    Grid,
    GridKeeper,
    provider_grid,
)
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import RuleFile
from tests.bundle.sample import load_rules, write_rules

TODAY = dt.date(2026, 10, 10)
Q2, Q1, Q4 = parse_period("FY2027-Q2"), parse_period("FY2027-Q1"), parse_period("FY2026-Q4")
# FY2027-Q2 (Oct-Dec 2026) has not ended; FY2027-Q1 is due 20 October 2026 (not
# passed); FY2026-Q4 was due 20 July 2026.
FORMULA_NAME = '=HYPERLINK("http://example.com","Gamma")'
PROVIDERS = [
    ("ALPHA", "Alpha Peer Trust"),
    ("BETA", "Beta Whānau Support"),
    ("GAMMA", FORMULA_NAME),
]


def at(day: str) -> dt.datetime:
    """Noon (UTC) on an ISO day."""
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    """The sample quarterly rule file, due on the 20th of the month after each quarter."""
    path = write_rules(tmp_path / "rules")
    path.write_text(path.read_text("utf-8") + "\n[due]\nday = 20\nmonths_after = 1\n", "utf-8")
    return load_rules(path)


class Filer:
    """Builds each period's return once and files it for any provider, at a chosen time."""

    def __init__(self, engine: Engine, rule_file: RuleFile) -> None:
        self.engine, self.rule_file = engine, rule_file
        self.built: dict[str, Return] = {}

    def file(self, org: str, label: str, day: str, reason: str | None = None) -> Submission:
        """File `org`'s return for the period `label` on `day` (an amendment with a reason)."""
        period = parse_period(label)
        if label not in self.built:
            self.built[label] = build_return(self.engine, "BUILT", "Built", self.rule_file, period)
        ret = dataclasses.replace(self.built[label], organisation=org, organisation_name=org)
        return submit(self.engine, ret, reason, now=lambda: at(day)).submission

    def decide(self, entry: Submission, kind: str, day: str) -> None:
        """The funder accepts or queries `entry` on `day`."""
        note = "Please check the attendance figures" if kind == QUERIED else None
        record_event(self.engine, entry.org, entry.id, kind, note, now=lambda: at(day))


@pytest.fixture
def grid(engine: Engine, rule_file: RuleFile) -> Grid:
    """Alpha files on time (accepted; the next quarter queried), Beta files late (the next
    quarter on time, queried and amended), Gamma never files."""
    filer = Filer(engine, rule_file)
    filer.decide(filer.file("ALPHA", "FY2026-Q4", "2026-07-15"), ACCEPTED, "2026-07-30")
    filer.decide(filer.file("ALPHA", "FY2027-Q1", "2026-10-02"), QUERIED, "2026-10-03")
    filer.file("BETA", "FY2026-Q4", "2026-08-02")
    filer.decide(filer.file("BETA", "FY2027-Q1", "2026-10-05"), QUERIED, "2026-10-06")
    filer.file("BETA", "FY2027-Q1", "2026-10-08", reason="Corrected the attendance figures")
    return provider_grid(engine, PROVIDERS, rule_file, TODAY, count=2)


def test_each_cell_has_its_state(grid: Grid) -> None:
    assert [p.label for p in grid.periods] == ["FY2027-Q2", "FY2027-Q1", "FY2026-Q4"]
    assert grid.headings() == [
        "October to December 2026",
        "July to September 2026",
        "April to June 2026",
    ]
    assert grid.rule_id == "audit-test" and grid.title == "Audit test return"
    states = {org: [c.state for c in grid.row(org)] for org, _ in grid.providers}
    assert states == {
        "ALPHA": [NOT_YET_DUE, QUERIED, ACCEPTED],
        "BETA": [NOT_YET_DUE, RECEIVED, LATE],
        "GAMMA": [NOT_YET_DUE, DUE, MISSING],
    }
    amended = grid.cell("BETA", Q1)
    assert (amended.version, amended.submitted_at) == (2, at("2026-10-08"))
    assert amended.first_submitted_at == at("2026-10-05") and not amended.late
    late = grid.cell("BETA", Q4)
    assert late.due == dt.date(2026, 7, 20) and late.late and late.version == 1
    assert (late.label, late.sentence) == ("Received late", STATE_SENTENCES[LATE])
    missing = grid.cell("GAMMA", Q4)
    assert (missing.submission_id, missing.version, missing.submitted_at) == (None, None, None)
    assert missing.label == "Missing" and grid.cell("GAMMA", Q2).due == dt.date(2027, 1, 20)


def test_rates_count_the_cells(grid: Grid) -> None:
    q4 = grid.rates["FY2026-Q4"]
    assert (q4.expected, q4.received, q4.on_time) == (3, 2, 1)
    assert q4.completeness == 2 / 3 and q4.timeliness == 1 / 3
    q1 = grid.rates["FY2027-Q1"]  # due date not passed: nothing expected, two in already
    assert (q1.expected, q1.received, q1.on_time) == (0, 2, 2)
    assert q1.completeness is None and q1.timeliness is None
    q2 = grid.rates["FY2027-Q2"]
    assert (q2.expected, q2.received, q2.completeness) == (0, 0, None)


def test_filter_keeps_rows_by_state_and_provider_text(grid: Grid) -> None:
    assert [p[0] for p in grid.filtered(state=MISSING).providers] == ["GAMMA"]
    assert [p[0] for p in grid.filtered(state=QUERIED).providers] == ["ALPHA"]
    assert [p[0] for p in grid.filtered(state=NOT_YET_DUE).providers] == [
        "ALPHA",
        "BETA",
        "GAMMA",
    ]
    assert [p[0] for p in grid.filtered(provider_text="whānau").providers] == ["BETA"]
    assert [p[0] for p in grid.filtered(provider_text="  alp ").providers] == ["ALPHA"]
    assert [p[0] for p in grid.filtered(provider_text="hyperlink").providers] == ["GAMMA"]
    assert grid.filtered(state=ACCEPTED, provider_text="beta").providers == ()
    kept = grid.filtered(state=LATE)
    assert set(kept.cells) == {("BETA", p.label) for p in grid.periods}
    q4 = kept.rates["FY2026-Q4"]  # the rates of the rows kept
    assert (q4.expected, q4.received, q4.on_time, q4.timeliness) == (1, 1, 0, 0.0)
    assert grid.filtered() == grid
    with pytest.raises(UsageError, match="'lost' is not a state"):
        grid.filtered(state="lost")


def test_the_ledger_is_read_in_two_queries_however_many_providers(
    engine: Engine, grid: Grid, rule_file: RuleFile
) -> None:
    many = [*PROVIDERS, *((f"P{i:04d}", f"Provider {i}") for i in range(1200))]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        big = provider_grid(engine, many, rule_file, TODAY, count=2)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2 * 3  # 1203 providers: three chunks of at most 500
    assert len(big.providers) == 1203 and big.rates["FY2026-Q4"].expected == 1203
    assert big.cell("BETA", Q4).state == LATE and big.cell("P0007", Q4).state == MISSING
    once = provider_grid(engine, [*PROVIDERS, ("ALPHA", "Again")], rule_file, TODAY, count=2)
    assert once.providers == tuple(PROVIDERS)


def test_a_kept_grid_is_worked_out_again_once_the_ledger_changes(
    engine: Engine, rule_file: RuleFile
) -> None:
    filer, keeper = Filer(engine, rule_file), GridKeeper()
    entry = filer.file("ALPHA", "FY2026-Q4", "2026-07-15")
    first = keeper.grid(engine, PROVIDERS, rule_file, TODAY, scope="F1")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        again = keeper.grid(engine, PROVIDERS, rule_file, TODAY, scope="F1")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert again is first and len(statements) == 1  # only the ledger's mark is read
    assert keeper.grid(engine, PROVIDERS, rule_file, TODAY, scope="F2") is not first
    assert keeper.grid(engine, PROVIDERS[:2], rule_file, TODAY, scope="F1") is not first
    filer.decide(entry, ACCEPTED, "2026-07-30")  # an event
    decided = keeper.grid(engine, PROVIDERS, rule_file, TODAY, scope="F1")
    assert decided is not first and decided.cell("ALPHA", Q4).state == ACCEPTED
    filer.file("BETA", "FY2026-Q4", "2026-08-02")  # a submission
    filed = keeper.grid(engine, PROVIDERS, rule_file, TODAY, scope="F1")
    assert filed.cell("BETA", Q4).state == LATE
    tomorrow = keeper.grid(engine, PROVIDERS, rule_file, TODAY + dt.timedelta(days=1), scope="F1")
    assert tomorrow is not filed and tomorrow.today == TODAY + dt.timedelta(days=1)


def test_the_workbook_shows_states_rates_and_no_formula(grid: Grid, tmp_path: Path) -> None:
    path = write_dashboard_xlsx(grid, tmp_path / "out" / "dashboard.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Dashboard", "States"]
    sheet = book["Dashboard"]
    assert sheet["A1"].value == (
        "Audit test return (audit-test): returns by provider, as at 10 October 2026"
    )
    header = [c.value for c in sheet[2]]
    assert header == [
        "Provider",
        "Code",
        "October to December 2026",
        "July to September 2026",
        "April to June 2026",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3, max_row=5)]
    assert rows == [
        ["Alpha Peer Trust", "ALPHA", "Not yet due", "Queried", "Accepted"],
        ["Beta Whānau Support", "BETA", "Not yet due", "Received", "Received late"],
        ["'" + FORMULA_NAME, "GAMMA", "Not yet due", "Due", "Missing"],
    ]
    assert sheet["A5"].data_type == "s"
    assert sheet["E4"].fill.fgColor.rgb.endswith("FCE4D6")
    assert sheet["E5"].fill.fgColor.rgb != sheet["E3"].fill.fgColor.rgb
    assert sheet["A6"].value is None  # a blank row before the rates
    assert [c.value for c in sheet[7]][:2] == ["Completeness", None]
    assert [c.value for c in sheet[8]][:2] == ["On time", None]
    assert sheet["C7"].value == "not due yet" and sheet["D7"].value == "not due yet"
    assert sheet["E7"].value == pytest.approx(2 / 3)
    assert sheet["E8"].value == pytest.approx(1 / 3)
    assert sheet["E7"].number_format == PERCENT_FORMAT == sheet["E8"].number_format
    assert sheet.freeze_panes == "C3"
    assert sheet.column_dimensions["A"].width >= len("Beta Whānau Support")
    assert sheet.column_dimensions["C"].width >= len("October to December 2026")
    for row in sheet.iter_rows():
        for cell in row:
            assert not (isinstance(cell.value, str) and cell.value.startswith("="))
            assert cell.data_type != "f"
    states = book["States"]
    assert [c.value for c in states[2]] == ["State", "Meaning"]
    listed = [(r[0].value, r[1].value) for r in states.iter_rows(min_row=3, max_row=9)]
    assert listed == [(STATE_LABELS[s], STATE_SENTENCES[s]) for s in STATES]
    assert states["A10"].value == "Completeness" and states["A11"].value == "On time"


PATTERN = st.tuples(
    st.sampled_from(["none", "on_time", "late"]),
    st.sampled_from(["none", ACCEPTED, QUERIED, "queried_then_amended"]),
)
# When a filing of each quarter is on time or late; the due window's quarter
# (FY2027-Q1, due 20 October) can only have been filed on time so far.
FILED = {
    "FY2026-Q4": {"on_time": "2026-07-10", "late": "2026-08-15"},
    "FY2027-Q1": {"on_time": "2026-10-02", "late": "2026-10-02"},
}
# An answer to a query comes later: for FY2026-Q4 after its due date, so an
# on-time return amended late stays on time (its first version counts).
AMENDED = {"FY2026-Q4": "2026-09-01", "FY2027-Q1": "2026-10-09"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(patterns=st.lists(st.tuples(PATTERN, PATTERN), min_size=1, max_size=4))
@example(patterns=[(("on_time", "queried_then_amended"), ("none", "none"))])
def test_rates_agree_with_random_filings(
    engine: Engine, rule_file: RuleFile, patterns: list[tuple[tuple[str, str], ...]]
) -> None:
    filer = Filer(engine, rule_file)
    run = uuid.uuid4().hex[:8]
    providers = [(f"{run}-{i}", f"Provider {i}") for i in range(len(patterns))]
    wanted = {}
    for (org, _), pattern in zip(providers, patterns, strict=True):
        for label, (when, decision) in zip(FILED, pattern, strict=True):
            wanted[(org, label)] = _file(filer, org, label, when, decision)
    grid = provider_grid(engine, providers, rule_file, TODAY, count=2)
    for (org, label), state in wanted.items():
        assert grid.cells[(org, label)].state == state
    for period in grid.periods:
        cells = [grid.cell(org, period) for org, _ in providers]
        rates = grid.rates[period.label]
        expected = [c for c in cells if c.due is not None and c.due < TODAY]
        assert rates.expected == len(expected)
        assert rates.received == sum(1 for c in cells if c.state not in (NOT_YET_DUE, DUE, MISSING))
        assert rates.on_time == rates.received - sum(1 for c in cells if c.received and c.late)
        if rates.expected:
            received = sum(1 for c in expected if c.received)
            assert rates.completeness is not None and rates.timeliness is not None
            assert round(rates.completeness * rates.expected) == received
            assert rates.timeliness <= rates.completeness <= 1
        else:
            assert rates.completeness is None and rates.timeliness is None


def _file(filer: Filer, org: str, label: str, when: str, decision: str) -> str:
    """File one provider's period as the pattern says; the state the dashboard should show."""
    if when == "none":
        return MISSING if label == "FY2026-Q4" else DUE
    day = FILED[label][when]
    entry = filer.file(org, label, day)
    if decision == "none":
        return LATE if entry.late else RECEIVED
    filer.decide(entry, ACCEPTED if decision == ACCEPTED else QUERIED, day)
    if decision == "queried_then_amended":
        filer.file(org, label, AMENDED[label], reason="Answered the query")
        return LATE if entry.late else RECEIVED
    return decision
