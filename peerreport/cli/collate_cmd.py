"""`peerreport collate`: a funder's view across providers' bundles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from peerreport.cli.options import json_option, print_json

if TYPE_CHECKING:
    from peerreport.collate.linked import Earlier


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders become the bundles (*.zip) inside them, sorted."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.zip")) if path.is_dir() else [path]
    return found


def _earlier(path: Path) -> Earlier:
    """An earlier collation's JSON, or a plain error naming the file."""
    import json

    from peerreport.collate.linked import earlier_from_json
    from peerreport.errors import UsageError

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"--published-before {path}: cannot read it as JSON ({exc})") from None
    return earlier_from_json(data, str(path))


def _adx_mapping(rule_file: Any, adx_file: Path | None, org_unit: str | None) -> Any:
    """The rule file's [export.adx] when --adx is given (with --org-unit), else None."""
    from peerreport.errors import UsageError

    if adx_file is None:
        if org_unit is not None:
            raise UsageError("--org-unit is for --adx: give --adx FILE.xml too")
        return None
    if not org_unit:
        raise UsageError("--adx needs --org-unit: the region's organisation unit code")
    export = rule_file.model.export
    if export is None or export.adx is None:
        raise UsageError(
            f"--adx: the rule file {rule_file.id} has no [export.adx] table giving the "
            "funder's codes; docs/exports.md says how to add one"
        )
    return export.adx


@click.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--rules", required=True, help="The rule file the returns are for (path or id).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook to write (FILE.xlsx); the HTML summary goes beside it.",
)
@click.option(
    "--providers",
    "providers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of expected providers: code, name, optional due (YYYY-MM-DD, for that "
    "provider only) and fingerprint. Without it, missing providers cannot be known.",
)
@click.option(
    "--period", "-p", help="The period to collate. Default: the one most bundles are for."
)
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the HTML summary. Default: FILE.html beside --out.",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Collate unsigned bundles of providers with no fingerprint listed, with a loud "
    "UNVERIFIED ORIGIN warning. Default: refused.",
)
@click.option(
    "--allow-unknown-keys",
    is_flag=True,
    help="Collate bundles signed by a key no one vouched for (providers with no fingerprint "
    "listed, or no --providers), with a loud UNVERIFIED ORIGIN warning. Default: refused.",
)
@click.option(
    "--funder-key",
    "funder_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The funder's private key (NAME.x25519.key from `peerreport keys funder-new`): opens "
    "the exact figures providers sealed to it, adds them up and protects the regional table "
    "once. Without it, published figures are added and hidden ones make totals lower bounds.",
)
@click.option(
    "--published-before",
    "published_before",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A collation of this rule file and period already published (the JSON that "
    "`collate --json` printed; repeatable). With --funder-key, the exact sums are audited "
    "with it, so two collations cannot give a provider away by difference.",
)
@click.option(
    "--adx",
    "adx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the collation as IHE ADX XML (FILE.xml), with the codes of the rule "
    "file's [export.adx], for the region --org-unit.",
)
@click.option("--org-unit", help="The region's organisation unit code, for --adx.")
@json_option
@click.pass_context
def collate(
    ctx: click.Context,
    bundles: tuple[Path, ...],
    rules: str,
    out: Path,
    providers_file: Path | None,
    period: str | None,
    html: Path | None,
    allow_unsigned: bool,
    allow_unknown_keys: bool,
    funder_key_file: Path | None,
    published_before: tuple[Path, ...],
    adx_file: Path | None,
    org_unit: str | None,
    as_json: bool,
) -> None:
    """Verify providers' BUNDLES (files or folders) and add their figures up.

    Rejects, with the reason, every bundle that fails verification, is for
    another rule file, version or period, or is a draft, or is of UNVERIFIED
    ORIGIN: not signed with the key --providers lists (column fingerprint)
    for the provider it claims, whether unsigned, signed by an unknown key or
    by another provider's key. Collect each provider's fingerprint once
    (`peerreport keys show` prints it). Flags providers
    missing or late (due: from --providers, else the rule file's [due], else
    the 20th of the month after the period); adds the figures up, protects
    the collated table with the rule file's disclosure control, and writes a
    workbook (one row per provider plus totals) and an HTML summary. Exit
    code 1 when a bundle was rejected, or an earlier collation could not be
    audited with this one.

    With --funder-key, the exact figures providers sealed to the funder's key
    (when the rule file's [release] asks for them) are added instead of the
    published ones, and the regional table is protected once: a small count
    every provider had to hide appears when the region's figure is large
    enough. A wrong key or an altered sealed part stops with the reason. The
    exact sums are audited with the providers' own returns and with the
    collations of the period already published (--published-before), and
    cells that would give a provider's hidden figure away are hidden.

    \b
    Examples:
      peerreport collate inbox/ --rules nz-peer-support-adults --out region-Q1.xlsx
      peerreport collate a.bundle.zip b.bundle.zip --rules rules/nz.toml \\
          --providers providers.csv --period FY2027-Q1 --out region.xlsx
      peerreport collate inbox/ --rules nz-peer-support-adults --out region.xlsx \\
          --funder-key ~/.peerreport-funder/funder.x25519.key
    """
    from peerreport.bundle import Trust
    from peerreport.collate import collate as run
    from peerreport.collate import read_providers, write_summary, write_workbook
    from peerreport.errors import UsageError
    from peerreport.render.display import long_date
    from peerreport.returns.periods import parse_period
    from peerreport.rulebook import load

    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {out}: the workbook must be a .xlsx file")
    rule_file = load(rules)
    paths = _expand(bundles)
    if not paths:
        raise UsageError("no bundles found (a folder is searched for *.zip)")
    providers = read_providers(providers_file) if providers_file else None
    wanted = parse_period(period, rule_file.model.year_start or "07-01") if period else None
    trust = Trust(allow_unsigned=allow_unsigned, allow_unknown_keys=allow_unknown_keys)
    funder_key = None
    if funder_key_file is not None:
        from peerreport.bundle.sealed import load_funder_private_key

        funder_key = load_funder_private_key(funder_key_file)
    adx = _adx_mapping(rule_file, adx_file, org_unit)
    earlier = [_earlier(path) for path in published_before]
    collation = run(paths, rule_file, providers, wanted, trust, funder_key, earlier)
    write_workbook(collation, out)
    summary = write_summary(collation, html or out.with_suffix(".html"))
    if adx is not None and adx_file is not None and org_unit is not None:
        from peerreport.render.adx import render_collation_adx

        adx_file.write_bytes(
            render_collation_adx(collation, adx, org_unit, rule_file.disclosure.method)
        )
    if as_json:
        print_json({**collation.to_dict(), "workbook": str(out), "summary": str(summary)})
        ctx.exit(1 if collation.rejected or collation.unlinked else 0)
    assumed = "" if collation.due_from_rules else " (assumed: the rule file sets none)"
    click.echo(
        f"{collation.rule_title}, {collation.period.label}, due {long_date(collation.due)}"
        f"{assumed}: {len(paths)} bundle(s); "
        f"{collation.count('received')} received, {collation.count('late')} late, "
        f"{collation.count('missing')} missing, {collation.count('rejected')} rejected"
    )
    if funder_key is not None:
        click.echo(
            f"  exact figures added from {len(collation.exact_from)} provider(s)"
            + (f": {', '.join(collation.exact_from)}" if collation.exact_from else "")
            + "; the rest from published figures"
        )
    for row in collation.providers:
        if row.status != "received":
            click.echo(f"  {row.status.upper():8} {row.code} {row.name}: {row.note}")
        elif row.note:
            click.echo(f"  NOTE     {row.code} {row.name}: {row.note}")
    for item in collation.rejected:
        click.echo(f"  NOT COLLATED {Path(item.file).name}: {item.reason}")
    for note in collation.unlinked:
        click.secho(f"  NOT AUDITED WITH {note}", fg="red", bold=True)
    for row in collation.providers:
        if row.received is not None and row.received.unverified:
            click.secho(
                f"  WARNING {row.code} collated with {row.received.unverified}", fg="red", bold=True
            )
    click.echo(f"  wrote {out}\n  wrote {summary}")
    if adx_file is not None:
        click.echo(f"  wrote {adx_file}")
    ctx.exit(1 if collation.rejected or collation.unlinked else 0)
