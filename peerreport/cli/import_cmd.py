"""`peerreport import`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, print_json

RECORD_TYPE_CHOICES = ["activities", "breakdowns", "workforce", "feedback"]


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Store the valid rows and write rejected rows, with reasons, to FILE.rejects.csv "
    "beside each input. Without it, one bad row means nothing is stored.",
)
@click.option(
    "--type",
    "record_type",
    type=click.Choice(RECORD_TYPE_CHOICES),
    help="What records a CSV or JSON Lines file holds (default: from the file name or headings).",
)
@database_options
@json_option
@click.pass_context
def import_(
    ctx: click.Context,
    files: tuple[Path, ...],
    skip_invalid: bool,
    record_type: str | None,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Import activity records from CSV, XLSX or JSON Lines FILES.

    All or nothing: if any row has a problem, nothing is stored and every
    problem is listed with its file, row and column. Importing the same file
    again changes nothing; importing a corrected file updates the changed rows.

    \b
    Examples:
      peerreport import activity-log.xlsx
      peerreport import activities.csv breakdowns.csv
      peerreport import q3.xlsx --skip-invalid
    """
    from peerreport.intake import ImportSettings, import_files
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    settings = ImportSettings(
        org=workspace.provider_code,
        org_name=workspace.organisation_name,
        date_order=workspace.date_order,
        token_secret=workspace.token_secret(),
        keep_notes=workspace.keep_notes,
        skip_invalid=skip_invalid,
        record_type=record_type,
    )
    progress = _Progress() if sys.stderr.isatty() and not as_json else None
    report = import_files(session.engine, list(files), settings, progress)
    if progress:
        progress.done()
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    ctx.exit(1 if report.problem_count else 0)


class _Progress:
    """A row counter on stderr for long imports."""

    def __init__(self) -> None:
        self.rows = 0
        self.shown = 0

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows - self.shown >= 50_000:
            self.shown = self.rows
            click.echo(f"\r  {self.rows:,} rows read", err=True, nl=False)

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _print_report(report: object) -> None:
    from peerreport.intake import ImportReport

    assert isinstance(report, ImportReport)
    for file in report.files:
        for notice in file.notices:
            click.echo(f"note: {notice}", err=True)
        for problem in file.problems:
            click.secho(f"{problem.location}: {problem.message}", fg="red", err=True)
        hidden = file.problem_count - len(file.problems)
        if hidden:
            click.secho(f"... and {hidden} more problems in {file.path.name}", fg="red", err=True)
        if report.stored:
            click.echo(f"{file.path.name}: {file.counts}")
        if file.rejects_path:
            click.echo(f"  rejected rows and reasons: {file.rejects_path}")
    if not report.stored:
        click.secho(
            f"Nothing was stored: {report.problem_count} problem(s) to fix. Correct them and "
            "import again, or use --skip-invalid to store the valid rows.",
            fg="red",
            err=True,
        )
    else:
        if len(report.files) > 1:
            click.echo(f"Total: {report.counts}")
        if report.revision is not None:
            click.echo(
                f"Stored as revision {report.revision} of your records "
                "(`peerreport imports list` shows every import)."
            )
