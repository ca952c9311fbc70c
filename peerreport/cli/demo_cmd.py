"""`peerreport demo`: the whole job on sample data, in a fresh workspace."""

from __future__ import annotations

import time
from pathlib import Path

import click

SAMPLE_SEED = 2026


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo workspace (default: a new temporary folder).",
)
def demo(out: Path | None) -> None:
    """Run the whole job on a year of synthetic records, in a fresh workspace.

    Creates a workspace for an invented peer-run organisation (SQLite),
    writes its activity log for the 2025/26 financial year as a workbook,
    imports it and prints what was stored.

    \b
    Example:
      peerreport demo
      peerreport demo --out demo-workspace
    """
    import datetime as dt
    import tempfile

    from peerreport.cli.records_cmd import render_month_table
    from peerreport.intake import ImportSettings, import_files
    from peerreport.samples.generator import ORGANISATION, PROVIDER_CODE, one_year
    from peerreport.samples.writer import write_samples
    from peerreport.store.database import open_engine, upgrade
    from peerreport.store.summary import records_summary
    from peerreport.workspace import write_workspace

    started = time.perf_counter()
    root = out if out is not None else Path(tempfile.mkdtemp(prefix="peerreport-demo-"))
    workspace = write_workspace(root, ORGANISATION, PROVIDER_CODE)
    engine = open_engine(workspace.database_url)
    upgrade(engine)
    click.echo(f"1. Created a workspace for {ORGANISATION} ({PROVIDER_CODE}) in {root}")

    log = root / "activity-log-2025-26.xlsx"
    write_samples(log, one_year(SAMPLE_SEED, dt.date(2025, 7, 1)))
    click.echo(f"2. Wrote a year of synthetic records: {log}")

    settings = ImportSettings(
        org=workspace.provider_code,
        org_name=workspace.organisation_name,
        date_order=workspace.date_order,
        token_secret=workspace.token_secret(),
    )
    report = import_files(engine, [log], settings)
    if not report.stored:
        for problem in report.files[0].problems[:20]:
            click.echo(f"   {problem}", err=True)
        raise click.ClickException("the sample did not import; this is a bug in peerreport")
    click.echo(f"3. Imported it: {report.counts}")

    with engine.connect() as conn:
        summary = records_summary(conn, workspace.provider_code)
    engine.dispose()
    click.echo("4. What is stored now (activities by month and kind):\n")
    click.echo(render_month_table(summary))
    click.echo(
        f"\n   Breakdown counts: {summary.breakdowns}   member tokens (hashed): "
        f"{summary.member_tokens}   workforce entries: {summary.workforce}   "
        f"feedback tallies: {summary.feedback}"
    )
    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s. Try it yourself:")
    click.echo(f"  cd {root}")
    click.echo("  peerreport records summary")
    click.echo(f"  peerreport import {log.name}     # again: nothing changes")
