"""An earlier period built for the trend charts has the same figures and counts as a full build."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from peerreport.filing import choose
from peerreport.intake import import_files
from peerreport.returns.build import build_return
from tests.helpers import ACTIVITY_HEADER, make_workspace, settings_for, write_csv


def test_figures_only_keeps_the_figures_and_counts(engine: Engine, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws", str(engine.url.render_as_string(False)))
    rows = [ACTIVITY_HEADER] + [
        [f"G-{i}", f"{1 + i:02d}/05/2026", "group", 3 + i, "Groups", ""] for i in range(12)
    ]
    report = import_files(engine, [write_csv(tmp_path / "a.csv", rows)], settings_for(workspace))
    assert report.stored
    rule_file, period = choose("nz-peer-support-adults", "FY2026-Q4")
    full = build_return(engine, "TEST01", "Test", rule_file, period)
    quick = build_return(engine, "TEST01", "Test", rule_file, period, figures_only=True)
    assert quick.figures == full.figures
    assert quick.record_counts == full.record_counts
    # Under suppression a return leaves its record counts out: beside the figures they
    # would give differences of counts (all activities minus direct ones).
    assert quick.record_counts == {}
    assert full.records_digest.startswith("sha256:") and quick.records_digest == ""
    assert not any(f.code == "RET-010" for f in quick.findings)
