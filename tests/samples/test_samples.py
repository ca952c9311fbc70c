"""The committed samples are exactly what the generator makes, and they import cleanly."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine

from peerreport.samples.generator import SampleSpec, activities, breakdowns, one_year
from peerreport.samples.writer import write_samples
from tests.helpers import make_workspace, messages, run_import

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
YEAR = one_year(2026, __import__("datetime").date(2025, 7, 1))


def test_committed_csv_samples_are_reproducible(tmp_path: Path) -> None:
    written = write_samples(tmp_path / "kowhai-2025-26.csv", YEAR)
    assert len(written) == 4
    for path in written:
        assert path.read_bytes() == (SAMPLES / path.name).read_bytes(), path.name


def test_committed_xlsx_sample_matches_the_generator(tmp_path: Path) -> None:
    fresh = write_samples(tmp_path / "year.xlsx", YEAR)[0]
    ours = load_workbook(fresh, read_only=True)
    committed = load_workbook(SAMPLES / "kowhai-2025-26.xlsx", read_only=True)
    assert (
        ours.sheetnames
        == committed.sheetnames
        == ["Activities", "Breakdowns", "Workforce", "Feedback"]
    )
    for name in ours.sheetnames:
        assert list(ours[name].iter_rows(values_only=True)) == list(
            committed[name].iter_rows(values_only=True)
        ), name


def test_generator_is_deterministic_and_lazy() -> None:
    spec = SampleSpec(records=10_000_000, seed=7)
    first = list(itertools.islice(activities(spec), 50))  # no waiting for ten million rows
    again = list(itertools.islice(activities(spec), 50))
    assert first == again
    other = list(itertools.islice(activities(SampleSpec(records=10_000_000, seed=8)), 50))
    assert other != first
    assert sum(1 for _ in activities(SampleSpec(records=1234, seed=1))) == 1234


def test_the_year_covers_one_financial_year() -> None:
    dates = [row["date"] for row in activities(YEAR)]
    assert min(dates).isoformat() == "2025-07-01"
    assert max(dates).isoformat() == "2026-06-30"


def test_committed_samples_import_cleanly(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", db_url)
    workbook = run_import(engine, ws, SAMPLES / "kowhai-2025-26.xlsx")
    assert workbook.stored, messages(workbook)[:5]
    added = workbook.counts.added
    assert added > 3000
    csv_files = sorted(SAMPLES.glob("kowhai-2025-26*.csv"))
    again = run_import(engine, ws, *csv_files)
    assert again.stored, messages(again)[:5]
    # The CSV files hold the same records as the workbook: nothing new, nothing changed.
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, added)


def test_generate_into_a_missing_folder_makes_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from peerreport.cli.main import cli

    out = tmp_path / "missing" / "folder" / "x.csv"
    result = CliRunner().invoke(
        cli, ["samples", "generate", "--records", "5", "--only", "activities", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_generate_under_a_file_is_a_plain_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from peerreport.cli.main import cli

    (tmp_path / "taken").write_text("not a folder", "utf-8")
    result = CliRunner().invoke(
        cli, ["samples", "generate", "--records", "5", "--out", str(tmp_path / "taken" / "x.csv")]
    )
    assert result.exit_code == 2, result.output
    assert "taken" in result.stderr and "Traceback" not in result.output


def test_cross_tabulated_counts_leave_every_earlier_row_as_it_was() -> None:
    """The generator's cross-tabulated rows come from a stream of their own: the rows it made
    before them (pinned by hash) are unchanged, and the new ones add up to the attendance."""
    rows = list(breakdowns(YEAR))
    earlier = [r for r in rows if not r.get("dimension2")]
    text = json.dumps(
        [[r["activity_id"], r["dimension"], r["category"], r["count"]] for r in earlier]
    )
    assert len(earlier) == 1169
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "cd143eafbe884679c97b47345d31abf19c16566f4e78722405285a54c10ca6c5"
    )
    crossed = [r for r in rows if r.get("dimension2")]
    assert crossed and {(r["dimension"], r["dimension2"]) for r in crossed} == {
        ("ethnicity", "age_band")
    }
    attendance = {a["activity_id"]: a["attendance"] for a in activities(YEAR)}
    by_activity: dict[str, int] = {}
    for r in crossed:
        by_activity[r["activity_id"]] = by_activity.get(r["activity_id"], 0) + r["count"]
    assert all(total == attendance[ident] for ident, total in by_activity.items())
