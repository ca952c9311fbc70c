"""`peerreport returns list | show`: the ledger of submitted returns and their amendments."""

from __future__ import annotations

import itertools
from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, org_option, print_json


@click.group()
def returns() -> None:
    """Submitted returns: every version, its state, and what each amendment changed.

    A return moves from submitted to accepted or queried (by the funder); a
    query is answered by an amendment (a new version) or a reply. Every step
    is recorded in the ledger with its time and reason.

    \b
    Examples:
      peerreport returns list
      peerreport returns show 12
      peerreport returns accept 12
    """


@returns.command("list")
@click.option("--rules", "rule_id", help="Only this rule file id.")
@click.option("--period", "-p", help="Only this period (e.g. FY2027-Q1 or 2026-Q3).")
@click.option("--current", is_flag=True, help="Only current versions (not superseded ones).")
@database_options
@org_option
@json_option
def list_(
    rule_id: str | None,
    period: str | None,
    current: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """List submitted returns with their version and status (current or superseded).

    \b
    Examples:
      peerreport returns list
      peerreport returns list --rules nz-peer-support-adults --period FY2027-Q1 --json
    """
    from peerreport.ledger import submissions
    from peerreport.ledger.lifecycle import events, state_of
    from peerreport.returns.periods import parse_period
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "returns")
    span = None
    if period:
        parsed = parse_period(period)
        span = (parsed.start, parsed.end)
    found = submissions(session.engine, readable, rule_id, span, current_only=current)
    decided = events(session.engine, [s.id for s in found])
    states = {s.id: state_of(s, decided[s.id]) for s in found}
    if as_json:
        print_json([{**s.to_dict(), "state": states[s.id]} for s in found])
        return
    if not found:
        click.echo("No submitted returns yet (`peerreport submit RULES --period P`).")
        return
    click.echo(
        f"{'id':>5}  {'org':10} {'rule file':28} {'period':12} {'ver':>3}  "
        f"{'state':10} {'submitted (UTC)':16}  reason"
    )
    for s in found:
        colour = {"accepted": "green", "queried": "yellow"}.get(states[s.id])
        status = click.style(f"{states[s.id]:10}", fg=colour)
        reason = (s.reason or "")[:50]
        late = " LATE" if s.late else ""
        click.echo(
            f"{s.id:>5}  {s.org:10} {s.rule_id:28} {s.period_label:12} {s.version:>3}  "
            f"{status} {s.submitted_at:%Y-%m-%d %H:%M}{late}  {reason}"
        )


@returns.command()
@click.argument("ident", metavar="ID", type=int)
@database_options
@org_option
@json_option
def show(
    ident: int, workspace_dir: Path | None, db_url: str | None, org: str | None, as_json: bool
) -> None:
    """Show submitted return ID: its history, status, figures and what changed between versions.

    \b
    Examples:
      peerreport returns show 12
      peerreport returns show 12 --json
    """
    from peerreport.ledger import figure_changes, finding_changes, get, history
    from peerreport.ledger.lifecycle import STATE_WORDS, events, state_of
    from peerreport.render.text import render_text
    from peerreport.render.words import cell_words
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "returns")
    entry = get(session.engine, ident)
    session.check_owner(entry.org, f"return {ident}", "returns", readable)
    versions = history(session.engine, entry)
    decided = events(session.engine, [s.id for s in versions])
    steps = [
        (a, b, figure_changes(a.ret, b.ret), finding_changes(a.ret, b.ret))
        for a, b in itertools.pairwise(versions)
    ]
    if as_json:
        print_json(
            {
                **entry.to_dict(),
                "state": state_of(entry, decided[entry.id]),
                "events": {str(k): [e.to_dict() for e in v] for k, v in decided.items()},
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
            f"{entry.period_label}, version {entry.version}: "
            f"{STATE_WORDS[state_of(entry, decided[entry.id])]}",
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
        if s.late and s.due_date is not None:
            click.echo(f"     LATE: due {s.due_date:%d %B %Y}")
        for event in decided[s.id]:
            note = f": {event.note}" if event.note else ""
            click.echo(f"     {event.kind} {event.at:%Y-%m-%d %H:%M} UTC{note}")
    for a, b, changes, (gone, new) in steps:
        click.echo(f"\nVersion {a.version} -> {b.version}:")
        if a.records_digest != b.records_digest:
            click.echo("  the records changed")
        if a.rule_digest != b.rule_digest:
            click.echo(f"  the rule file changed ({a.rule_version} -> {b.rule_version})")
        words = {(f.id, c.label()): cell_words(f, c) for f in b.ret.figures for c in f.cells}
        for change in changes:
            cell = (
                ""
                if change.cell == "total"
                else f" [{words.get((change.measure, change.cell), change.cell)}]"
            )
            click.echo(
                f"  {change.label or change.measure}{cell}: {change.before} -> {change.after}"
            )
        if not changes:
            click.echo("  no published figure changed")
        for text in gone:
            click.echo(f"  finding resolved: {text}")
        for text in new:
            click.echo(f"  new finding: {text}")
    click.echo("")
    click.echo(render_text(entry.ret))


def _decide(
    kind: str, ident: int, note: str | None, workspace_dir: Path | None, db_url: str | None
) -> None:
    from peerreport.ledger import get
    from peerreport.ledger.lifecycle import STATE_WORDS, record_event
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    entry = get(session.engine, ident)
    session.check_owner(entry.org, f"return {ident}", "returns")
    record_event(session.engine, workspace.provider_code, ident, kind, note)
    click.echo(
        f"{entry.rule_id} {entry.period_label} version {entry.version} (id {ident}): "
        f"{STATE_WORDS[kind]}; recorded in the ledger"
    )


@returns.command()
@click.argument("ident", metavar="ID", type=int)
@click.option("--note", help="A note kept with the acceptance.")
@database_options
def accept(ident: int, note: str | None, workspace_dir: Path | None, db_url: str | None) -> None:
    """Record that the funder ACCEPTED submitted return ID (its current version).

    \b
    Example:
      peerreport returns accept 12 --note "accepted by the contract manager, 3 Nov"
    """
    _decide("accepted", ident, note, workspace_dir, db_url)


@returns.command()
@click.argument("ident", metavar="ID", type=int)
@click.option("--message", "-m", required=True, help="What the funder asks about.")
@database_options
def query(ident: int, message: str, workspace_dir: Path | None, db_url: str | None) -> None:
    """Record that the funder QUERIED submitted return ID, with their message.

    Answer it with an amendment (`peerreport submit ... --reason`) or a reply.

    \b
    Example:
      peerreport returns query 12 -m "Drop-in attendances look low for September"
    """
    _decide("queried", ident, message, workspace_dir, db_url)


@returns.command()
@click.argument("ident", metavar="ID", type=int)
@click.option("--message", "-m", required=True, help="The answer to the funder's query.")
@database_options
def reply(ident: int, message: str, workspace_dir: Path | None, db_url: str | None) -> None:
    """Answer the funder's query on return ID without amending it.

    \b
    Example:
      peerreport returns reply 12 -m "September had two public holidays; no drop-ins ran"
    """
    _decide("replied", ident, message, workspace_dir, db_url)
