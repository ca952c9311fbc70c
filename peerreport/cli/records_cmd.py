"""`peerreport records`."""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, print_json


@click.group()
def records() -> None:
    """Look at the stored records."""


@records.command()
@database_options
@json_option
def summary(workspace_dir: Path | None, db_url: str | None, as_json: bool) -> None:
    """Count the stored records by month and kind of activity.

    \b
    Example:
      peerreport records summary
      peerreport records summary --json
    """
    from peerreport.session import open_session
    from peerreport.store.summary import records_summary

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    with session.engine.connect() as conn:
        result = records_summary(conn, workspace.provider_code)
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(f"Records of {workspace.organisation_name} ({workspace.provider_code})")
    if not result.by_month:
        click.echo("No activities stored yet. Import your log with `peerreport import FILE`.")
    else:
        click.echo(render_month_table(result))
    click.echo(
        f"Breakdown counts: {result.breakdowns}   workforce entries: {result.workforce}   "
        f"feedback tallies: {result.feedback}"
    )


def render_month_table(result: object) -> str:
    """Months down, kinds across, activities (and attendance) in the cells."""
    from peerreport.records.vocabulary import vocabulary
    from peerreport.store.summary import RecordsSummary

    assert isinstance(result, RecordsSummary)
    kinds = [k for k in vocabulary("kind").codes if any(m.kind == k for m in result.by_month)]
    months = sorted({m.month for m in result.by_month})
    cells = {(m.month, m.kind): m for m in result.by_month}
    header = ["month", *kinds, "total", "attendance"]
    lines = [header]
    for month in months:
        row = [cells.get((month, k)) for k in kinds]  # None where no activity of that kind
        lines.append(
            [
                month,
                *[str(c.activities) if c else "" for c in row],
                str(sum(c.activities for c in row if c)),
                str(sum(c.attendance for c in row if c)),
            ]
        )
    totals = [sum(m.activities for m in result.by_month if m.kind == k) for k in kinds]
    lines.append(
        [
            "total",
            *map(str, totals),
            str(result.activities),
            str(sum(m.attendance for m in result.by_month)),
        ]
    )
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(line)
            ).rstrip()
        )
        if index == 0 or index == len(lines) - 2:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
