"""`peerreport audit verify | trace | scan`: check a bundle, trace a figure, look for leaks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, print_json

COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
_BUNDLE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def audit() -> None:
    """Audit returns: verify a bundle, trace a figure to its records, scan for identifiers.

    \b
    Examples:
      peerreport audit verify returns/nz-peer-support-adults_FY2027-Q1_HPC001.bundle.zip
      peerreport audit trace 12 group_sessions
      peerreport audit scan returns/nz-peer-support-adults_FY2027-Q1_HPC001.bundle.zip
    """


def _echo_findings(findings: Any) -> None:
    for finding in findings:
        severity = finding.severity.value
        head = click.style(f"{severity.upper():7} {finding.code}", fg=COLOURS.get(severity))
        click.echo(f"{head} {finding.message}")


def _database(workspace_dir: Path | None, db_url: str | None, org: str) -> tuple[Any, str]:
    """An engine if a database is at hand for `org`'s records, else (None, why not)."""
    from peerreport.session import open_session
    from peerreport.workspace import ENV_DATABASE_URL, find_workspace, load_workspace

    if db_url or os.environ.get(ENV_DATABASE_URL):
        return open_session(workspace_dir, db_url).engine, ""
    root = workspace_dir or find_workspace()
    if root is None:
        return None, "no database (--db URL) and no workspace"
    workspace = load_workspace(root)
    if workspace.provider_code != org:
        return None, (
            f"this workspace is {workspace.provider_code}'s and the bundle is {org}'s; "
            "give --db URL"
        )
    return open_session(root, None).engine, ""


@audit.command()
@click.argument("bundle", type=_BUNDLE)
@click.option(
    "--key",
    "keys",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A trusted public key file: the bundle must be signed with it (repeatable).",
)
@click.option(
    "--fingerprint",
    "fingerprints",
    multiple=True,
    help="A trusted key fingerprint (SHA256:...), as `keys new` printed it.",
)
@click.option(
    "--rules",
    help="The rule file to recompute with (path or id). "
    "Default: the rule file named in the bundle, from the search path.",
)
@click.option("--no-recompute", is_flag=True, help="Only check the bundle itself.")
@database_options
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    bundle: Path,
    keys: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    rules: str | None,
    no_recompute: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Check that BUNDLE is exactly as written, and recompute its figures.

    Gives separate verdicts: (1) the bundle is intact or altered (every
    file's sha256, the manifest, its seal, the signature against
    --key/--fingerprint, the zip's own bytes); with a database (--db, or
    inside the organisation's workspace): (2) the figures match the records
    as they were when the return was built (rebuilt at the revision it names,
    with the rule file the bundle carries); (3) which records of the period
    changed since, field by field, and whether a later amendment covers them;
    (4) the ledger: its version, current or superseded, and the hash chain
    intact with the head the bundle was submitted with. A superseded but
    honest version is VERIFIED. Exit code 1 when NOT VERIFIED.

    \b
    Examples:
      peerreport audit verify HPC001.bundle.zip --fingerprint SHA256:3q2+7w...
      peerreport audit verify HPC001.bundle.zip --db postgresql://auditor@db/peer --json
    """
    from peerreport.audit.verdict import verify as verify_verdicts
    from peerreport.bundle import public_key_fingerprint, verify_bundle

    trusted = {*fingerprints, *(public_key_fingerprint(k) for k in keys)}
    first = verify_bundle(bundle, trusted)
    ret = first.bundle.ret if first.bundle.manifest is not None else None
    engine, note = None, "--no-recompute" if no_recompute else ""
    if ret is not None and not no_recompute:
        engine, note = _database(workspace_dir, db_url, ret.organisation)
    verdicts = verify_verdicts(bundle, engine, trusted=trusted, rules=rules, not_recomputed=note)
    if as_json:
        print_json({"bundle": str(bundle), "recomputed": engine is not None, **verdicts.to_dict()})
        ctx.exit(0 if verdicts.ok else 1)
    click.echo(render_verdicts(bundle, verdicts))
    ctx.exit(0 if verdicts.ok else 1)


def render_verdicts(bundle: Path, verdicts: Any) -> str:
    """The verdicts as plain text: four numbered answers, then the findings behind them."""
    from peerreport.audit.verdict import Verdicts

    assert isinstance(verdicts, Verdicts)
    check, ret = verdicts.check, verdicts.ret
    lines = [f"{bundle} (sha256 {check.bundle.sha256})"]
    if ret is not None:
        filed = f", version {ret.filing.version}" if ret.filing is not None else ""
        lines.append(
            f"  {ret.organisation_name} ({ret.organisation}), {ret.rule.id} {ret.rule.version}, "
            f"{ret.period.label}{filed}: {len(ret.figures)} figures"
        )
    lines.append(
        "1. The bundle: "
        + (
            "INTACT — every file matches the manifest; the manifest and the zip are as written"
            if verdicts.intact
            else "ALTERED — see the errors below"
        )
    )
    if verdicts.recomputation is None:
        lines.append(f"2. The figures: not recomputed ({verdicts.not_recomputed})")
    else:
        at = f" at revision {ret.revision}" if ret is not None and ret.revision else ""
        lines.append(
            "2. The figures: "
            + (
                f"MATCH the records as they were when the return was built{at}"
                if verdicts.figures_match
                else "DO NOT MATCH the records as they were when it was built"
            )
        )
        if verdicts.changes_since:
            covered = verdicts.covered_by
            lines.append(
                f"3. The records since: {len(verdicts.changes_since)} record(s) of the period "
                "changed"
                + (
                    f"; version {covered.version} includes the change"
                    if covered
                    else "; no later version includes the change"
                )
            )
            lines += [f"     {c}" for c in verdicts.changes_since[:20]]
        else:
            lines.append("3. The records since: unchanged")
        entry = verdicts.entry
        if entry is None:
            lines.append("4. The ledger: the bundle is not a submitted version in this ledger")
        else:
            state = (
                f"superseded by version {verdicts.superseded_by.version} "
                f"({verdicts.superseded_by.reason})"
                if verdicts.superseded_by
                else "the current version"
            )
            chain = verdicts.chain
            intact = (
                "its hash chain is intact"
                if chain is None or chain.ok
                else "its hash chain is BROKEN (see below)"
            )
            lines.append(f"4. The ledger: version {entry.version}, {state}; {intact}")
    for finding in verdicts.findings:
        if finding.severity.value == "info" and finding.code in ("LED-050",):
            continue
        severity = finding.severity.value
        head = click.style(f"{severity.upper():7} {finding.code}", fg=COLOURS.get(severity))
        lines.append(f"   {head} {finding.message}")
    headline = verdicts.headline()
    lines.append(click.style(headline, fg="green" if verdicts.ok else "red", bold=True))
    return "\n".join(lines)


@audit.command()
@click.argument("target")
@click.argument("measure")
@click.argument("cell", required=False)
@click.option("--rules", help="The rule file (path or id). Default: the one the return names.")
@click.option("--sql", "show_sql", is_flag=True, help="Also print the SQL that selects them.")
@database_options
@json_option
def trace(
    target: str,
    measure: str,
    cell: str | None,
    rules: str | None,
    show_sql: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """List the records behind a figure: TARGET is a bundle file or a submitted return id.

    MEASURE is a measure id; CELL picks one breakdown cell, as `mode=phone`,
    `phone` or, for two fields, `mode=phone,kind=group` (`-` for not
    recorded). The records are selected by the measure's own filter compiled
    to SQL, so there are exactly as many as the figure counts.

    \b
    Examples:
      peerreport audit trace 12 group_sessions
      peerreport audit trace HPC001.bundle.zip warm_line_calls mode=phone --sql
    """
    from peerreport.audit import rule_file_for
    from peerreport.audit import trace as trace_figure
    from peerreport.bundle import verify_bundle
    from peerreport.errors import UsageError
    from peerreport.ledger import get
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    warning = ""
    if Path(target).is_file():
        check = verify_bundle(Path(target))
        if check.bundle.manifest is None:
            raise UsageError(
                f"{target}: not a readable bundle (`peerreport audit verify` says why)"
            )
        ret = check.bundle.ret
        warning = "" if check.ok else "the bundle does not verify: its figures may be altered"
    elif target.isdigit():
        ret = get(session.engine, int(target)).ret
    else:
        raise UsageError(
            f"{target!r} is neither a bundle file nor a submitted return id "
            "(`peerreport returns list` shows the ids)"
        )
    assert ret is not None
    workspace = session.workspace
    shared = db_url or os.environ.get("PEERREPORT_DATABASE_URL")
    if workspace is not None and not shared and workspace.provider_code != ret.organisation:
        raise UsageError(
            f"this workspace holds {workspace.provider_code}'s records and the "
            f"return is {ret.organisation}'s; give --db URL of its database"
        )
    found = trace_figure(session.engine, ret, rule_file_for(ret, rules), measure, cell)
    if as_json:
        print_json({**found.to_dict(), "warning": warning or None})
        return
    if warning:
        click.secho(f"WARNING {warning}", fg="yellow", err=True)
    where = "total" if not found.cell else " / ".join("-" if c is None else c for c in found.cell)
    published = found.published
    shown = "suppressed" if published.status == "suppressed" else str(published.value)
    click.echo(
        f"{found.label} ({found.measure}), {where}: published {shown}; the records give "
        f"{found.value} ({len(found.rows)} {found.source} records)"
    )
    click.echo("\t".join([*found.id_fields, *(["value"] if found.kind != "count" else [])]))
    for row in found.rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))
    if show_sql:
        click.echo(f"\n{found.sql}")


@audit.command()
@click.argument("bundle", type=_BUNDLE)
@database_options
@json_option
@click.pass_context
def scan(
    ctx: click.Context, bundle: Path, workspace_dir: Path | None, db_url: str | None, as_json: bool
) -> None:
    """Scan every text in BUNDLE for identifiers, diagnoses and member tokens.

    Runs the same detectors intake uses (names in named columns aside: a
    bundle has none) over every file, the workbook's hidden parts included.
    With the organisation's database (--db, or in its workspace) it also
    looks for the hashes of its member tokens. Exit code 1 if anything is found.

    \b
    Examples:
      peerreport audit scan HPC001.bundle.zip
      peerreport audit scan HPC001.bundle.zip --db sqlite:///peerreport.db --json
    """
    from sqlalchemy import select

    from peerreport.audit import scan_bundle
    from peerreport.bundle import verify_bundle
    from peerreport.store.schema import member_token

    check = verify_bundle(bundle)
    ret = check.bundle.ret if check.bundle.manifest is not None else None
    hashes: frozenset[str] = frozenset()
    engine, note = _database(workspace_dir, db_url, ret.organisation if ret else "")
    if engine is not None and ret is not None:
        with engine.connect() as conn:
            query = select(member_token.c.token_hash).where(member_token.c.org == ret.organisation)
            hashes = frozenset(str(h) for h in conn.execute(query).scalars())
    findings = scan_bundle(check.bundle.entries, hashes)
    clean = not any(f.severity.value == "error" for f in findings)
    if as_json:
        print_json(
            {
                "bundle": str(bundle),
                "clean": clean,
                "verified": check.ok,
                "tokens_checked": engine is not None,
                "findings": [f.to_dict() for f in findings],
            }
        )
        ctx.exit(0 if clean else 1)
    click.echo(f"scanned {len(check.bundle.entries)} entries of {bundle}")
    if not check.ok:
        click.secho("WARNING the bundle does not verify (`peerreport audit verify`)", fg="yellow")
    _echo_findings(findings)
    if engine is None:
        click.echo(f"  (member-token hashes not checked: {note})")
    if clean:
        click.secho("CLEAN: no identifier, diagnosis or member token found", fg="green")
    ctx.exit(0 if clean else 1)


@audit.command()
@click.argument("bundles", nargs=-1, type=_BUNDLE)
@click.option("--org", help="The organisation (provider code). Default: the workspace's.")
@database_options
@json_option
@click.pass_context
def ledger(
    ctx: click.Context,
    bundles: tuple[Path, ...],
    org: str | None,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Check the ledger's hash chain: nothing edited, deleted, reordered or added behind it.

    Recomputes every entry's hash and link, compares each entry with the
    submitted return, acceptance, query or records revision it describes, and
    re-hashes every stored record version. Given BUNDLES, also checks that the
    chain still holds the head each was submitted with, which shows a ledger
    rewritten from scratch. Exit code 1 when anything does not match.

    \b
    Examples:
      peerreport audit ledger
      peerreport audit ledger submissions/*.bundle.zip --json
    """
    from peerreport.audit.chain_check import check_chain
    from peerreport.bundle import verify_bundle
    from peerreport.errors import UsageError
    from peerreport.session import open_session
    from peerreport.store.chain import Anchor

    session = open_session(workspace_dir, db_url)
    if org is None:
        if session.workspace is None:
            raise UsageError("give --org CODE, or run this inside the organisation's workspace")
        org = session.workspace.provider_code
    anchors = []
    for path in bundles:
        manifest = verify_bundle(path).bundle.manifest or {}
        anchor = manifest.get("ledger")
        if isinstance(anchor, dict) and "seq" in anchor and "head" in anchor:
            anchors.append(Anchor(int(anchor["seq"]), str(anchor["head"])))
    result = check_chain(session.engine, org, anchors)
    if as_json:
        print_json(result.to_dict())
        ctx.exit(0 if result.ok else 1)
    click.echo(f"Ledger of {org}: {result.entries} entries")
    if bundles:
        click.echo(f"  checked against the chain heads of {len(anchors)} bundle(s)")
    _echo_findings(result.findings)
    verdict = "INTACT" if result.ok else "TAMPERED WITH"
    click.secho(verdict, fg="green" if result.ok else "red", bold=True)
    ctx.exit(0 if result.ok else 1)
