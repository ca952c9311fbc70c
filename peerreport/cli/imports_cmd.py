"""`peerreport imports list | show`: the import log, refused imports included."""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, org_option, print_json


@click.group()
def imports() -> None:
    """The import log: every import, stored or refused, with its file's SHA-256.

    \b
    Examples:
      peerreport imports list
      peerreport imports show 3
    """


@imports.command(name="list")
@database_options
@org_option
@json_option
def list_(workspace_dir: Path | None, db_url: str | None, org: str | None, as_json: bool) -> None:
    """List every import: when, which file (and its SHA-256), the result, the revision made.

    \b
    Example:
      peerreport imports list --json
    """
    from peerreport.session import open_session
    from peerreport.store.history import imports as all_imports

    session = open_session(workspace_dir, db_url)
    runs = all_imports(session.engine, session.organisation(org, "imports"))
    if as_json:
        print_json([r.to_dict() for r in runs])
        return
    if not runs:
        click.echo("Nothing imported yet. Import your log with `peerreport import FILE`.")
        return
    click.echo(f"{'id':>4}  {'when (UTC)':16}  {'result':8}  {'revision':8}  file")
    for run in runs:
        result = (
            run.status
            if run.status != "stored"
            else (f"{run.added}+ {run.updated}~" if run.added or run.updated else "unchanged")
        )
        revision = str(run.revision) if run.revision is not None else "-"
        problems = f"  ({run.problem_count} problem(s))" if run.problem_count else ""
        click.echo(
            f"{run.id:>4}  {run.finished_at:%Y-%m-%d %H:%M}  {result:8}  {revision:>8}  "
            f"{run.file_name}{problems}"
        )
    click.echo("+ added, ~ updated (a new version); `peerreport imports show ID` for details")


@imports.command()
@click.argument("ident", type=int)
@database_options
@org_option
@json_option
def show(
    ident: int, workspace_dir: Path | None, db_url: str | None, org: str | None, as_json: bool
) -> None:
    """Show one import: file, SHA-256, counts, revision and its problems (values masked).

    \b
    Example:
      peerreport imports show 3
    """
    from peerreport.session import open_session
    from peerreport.store.history import import_run_by_id

    session = open_session(workspace_dir, db_url)
    run = import_run_by_id(session.engine, session.organisation(org, "imports"), ident)
    if as_json:
        print_json(run.to_dict())
        return
    click.echo(f"Import {run.id}: {run.file_name}")
    click.echo(f"  sha256    {run.file_sha256}")
    click.echo(f"  finished  {run.finished_at:%Y-%m-%d %H:%M:%S} UTC")
    if run.status == "refused":
        click.echo("  result    REFUSED: nothing was stored")
    else:
        click.echo(
            f"  result    {run.added} added, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.rejected} rejected"
        )
    click.echo(f"  revision  {run.revision if run.revision is not None else '(none made)'}")
    if run.problem_count:
        click.echo(f"  problems  {run.problem_count}")
        for problem in run.problems:
            location = problem.get("location") or {}
            where = ", ".join(
                f"{k} {v}" for k, v in location.items() if v not in (None, "") and k != "file"
            )
            click.echo(f"    - {where + ': ' if where else ''}{problem.get('message', '')}")
        if run.problem_count > len(run.problems):
            click.echo(f"    ... and {run.problem_count - len(run.problems)} more")
