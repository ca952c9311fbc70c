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
    help="Store the valid rows and write the rejected ones to FILE.rejects.csv beside each "
    "input: your own columns plus a 'problem' column saying why. Correct it and import it as "
    "it is. Without this option, one bad row means nothing is stored.",
)
@click.option(
    "--drop-forbidden",
    is_flag=True,
    help="Discard columns whose headings name identifying or clinical details (names, dates of "
    "birth, NHI, diagnosis...) unread, instead of refusing the file. Their cells are never "
    "read, stored or shown.",
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
    drop_forbidden: bool,
    record_type: str | None,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Import activity records from CSV, XLSX or JSON Lines FILES.

    All or nothing: if any row has a problem, nothing is stored and every
    problem is listed with its file, cell and column. Importing the same file
    again changes nothing; importing a corrected file updates the changed rows.

    Columns peerreport does not know are not stored (a note names them). A
    column that looks like identifying or clinical details (a name, a date of
    birth, an NHI, a diagnosis) refuses the file, unless --drop-forbidden.
    Without an activity_id column, each activity's id is made from its date,
    start time, kind, programme, group, topic, mode and setting, so importing
    the same file again finds the same activities.

    \b
    Examples:
      peerreport import activity-log.xlsx
      peerreport import activities.csv breakdowns.csv
      peerreport import q3.xlsx --skip-invalid
      peerreport import q3.xlsx.rejects.csv
      peerreport import own-log.xlsx --drop-forbidden
    """
    from peerreport.intake import ImportSettings, import_files
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    settings = ImportSettings.for_workspace(
        workspace,
        skip_invalid=skip_invalid,
        record_type=record_type,
        drop_forbidden=drop_forbidden,
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
    from peerreport.intake.wording import plural

    assert isinstance(report, ImportReport)
    for file in report.files:
        for notice in file.notices:
            click.echo(f"note: {notice}", err=True)
        for problem in file.problems:
            click.secho(f"{problem.location}: {problem.message}", fg="red", err=True)
        hidden = file.problem_count - len(file.problems)
        if hidden:
            click.secho(
                f"... and {plural(hidden, 'more problem')} in {file.path.name}", fg="red", err=True
            )
        if report.stored:
            click.echo(f"{file.path.name}: {file.counts}")
        for path in file.rejects_paths:
            click.echo(f"  rejected rows and why: {path} (correct it and import it as it is)")
    if any(p.code == "PRV-001" for f in report.files for p in f.problems):
        click.secho(
            "A file with a column that looks like identifying or clinical details is refused: "
            "delete the column, or import with --drop-forbidden to discard such columns unread.",
            fg="red",
            err=True,
        )
    if not report.stored:
        click.secho(
            f"Nothing was stored: {plural(report.problem_count, 'problem')} to fix. Correct "
            f"{'it' if report.problem_count == 1 else 'them'} and import again, or use "
            "--skip-invalid to store the valid rows.",
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
