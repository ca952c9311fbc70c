"""`peerreport returns list | show`: the ledger of submitted returns and their amendments."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, print_json


@click.group()
def returns() -> None:
    """Submitted returns: every version, which is current, and what each amendment changed.

    \b
    Examples:
      peerreport returns list
      peerreport returns show 12
    """


def _org(session: Any) -> str | None:
    """The workspace's organisation; None (every organisation) with only --db."""
    return session.workspace.provider_code if session.workspace is not None else None


@returns.command("list")
@click.option("--rules", "rule_id", help="Only this rule file id.")
@click.option("--period", "-p", help="Only this period (e.g. FY2027-Q1 or 2026-Q3).")
@click.option("--current", is_flag=True, help="Only current versions (not superseded ones).")
@database_options
@json_option
def list_(
    rule_id: str | None,
    period: str | None,
    current: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """List submitted returns with their version and status (current or superseded).

    \b
    Examples:
      peerreport returns list
      peerreport returns list --rules nz-peer-support-adults --period FY2027-Q1 --json
    """
    from peerreport.ledger import submissions
    from peerreport.returns.periods import parse_period
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    span = None
    if period:
        parsed = parse_period(period)
        span = (parsed.start, parsed.end)
    found = submissions(session.engine, _org(session), rule_id, span, current_only=current)
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    if not found:
        click.echo("No submitted returns yet (`peerreport submit RULES --period P`).")
        return
    click.echo(
        f"{'id':>5}  {'org':10} {'rule file':28} {'period':12} {'ver':>3}  "
        f"{'status':10} {'submitted (UTC)':16}  reason"
    )
    for s in found:
        status = click.style(f"{s.status:10}", fg="green" if s.current else None)
        reason = (s.reason or "")[:50]
        click.echo(
            f"{s.id:>5}  {s.org:10} {s.rule_id:28} {s.period_label:12} {s.version:>3}  "
            f"{status} {s.submitted_at:%Y-%m-%d %H:%M}  {reason}"
        )


@returns.command()
@click.argument("ident", metavar="ID", type=int)
@database_options
@json_option
def show(ident: int, workspace_dir: Path | None, db_url: str | None, as_json: bool) -> None:
    """Show submitted return ID: its history, status, figures and what changed between versions.

    \b
    Examples:
      peerreport returns show 12
      peerreport returns show 12 --json
    """
    from peerreport.cli.build_cmd import render_text
    from peerreport.ledger import figure_changes, finding_changes, get, history
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    entry = get(session.engine, ident)
    versions = history(session.engine, entry)
    steps = [
        (a, b, figure_changes(a.ret, b.ret), finding_changes(a.ret, b.ret))
        for a, b in itertools.pairwise(versions)
    ]
    if as_json:
        print_json(
            {
                **entry.to_dict(),
                "return": entry.ret.to_dict(),
                "history": [s.to_dict() for s in versions],
                "changes": [
                    {
                        "from": a.version,
                        "to": b.version,
                        "records_changed": a.records_digest != b.records_digest,
                        "figures": [c.to_dict() for c in changes],
                        "findings": {"gone": gone, "new": new},
                    }
                    for a, b, changes, (gone, new) in steps
                ],
            }
        )
        return
    click.echo(
        click.style(
            f"Submitted return {entry.id}: {entry.org} {entry.rule_id} "
            f"{entry.period_label}, version {entry.version} ({entry.status})",
            bold=True,
        )
    )
    click.echo("\nHistory:")
    for s in versions:
        mark = "*" if s.id == entry.id else " "
        reason = f": {s.reason}" if s.reason else ""
        click.echo(
            f" {mark} version {s.version} (id {s.id}), {s.submitted_at:%Y-%m-%d %H:%M} "
            f"UTC, {s.status}, rule file {s.rule_version}{reason}"
        )
        click.echo(f"     bundle sha256 {s.bundle_sha256 or '-'}")
    for a, b, changes, (gone, new) in steps:
        click.echo(f"\nVersion {a.version} -> {b.version}:")
        if a.records_digest != b.records_digest:
            click.echo("  the records changed")
        if a.rule_digest != b.rule_digest:
            click.echo(f"  the rule file changed ({a.rule_version} -> {b.rule_version})")
        for change in changes:
            click.echo(f"  {change}")
        if not changes:
            click.echo("  no published figure changed")
        for text in gone:
            click.echo(f"  finding resolved: {text}")
        for text in new:
            click.echo(f"  new finding: {text}")
    click.echo("")
    click.echo(render_text(entry.ret))
