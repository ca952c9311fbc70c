"""A coordinator's workforce sheet as the payroll keeps it, through import and build.

Issue 10: a staff row covering the whole financial year counted 0 FTE in a
quarter, and the return then had NZPS-010 ("no peer support worker FTE is
recorded"), an error that blocks the export.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.returns.build import build_return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import Catalogue, load
from tests.helpers import make_workspace, messages, run_import, write_csv

RULES = Path(__file__).resolve().parents[2] / "rules"
HEADER = ["period_start", "period_end", "role", "paid_fte", "paid_headcount", "supervision_hours"]


def test_a_year_long_staff_row_counts_its_fte_in_every_quarter_of_a_built_return(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    rows = [
        HEADER,
        ["01/07/2026", "30/06/2027", "peer_support_worker", "0.8", "1", "36.5"],
        # A second worker from 16 August: 46 of the first quarter's 92 days.
        ["16/08/2026", "30/06/2027", "Peer support worker", "0.5", "1", ""],
    ]
    report = run_import(engine, workspace, write_csv(tmp_path / "workforce.csv", rows))
    assert report.stored, messages(report)
    rule_file = load(RULES / "nz-peer-support-adults.toml", Catalogue([RULES]))
    expected = {"FY2027-Q1": 0.8 + 0.25, "FY2027-Q2": 1.3, "FY2027-Q3": 1.3, "FY2027-Q4": 1.3}
    for label, fte in expected.items():
        ret = build_return(engine, "TEST01", "Test Peer Network", rule_file, parse_period(label))
        assert ret.figure("peer_support_fte").total.value == pytest.approx(fte), label
        assert "NZPS-010" not in {f.code for f in ret.findings}, label
        # 36.5 hours over the year's 365 days: a tenth of an hour a day.
        days = (ret.period.end - ret.period.start).days + 1
        supervision = ret.figure("peer_supervision_hours").total.value
        assert supervision == pytest.approx(round(days / 10, 1)), label
