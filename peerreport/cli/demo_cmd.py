"""`peerreport demo`: the whole job on sample data, in a fresh workspace."""

from __future__ import annotations

import time
from pathlib import Path

import click

SAMPLE_SEED = 2026
DEMO_RULES = "nz-peer-support-adults"
DEMO_PERIOD = "FY2026-Q4"  # April-June 2026: the last quarter of the sample year
CONTACT_ROLE = "Service coordinator"  # the demo workspace's [organisation] contact_role


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo workspace (default: a new temporary folder).",
)
@click.option(
    "--serve",
    "then_serve",
    is_flag=True,
    help="Then open the demo workspace in your web browser (as `peerreport serve` does).",
)
@click.option("--no-browser", is_flag=True, help="With --serve: print the address only.")
def demo(out: Path | None, then_serve: bool, no_browser: bool) -> None:
    """Run the whole job on a year of synthetic records, in a fresh workspace.

    Creates a workspace for an invented peer-run organisation (SQLite),
    writes its activity log for the 2025/26 financial year as a workbook,
    imports it, builds the adult peer support return (MHC36F) for the last
    quarter, checks it, writes review copies (XLSX, CSV, JSON and an HTML
    review page), and submits it: version 1 goes into the ledger and the
    tamper-evident bundle to send to the funder is written to submissions/.

    \b
    Example:
      peerreport demo
      peerreport demo --out demo-workspace
      peerreport demo --serve              # then open it in the browser
    """
    import datetime as dt
    import tempfile

    from peerreport.bundle import load_private_key
    from peerreport.filing import file_return
    from peerreport.intake import ImportSettings, import_files
    from peerreport.render import export_return
    from peerreport.render.text import render_text
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
    workspace = write_workspace(
        root, ORGANISATION, PROVIDER_CODE, returns=(DEMO_RULES,), contact_role=CONTACT_ROLE
    )
    engine = open_engine(workspace.database_url)
    upgrade(engine)
    click.echo(f"1. Created a workspace for {ORGANISATION} ({PROVIDER_CODE}) in {root}")

    log = root / "activity-log-2025-26.xlsx"
    write_samples(log, one_year(SAMPLE_SEED, dt.date(2025, 7, 1)))
    click.echo(f"2. Wrote a year of synthetic records (no real people): {log.name}")

    settings = ImportSettings.for_workspace(workspace)
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
        engine,
        workspace.provider_code,
        workspace.organisation_name,
        rule_file,
        period,
        contact_role=workspace.contact_role,
    )
    click.echo(
        f"4. Built the return {rule_file.id} for {period.label} "
        f"({period.start} to {period.end}) and checked it:\n"
    )
    click.echo(render_text(ret))

    earlier = history(
        engine, workspace.provider_code, workspace.organisation_name, rule_file, period
    )
    review = root / "review"
    written = export_return(
        ret,
        review,
        ["xlsx", "csv", "json", "html"],
        rule_file=rule_file,
        history=earlier,
        draft=ret.has_errors,
    )
    html = next(p for p in written if p.suffix == ".html")
    click.echo(
        f"\n5. Wrote review copies{' (as a DRAFT: it has errors)' if ret.has_errors else ''} "
        "to read before filing (they do not file anything):"
    )
    for path in written:
        click.echo(f"   {path}")
    exe = _command_name()
    if ret.has_errors:
        engine.dispose()
        raise click.ClickException("the sample return has errors; this is a bug in peerreport")
    key = load_private_key(workspace.key_path)
    filed = file_return(engine, ret, rule_file, root / "submissions", key=key, history=earlier)
    engine.dispose()
    entry = filed.submission
    bundle = filed.bundle_path.relative_to(root)
    click.echo(
        f"\n6. Submitted it: version {entry.version} is recorded in the ledger (id {entry.id}), "
        f"records revision {entry.records_revision}."
    )
    if entry.due_date is not None:
        click.echo(
            f"   It was due {entry.due_date:%d %B %Y}"
            + (": late, and the lateness is recorded." if entry.late else ".")
        )
    click.echo(f"   The one file to send to the funder: {filed.bundle_path}")
    click.echo(f"   Review page: {html}")
    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s. Try it yourself:")
    click.echo(f"  cd {root}")
    click.echo(f"  {exe} returns list                      # the ledger: versions and states")
    click.echo(f"  {exe} audit verify {bundle}   # VERIFIED: signed with this workspace's key")
    click.echo(f"  {exe} imports list                      # every import, by file and SHA-256")
    click.echo(f"  {exe} records history {_an_activity(root, workspace.provider_code, period)}")
    click.echo("  # correct the records, then file an amendment (a new version, with a reason):")
    click.echo(
        f"  {exe} records withdraw {_an_activity(root, workspace.provider_code, period)} "
        '--reason "entered twice"'
    )
    click.echo(
        f'  {exe} submit {DEMO_RULES} --period {DEMO_PERIOD} --reason "a duplicate session '
        'was withdrawn"'
    )
    click.echo(f"  {exe} audit verify {bundle}   # VERIFIED — superseded by version 2")
    click.echo(f"  {exe} serve                             # the same, in your web browser")
    if then_serve:
        _serve(root, open_browser=not no_browser)


def _serve(root: Path, open_browser: bool) -> None:
    """Open the demo workspace in the web application until Ctrl+C."""
    from peerreport.web.config import WebConfig
    from peerreport.web.server import serve

    def announce(address: str) -> None:
        click.echo(f"\npeerreport is running for the demo workspace in {root}.")
        click.echo("Open this address in your browser (it holds a secret; do not share it):")
        click.echo(f"  {address}")
        click.echo("Press Ctrl+C to stop.")

    config = WebConfig(base_dir=root.parent, workspace_dir=root, prepare_ahead=True)
    serve(config, None, open_browser, announce, stopped=lambda: click.echo("peerreport stopped."))


def _an_activity(root: Path, org: str, period: object) -> str:
    """A group session of the demo quarter, to show a record's history with."""
    from sqlalchemy import select

    from peerreport.returns.periods import Period
    from peerreport.store.database import open_engine
    from peerreport.store.schema import activity
    from peerreport.workspace import load_workspace

    assert isinstance(period, Period)
    engine = open_engine(load_workspace(root).database_url)
    with engine.connect() as conn:
        found = conn.execute(
            select(activity.c.activity_id)
            .where(
                activity.c.org == org,
                activity.c.kind == "group",
                activity.c.date.between(period.start, period.end),
                activity.c.valid_to.is_(None),
            )
            .order_by(activity.c.date.desc(), activity.c.activity_id)
            .limit(1)
        ).scalar()
    engine.dispose()
    return str(found or "ACTIVITY-ID")


def _command_name() -> str:
    """`peerreport` if it is on the PATH, else the full path of this one (e.g. in a venv)."""
    import shutil
    import sys

    here = Path(sys.executable).with_name("peerreport")
    on_path = shutil.which("peerreport")
    if on_path and Path(on_path).resolve() == here.resolve():
        return "peerreport"
    return str(here) if here.exists() else "peerreport"
