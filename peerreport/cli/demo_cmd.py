"""`peerreport demo`: the whole job on sample data, in a fresh workspace."""

from __future__ import annotations

import time
from pathlib import Path

import click

SAMPLE_SEED = 2026
DEMO_RULES = "nz-peer-support-adults"
DEMO_PERIOD = "FY2026-Q4"  # April-June 2026: the last quarter of the sample year


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
    imports it, builds the adult peer support return (MHC36F) for the last
    quarter, checks it, and exports it as XLSX, CSV, JSON, an HTML review
    page and a tamper-evident bundle.

    \b
    Example:
      peerreport demo
      peerreport demo --out demo-workspace
    """
    import datetime as dt
    import tempfile

    from peerreport.bundle import write_bundle
    from peerreport.cli.build_cmd import render_text
    from peerreport.intake import ImportSettings, import_files
    from peerreport.render import export_return
    from peerreport.returns.build import build_return
    from peerreport.returns.history import history
    from peerreport.returns.periods import parse_period
    from peerreport.rulebook import load
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
    click.echo(f"2. Wrote a year of synthetic records (no real people): {log.name}")

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
    with engine.connect() as conn:
        summary = records_summary(conn, workspace.provider_code)
    click.echo(
        f"3. Imported it: {report.counts} ({summary.activities} activities, "
        f"{summary.breakdowns} breakdown counts, {summary.workforce} workforce entries, "
        f"{summary.feedback} feedback tallies)"
    )

    rule_file = load(DEMO_RULES)
    period = parse_period(DEMO_PERIOD, rule_file.model.year_start or "07-01")
    ret = build_return(
        engine, workspace.provider_code, workspace.organisation_name, rule_file, period
    )
    click.echo(
        f"4. Built the return {rule_file.id} for {period.label} "
        f"({period.start} to {period.end}) and checked it:\n"
    )
    click.echo(render_text(ret))

    earlier = history(
        engine, workspace.provider_code, workspace.organisation_name, rule_file, period
    )
    out_dir = root / "returns"
    written = export_return(
        ret,
        out_dir,
        ["xlsx", "csv", "json", "html"],
        rule_file=rule_file,
        history=earlier,
        draft=ret.has_errors,
    )
    bundle = write_bundle(ret, written, out_dir, draft=ret.has_errors)
    engine.dispose()
    html = next(p for p in written if p.suffix == ".html")
    click.echo(f"\n5. Exported it{' (as a DRAFT: it has errors)' if ret.has_errors else ''}:")
    for path in written:
        click.echo(f"   {path}")
    click.echo(f"\n   Review page: {html}")
    click.echo(f"   Bundle:      {bundle}")
    exe = _command_name()
    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s. Try it yourself:")
    click.echo(f"  cd {root}")
    click.echo(f"  {exe} records summary")
    click.echo(f"  {exe} build {DEMO_RULES} --period FY2026-Q3")
    click.echo(f"  {exe} audit verify {bundle.relative_to(root)}")
    click.echo(f"  {exe} submit {DEMO_RULES} --period {DEMO_PERIOD}")


def _command_name() -> str:
    """`peerreport` if it is on the PATH, else the full path of this one (e.g. in a venv)."""
    import shutil
    import sys

    here = Path(sys.executable).with_name("peerreport")
    on_path = shutil.which("peerreport")
    if on_path and Path(on_path).resolve() == here.resolve():
        return "peerreport"
    return str(here) if here.exists() else "peerreport"
