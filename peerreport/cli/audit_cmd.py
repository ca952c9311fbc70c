"""`peerreport audit verify | trace | scan`: check a bundle, trace a figure, look for leaks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, org_option, print_json
from peerreport.render.text import SEVERITY_COLOURS as COLOURS

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


def _database(
    workspace_dir: Path | None, db_url: str | None, owner: str, org: str | None
) -> tuple[Any, str]:
    """An engine on `owner`'s records if this command may read them, else (None, why not)."""
    from peerreport.session import bundle_database

    return bundle_database(owner, workspace_dir, db_url, org)


_rules_option = click.option(
    "--rules", help="The rule file (path or id). Default: the one the return names."
)


def _trust_options(func: Any) -> Any:
    """The keys that show a bundle's origin, and which unverified origins to accept."""
    func = click.option(
        "--allow-unknown-keys",
        is_flag=True,
        help="Accept a bundle signed by a key no one vouched for, with a loud UNVERIFIED "
        "ORIGIN warning. Default: refused.",
    )(func)
    func = click.option(
        "--allow-unsigned",
        is_flag=True,
        help="Accept an unsigned bundle, with a loud UNVERIFIED ORIGIN warning. Default: refused.",
    )(func)
    func = click.option(
        "--providers",
        "providers_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The funder's provider list (CSV: code, name, fingerprint): the bundle must be "
        "signed with the key listed for the provider it claims.",
    )(func)
    func = click.option(
        "--fingerprint",
        "fingerprints",
        multiple=True,
        help="A trusted key fingerprint (SHA256:...), as `keys show` printed it.",
    )(func)
    return click.option(
        "--key",
        "keys",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A trusted public key file: the bundle must be signed with it (repeatable).",
    )(func)


@audit.command()
@click.argument("bundle", type=_BUNDLE)
@_trust_options
@click.option(
    "--rules",
    help="The rule file to recompute with (path or id). "
    "Default: the rule file named in the bundle, from the search path.",
)
@click.option("--no-recompute", is_flag=True, help="Only check the bundle itself.")
@database_options
@org_option
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    bundle: Path,
    keys: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    providers_file: Path | None,
    allow_unsigned: bool,
    allow_unknown_keys: bool,
    rules: str | None,
    no_recompute: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """Check that BUNDLE is exactly as written, and recompute its figures.

    Gives separate verdicts: (1) the bundle is intact or altered (every
    file's sha256, the manifest, its seal, the zip's own bytes) and of known
    origin: signed with a key trusted for the provider it claims
    (--key/--fingerprint, the --providers list, or inside a workspace its own
    key). An unsigned bundle, or one signed by another key, is UNVERIFIED
    ORIGIN and NOT VERIFIED unless --allow-unsigned / --allow-unknown-keys;
    with the organisation's
    database (inside its workspace, or --db with --org): (2) the figures match the records
    as they were when the return was built (rebuilt at the revision it names,
    with the rule file the bundle carries); (3) which records of the period
    changed since, field by field, and whether a later amendment covers them;
    (4) the ledger: its version, current or superseded, and the hash chain
    intact with the head the bundle was submitted with. A superseded but
    honest version is VERIFIED. Exit code 1 when NOT VERIFIED. Inside a
    workspace, another organisation's bundle is refused unless --no-recompute.

    \b
    Examples:
      peerreport audit verify HPC001.bundle.zip --fingerprint SHA256:3q2+7w...
      peerreport audit verify inbox/RVT002.bundle.zip --providers providers.csv
      peerreport audit verify HPC001.bundle.zip --db postgresql://auditor@db/peer \\
          --org HPC001 --json
    """
    from peerreport.audit.trust import trust_for
    from peerreport.audit.verdict import verify as verify_verdicts
    from peerreport.audit.verdicts_text import verdicts_text
    from peerreport.bundle import verify_bundle

    trusted = trust_for(
        keys, fingerprints, providers_file, allow_unsigned, allow_unknown_keys, workspace_dir
    )
    first = verify_bundle(bundle, trusted)
    ret = first.bundle.ret if first.bundle.manifest is not None else None
    engine, note = None, "--no-recompute" if no_recompute else ""
    if ret is not None and not no_recompute:
        engine, note = _database(workspace_dir, db_url, ret.organisation, org)
    verdicts = verify_verdicts(bundle, engine, trusted=trusted, rules=rules, not_recomputed=note)
    if as_json:
        print_json({"bundle": str(bundle), "recomputed": engine is not None, **verdicts.to_dict()})
        ctx.exit(0 if verdicts.ok else 1)
    click.echo(verdicts_text(bundle, verdicts, style=click.style))
    ctx.exit(0 if verdicts.ok else 1)


def _open_target(
    target: str, rules: str | None, workspace_dir: Path | None, db_url: str | None, org: str | None
) -> tuple[Any, Any, Any]:
    """The engine, the target's return (with any warning) and the rule file to trace with.

    The return must be of the organisation this command may read
    (`peerreport.session`), whatever the database URL.
    """
    from peerreport.audit import rule_file_for
    from peerreport.audit.target import bundle_target, open_target
    from peerreport.errors import UsageError
    from peerreport.session import open_session

    if Path(target).is_file():
        found = bundle_target(Path(target))
        engine, why = _database(workspace_dir, db_url, found.ret.organisation, org)
        if engine is None:
            raise UsageError(f"{why}: the records behind the figures are in the database")
        return engine, found, rule_file_for(found.ret, rules)
    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "returns")
    found = open_target(target, session.engine)
    session.check_owner(found.ret.organisation, f"return {target}", "returns", readable)
    return session.engine, found, rule_file_for(found.ret, rules)


@audit.command()
@click.argument("target")
@click.argument("measure")
@click.argument("cell", required=False)
@_rules_option
@click.option("--sql", "show_sql", is_flag=True, help="Also print the SQL that selects them.")
@database_options
@org_option
@json_option
def trace(
    target: str,
    measure: str,
    cell: str | None,
    rules: str | None,
    show_sql: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """List the records behind a figure: TARGET is a bundle file or a submitted return id.

    MEASURE names the figure as the return prints it: its measure id, its
    funder line code (e.g. PSA4) or its label, in any case. CELL picks one
    breakdown cell, as `mode=phone`, `phone` or, for two fields,
    `mode=phone,kind=group` (`-` for not recorded). The records are selected
    by the measure's own filter compiled to SQL, so there are exactly as many
    as the figure counts; each is listed with its ids, date, kind and the
    value the figure adds up. A derived figure (e.g. an average) shows its
    formula and traces each measure it uses in turn.

    \b
    Examples:
      peerreport audit trace 12 group_sessions
      peerreport audit trace 12 PSA4
      peerreport audit trace 12 "average attendance per session"
      peerreport audit trace HPC001.bundle.zip warm_line_calls mode=phone --sql
    """
    from peerreport.audit import trace as trace_figure
    from peerreport.audit.text import trace_lines

    engine, target_return, rule_file = _open_target(target, rules, workspace_dir, db_url, org)
    found = trace_figure(engine, target_return.ret, rule_file, measure, cell)
    warning = target_return.warning
    if as_json:
        print_json({**found.to_dict(), "warning": warning or None})
        return
    if warning:
        click.secho(f"WARNING {warning}", fg="yellow", err=True)
    click.echo("\n".join(trace_lines(found, show_sql)))


@audit.command()
@click.argument("target")
@click.argument("size", metavar="N", type=click.IntRange(min=1))
@click.option(
    "--seed",
    required=True,
    help="Any number or word; the same seed draws the same records again. Note it in "
    "your working papers.",
)
@click.option(
    "--measure",
    help="Draw only from the records behind this figure (measure id, line code or label).",
)
@_rules_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the sample to this CSV file, with columns to record what you found.",
)
@database_options
@org_option
@json_option
def sample(
    target: str,
    size: int,
    seed: str,
    measure: str | None,
    rules: str | None,
    csv_path: Path | None,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """Draw N records behind a return's figures, to check against source documents.

    TARGET is a bundle file or a submitted return id. The records are drawn
    from every record the return's figures count (or, with --measure, one
    figure's), in an order fixed by --seed: the same seed draws the same
    records on any machine and database, and a larger N adds records
    without changing the first ones.

    \b
    Examples:
      peerreport audit sample 12 25 --seed 20261012
      peerreport audit sample HPC001.bundle.zip 10 --seed 7 --measure PSA4 --csv sample.csv
    """
    from peerreport.audit.sample import sample_records
    from peerreport.audit.text import sample_csv, sample_lines

    engine, target_return, rule_file = _open_target(target, rules, workspace_dir, db_url, org)
    drawn = sample_records(engine, target_return.ret, rule_file, size, seed, measure)
    if csv_path is not None:
        csv_path.write_text(sample_csv(drawn), "utf-8", newline="")
    warning = target_return.warning
    if as_json:
        print_json({**drawn.to_dict(), "warning": warning or None})
        return
    if warning:
        click.secho(f"WARNING {warning}", fg="yellow", err=True)
    click.echo("\n".join(sample_lines(drawn)))
    if csv_path is not None:
        click.echo(f"\nwritten to {csv_path}")


@audit.command()
@click.argument("bundle", type=_BUNDLE)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The HTML file to write. Default: the bundle's name with .audit.html, here.",
)
@_trust_options
@_rules_option
@database_options
@org_option
@click.pass_context
def report(
    ctx: click.Context,
    bundle: Path,
    out: Path | None,
    keys: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    providers_file: Path | None,
    allow_unsigned: bool,
    allow_unknown_keys: bool,
    rules: str | None,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
) -> None:
    """Write one printable HTML page auditing BUNDLE, for working papers.

    In plain words: whether the bundle is intact (and who signed it), whether
    the records still give its figures, whether anything identifying is in
    it, its history in the ledger (versions, reasons, times) and the log of
    files imported into the records. With the organisation's database
    (inside its workspace, or --db with --org) every check runs; without one the page covers
    the bundle itself and says what was not checked. Exit code 1 when a
    check fails (the page is written all the same).

    \b
    Examples:
      peerreport audit report HPC001_v2.bundle.zip --out HPC001-audit.html
      peerreport audit report HPC001_v2.bundle.zip --db postgresql://auditor@db/peer \\
          --org HPC001 --fingerprint SHA256:3q2+7w...
    """
    from peerreport.audit.report import audit_report
    from peerreport.audit.report_page import render_report
    from peerreport.audit.trust import trust_for
    from peerreport.bundle import verify_bundle

    trusted = trust_for(
        keys, fingerprints, providers_file, allow_unsigned, allow_unknown_keys, workspace_dir
    )
    ret = verify_bundle(bundle).bundle.ret
    engine, note = _database(workspace_dir, db_url, ret.organisation, org) if ret else (None, "")
    found = audit_report(bundle, engine, trusted=trusted, rules=rules, no_database=note)
    target = out or Path(bundle.name.removesuffix(".zip").removesuffix(".bundle") + ".audit.html")
    target.write_text(render_report(found), "utf-8")
    for section in found.sections:
        colour = {"passed": "green", "failed": "red"}.get(section.state)
        head = click.style(f"{section.state.upper():12}", fg=colour)
        click.echo(f"{head} {section.title}: {section.verdict}")
    click.echo(f"written to {target}")
    ctx.exit(0 if found.ok else 1)


@audit.command()
@click.argument("bundle", type=_BUNDLE)
@database_options
@org_option
@json_option
@click.pass_context
def scan(
    ctx: click.Context,
    bundle: Path,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """Scan every text in BUNDLE for identifiers, diagnoses, names and member tokens.

    Runs the detectors intake runs on every cell (identifiers, diagnoses,
    personal names, ages and street addresses) over every file, the
    workbook's hidden parts included. With the organisation's database
    (in its workspace, or --db with --org) it also looks for the hashes of its member
    tokens. Exit code 1 if anything is found. `records scan` does the same
    for the stored records.

    \b
    Examples:
      peerreport audit scan HPC001.bundle.zip
      peerreport audit scan HPC001.bundle.zip --db sqlite:///peerreport.db --org HPC001 --json
    """
    from peerreport.audit import scan_bundle
    from peerreport.audit.scan import token_hashes
    from peerreport.audit.trust import trust_for
    from peerreport.bundle import verify_bundle

    # Inside a workspace its own keys show its bundles' origin, as for `audit verify`.
    check = verify_bundle(bundle, trust_for((), (), None, False, False, workspace_dir))
    ret = check.bundle.ret if check.bundle.manifest is not None else None
    hashes: frozenset[str] = frozenset()
    engine, note = (
        _database(workspace_dir, db_url, ret.organisation, org)
        if ret is not None
        else (None, "the bundle names no organisation")
    )
    if engine is not None and ret is not None:
        hashes = token_hashes(engine, ret.organisation)
    findings = scan_bundle(check.bundle.entries, hashes)
    clean = not any(f.severity.value == "error" for f in findings)
    if as_json:
        print_json(
            {
                "bundle": str(bundle),
                "clean": clean,
                "verified": check.ok,
                "unverified_origin": check.unverified_origin,
                "tokens_checked": engine is not None,
                "findings": [f.to_dict() for f in findings],
            }
        )
        ctx.exit(0 if clean else 1)
    click.echo(f"scanned {len(check.bundle.entries)} entries of {bundle}")
    if check.unverified_origin:
        why = next(
            f.message for f in check.findings if f.severity.value == "error" and f.message
        ).removeprefix("UNVERIFIED ORIGIN: ")
        click.secho(
            f"UNVERIFIED ORIGIN: the files are intact, but {why}. Give the provider's key "
            "fingerprint to `peerreport audit verify --fingerprint KEY` to check who made it",
            fg="yellow",
        )
    elif not check.ok:
        click.secho(
            "WARNING the bundle does not verify: it was altered or is damaged "
            "(`peerreport audit verify` says where)",
            fg="yellow",
        )
    _echo_findings(findings)
    if engine is None:
        click.echo(f"  (member-token hashes not checked: {note})")
    if clean:
        click.secho("CLEAN: no identifier, diagnosis or member token found", fg="green")
    ctx.exit(0 if clean else 1)


@audit.command()
@click.argument("bundles", nargs=-1, type=_BUNDLE)
@database_options
@org_option
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
    from peerreport.audit.chain_check import anchor_of, check_chain
    from peerreport.bundle import verify_bundle
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "ledger")
    anchors = []
    for path in bundles:
        found = verify_bundle(path).bundle
        if found.ret is not None:
            session.check_owner(found.ret.organisation, f"bundle {path.name}", "ledger", readable)
        anchor = anchor_of(found.manifest)
        if anchor is not None:
            anchors.append(anchor)
    result = check_chain(session.engine, readable, anchors)
    if as_json:
        print_json(result.to_dict())
        ctx.exit(0 if result.ok else 1)
    click.echo(f"Ledger of {readable}: {result.entries} entries")
    if bundles:
        click.echo(f"  checked against the chain heads of {len(anchors)} bundle(s)")
    _echo_findings(result.findings)
    click.secho(result.verdict, fg="green" if result.ok else "red", bold=True)
    ctx.exit(0 if result.ok else 1)
