"""`peerreport template`: workbooks for people to fill in.

A thin layer over `peerreport.templates_intake`. A rule file that cannot be
loaded, or an output path that cannot be used, is a usage error: exit code 2
and one plain message, whether the command runs under `peerreport` or alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from peerreport.rulebook import RuleFile


def _load_rules(target: str) -> RuleFile:
    """The rule file `target` (an id or a path), or a usage error listing its problems."""
    from peerreport.errors import PeerreportError
    from peerreport.rulebook import load

    try:
        return load(target)
    except PeerreportError as exc:
        raise click.BadParameter(str(exc), param_hint="RULES") from exc


@click.group()
def template() -> None:
    """Workbooks for coordinators to fill in and import.

    \b
    Examples:
      peerreport template intake --out intake.xlsx
      peerreport template intake example-peer-support --out peer-support-log.xlsx
    """


@template.command()
@click.argument("rules", required=False)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write (.xlsx).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1, max=100_000),  # templates_intake.MAX_ROWS, not imported here
    default=5000,
    show_default=True,
    help="How many rows below the headings get drop-down lists and checks "
    "(rows below them still import, without the lists).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def intake(rules: str | None, out: Path, rows: int, force: bool) -> None:
    """Make an intake workbook: the activity log template coordinators fill in.

    One sheet per kind of record (Activities, Breakdowns, Workforce,
    Feedback) with readable headings ("Duration (minutes)"), a note on every
    heading, drop-down lists that show labels ("Warm-line call") and checks
    on dates and numbers, after a "How to fill this in" sheet. Fill it in,
    save it, and import it with `peerreport import`.

    RULES (optional) is a rule file, by id or path: the workbook is then
    titled for that return and says which columns the return uses.

    \b
    Examples:
      peerreport template intake --out intake.xlsx
      peerreport template intake example-peer-support --out peer-support-log.xlsx
      peerreport import peer-support-log.xlsx
    """
    from peerreport.templates_intake import return_use, write_intake_workbook

    use = return_use(_load_rules(rules)) if rules is not None else None
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(
            f"{out.name}: the intake workbook is an Excel workbook; name it something.xlsx",
            param_hint="--out",
        )
    if out.exists() and not force:
        raise click.BadParameter(
            f"{out} already exists (it may hold someone's records); choose another name, "
            "or add --force to replace it",
            param_hint="--out",
        )
    try:
        write_intake_workbook(out, use, rows)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {out}: {exc.strerror or exc}", param_hint="--out"
        ) from exc
    what = f" for {use.title}" if use else ""
    click.echo(f"wrote {out}: an intake workbook{what}")
    click.echo(f'Fill it in (see the "How to fill this in" sheet), then: peerreport import {out}')
