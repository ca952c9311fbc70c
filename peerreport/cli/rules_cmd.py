"""`peerreport rules`: list, show, lint and test rule files; print their JSON Schema.

A thin layer over `peerreport.rulebook` (load, lint, schema) and
`peerreport.compute.fixtures` (run fixtures). Exit codes: 0 ok; 1 rule-file
errors or failing fixtures; 2 usage errors (raised as `PeerreportError`s and
turned into a plain message by the `peerreport` group); 3 internal errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(fn: F) -> F:
    """--json: print machine-readable JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _targets(paths: Iterable[str]) -> list[str | Path]:
    """Files and ids as given; folders expanded to their .toml files; none: the search path."""
    from peerreport.rulebook import Catalogue

    given = list(paths)
    if not given:
        return list(Catalogue().index().values())
    result: list[str | Path] = []
    for item in given:
        path = Path(item)
        if path.is_dir():
            result += sorted(path.glob("*.toml"))
        else:
            result.append(item)
    return result


@click.group()
def rules() -> None:
    """Rule files: the declarative definitions of funders' returns.

    \b
    Examples:
      peerreport rules list
      peerreport rules show example-peer-support
      peerreport rules lint rules/
      peerreport rules test rules/
      peerreport rules diff old/nz-peer-core.toml rules/nz-peer-core.toml
      peerreport rules pack nz-peer-core --out nz-peer-core.zip
      peerreport rules review nz-peer-core --volume 40
      peerreport rules schema > rule-file.schema.json
    """


@rules.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List the rule files in the search path.

    The search path is PEERREPORT_RULES_PATH, then the shipped rules/ folder.
    The current folder is not searched: give your own rule file by path, or
    put its folder in PEERREPORT_RULES_PATH.

    \b
    Example:
      peerreport rules list --json
    """
    from peerreport.rulebook import Catalogue
    from peerreport.rulebook.loader import read_toml

    rows = []
    for rule_id, path in Catalogue().index().items():
        data = read_toml(path)
        rows.append(
            {
                "id": rule_id,
                "title": data.get("title", ""),
                "version": data.get("version", ""),
                "extends": data.get("extends", []),
                "path": str(path),
            }
        )
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("No rule files found.")
    for row in rows:
        parents = f"  (extends {', '.join(row['extends'])})" if row["extends"] else ""
        click.echo(f"{row['id']}  {row['version']}  {row['title']}{parents}")
        click.echo(f"    {row['path']}")


@rules.command()
@click.argument("rule_file")
@json_option
def show(rule_file: str, as_json: bool) -> None:
    """Print a rule file with `extends` resolved (by id or path).

    \b
    Example:
      peerreport rules show example-peer-support
      peerreport rules show rules/example-peer-support.toml --json
    """
    from peerreport.rulebook import canonical, load

    loaded = load(rule_file)
    data = {
        "digest": loaded.digest,
        "meaning": loaded.meaning,
        "path": str(loaded.path),
        "lineage": list(loaded.lineage),
        **canonical(loaded.model),
    }
    if as_json:
        _echo_json(data)
        return
    click.echo(_describe(data))


def _describe(data: dict[str, Any]) -> str:
    lines = [
        f"{data['id']} {data['version']}: {data['title']}",
        f"  file: {data['path']}",
        f"  digest: {data['digest']}",
    ]
    if data["lineage"]:
        lines.append(f"  extends: {' -> '.join(data['lineage'])}")
    lines.append(f"  period: {data['period']}, financial year starts {data['year_start']}")
    lines.append(f"  due: {_due_words(data.get('due'))}")
    disclosure = data["disclosure"]
    lines.append("  disclosure: " + ", ".join(f"{k} = {v}" for k, v in sorted(disclosure.items())))
    for name, grouping in data["grouping"].items():
        lines.append(f"  grouping {name} of {grouping['field']}: {grouping['map']}")
    for name, text in data.get("define", {}).items():
        lines.append(f"  define {name} = {text}")
    lines.append("measures:")
    for m in data["measure"]:
        kind = next(k for k in ("count", "sum", "distinct", "min", "max", "expr") if m.get(k))
        extra = f" where {m['where']}" if m.get("where") else ""
        extra += f" by {', '.join(m['by'])}" if m.get("by") else ""
        source = f" over {m['source']}" if m.get("source") else ""
        lines.append(f"  {m['id']}: {kind} {m[kind]}{source}{extra}")
    lines.append("checks:")
    for c in data["check"]:
        state = "" if c["enabled"] else " (disabled)"
        rule = c.get("assert") or f"{c['total']} = sum of {', '.join(c['parts'])}"
        lines.append(f"  {c['id']} [{c['severity']}]{state}: {rule}")
    if data.get("remove"):
        lines.append("removed:")
        for r in data["remove"]:
            kind = "measure" if r.get("measure") else "check"
            lines.append(f"  {kind} {r.get(kind)}: {r['reason']}")
    return "\n".join(lines)


def _due_words(due: dict[str, Any] | None) -> str:
    """The `[due]` table in words, or that there is none."""
    if due is None:
        return "not set (returns carry no due date)"
    from peerreport.rulebook.model import Due

    return Due.model_validate(due).describe()


@rules.command()
@click.argument("paths", nargs=-1)
@json_option
@click.pass_context
def lint(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    """Check rule files without data: format, extends, expressions, privacy, fixtures.

    Then warns (`warn`, exit code 0) where a file would let small counts out:
    a disclosure policy that publishes them, a check message that prints a
    protected figure, measures publishing overlapping tables (in one file, or
    in files linted together that share a base). A file with a funder's
    template (`[export.xlsx]`) has its mapping checked against the workbook:
    sheets, cells and named ranges, formula and merged cells, measures and
    their cell codes, two keys on one cell.

    PATHS are rule files, folders of rule files or rule file ids; none means
    every rule file in the search path. Exit code 1 if any has an error.

    \b
    Example:
      peerreport rules lint rules/
      peerreport rules lint my-return.toml --json
    """
    from peerreport.findings import has_errors
    from peerreport.rulebook import lint as lint_file
    from peerreport.rulebook import render

    results: dict[str, list[Any]] = {}
    targets = list(_targets(paths))
    for target in targets:
        found = lint_file(target)
        results[str(target)] = found if has_errors(found) else found + _template_findings(target)
    for name, findings in _shared_base_overlaps(targets, results).items():
        results[name] += findings
    failed = any(has_errors(f) for f in results.values())
    if as_json:
        _echo_json({k: [f.to_dict() for f in v] for k, v in results.items()})
    else:
        for target_name, findings in results.items():
            label = "FAIL" if has_errors(findings) else "warn" if findings else "ok  "
            click.echo(f"{label} {target_name}")
            for finding in findings:
                click.echo("  " + render(finding).replace("\n", "\n  "))
    if failed:
        ctx.exit(1)


def _template_findings(target: Any) -> list[Any]:
    """The `[export.xlsx]` mapping checked against the funder's template (RUL-060 to RUL-065)."""
    from peerreport.render.template_lint import lint_template
    from peerreport.rulebook import RuleFileInvalid, load

    try:
        return lint_template(load(target))
    except RuleFileInvalid:
        return []


def _shared_base_overlaps(
    targets: list[Any], results: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """RUL-052 warnings between linted files that share a base, by the later file's name."""
    from peerreport.findings import has_errors
    from peerreport.rulebook import RuleFileInvalid, load, overlapping_between

    loaded = {}
    for target in targets:
        if has_errors(results[str(target)]):
            continue
        try:
            loaded[str(target)] = load(target)
        except RuleFileInvalid:
            continue
    by_path = {str(rule_file.path): name for name, rule_file in loaded.items()}
    found: dict[str, list[Any]] = {}
    for item in overlapping_between(list(loaded.values())):
        name = by_path.get(str(item.location.file), "")
        if name:
            found.setdefault(name, []).append(item)
    return found


@rules.command()
@click.argument("paths", nargs=-1)
@json_option
@click.pass_context
def test(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    """Run the fixtures of rule files and report pass or fail for each.

    PATHS are rule files, folders or ids; none means the search path. Each
    fixture runs in a fresh in-memory database. Exit code 1 if any fails.

    \b
    Example:
      peerreport rules test rules/
      peerreport rules test rules/example-peer-support.toml --json
    """
    from peerreport.compute.fixtures import run_fixtures
    from peerreport.rulebook import RuleFileInvalid, load, render

    report: list[dict[str, Any]] = []
    for target in _targets(paths):
        try:
            loaded = load(target)
        except RuleFileInvalid as exc:
            report.append(
                {
                    "rule_file": str(target),
                    "fixture": None,
                    "passed": False,
                    "problems": [render(f) for f in exc.findings],
                }
            )
            continue
        report += [r.to_dict() for r in run_fixtures(loaded)]
    failed = [r for r in report if not r["passed"]]
    if as_json:
        _echo_json(report)
    else:
        for r in report:
            name = f"{r['rule_file']}: {r['fixture']}" if r["fixture"] else r["rule_file"]
            click.echo(f"{'PASS' if r['passed'] else 'FAIL'} {name}")
            for problem in r["problems"]:
                click.echo("    " + problem.replace("\n", "\n    "))
            if r.get("findings"):
                click.echo("    the findings were:")
            for found in r.get("findings", []):
                click.echo("      " + found.replace("\n", "\n      "))
        click.echo(f"{len(report) - len(failed)} passed, {len(failed)} failed")
    if failed:
        ctx.exit(1)


@rules.command()
@click.argument("old")
@click.argument("new")
@json_option
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, as_json: bool) -> None:
    """List what changed from rule file OLD to NEW, each change marked meaning or presentation.

    OLD and NEW are paths or ids, compared resolved (extends included):
    measures, checks and groupings added, removed or changed, key by key. A
    *meaning* change can change figures or findings (a filter, a breakdown, a
    check's condition or severity, the disclosure policy, the periods); a
    *presentation* change cannot (labels, descriptions, units, line codes,
    check titles, messages and hints, the version). Bundles built under OLD
    still collate with NEW when only presentation changed.

    Exit code 0 when nothing or only presentation changed, 1 when the meaning
    changed, 2 for usage errors (a file that cannot be read or loaded).

    \b
    Example:
      peerreport rules diff old/nz-peer-core.toml rules/nz-peer-core.toml
      peerreport rules diff old/nz-peer-core.toml nz-peer-core --json
    """
    from peerreport.rulebook import load
    from peerreport.rulebook.diff import diff as diff_files

    found = diff_files(load(old).model, load(new).model)
    if as_json:
        _echo_json(found.to_dict())
    else:
        before, after = found.old, found.new
        click.echo(f"{before['id']} {before['version']} -> {after['id']} {after['version']}")
        for change in found.changes:
            kind = "meaning" if change.meaning else "presentation"
            click.echo(f"  {kind:12} {change.text}")
        if not found.changes:
            click.echo("  no changes")
        click.echo(
            "the meaning changed: bundles built under the old file do not collate with the new"
            if found.meaning_changed
            else "the meaning is the same (meaning digest "
            f"{after['meaning']}): bundles built under either collate with both"
        )
    if found.meaning_changed:
        ctx.exit(1)


@rules.command()
@click.argument("rule_file")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
def doc(rule_file: str, out: Path) -> None:
    """Write a readable specification of a return (HTML) for funders and coordinators.

    What each figure counts, every check with its message and hint, and how
    small counts are protected, with `extends` resolved.

    \b
    Example:
      peerreport rules doc nz-peer-support-adults --out mhc36f-specification.html
    """
    from peerreport.render.ruledoc import render_rule_doc
    from peerreport.rulebook import load

    out.write_text(render_rule_doc(load(rule_file)), "utf-8")
    click.echo(f"wrote {out}")


@rules.command()
@click.argument("rule_file")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The folder to write, or NAME.zip for one file to e-mail. Must not exist.",
)
def pack(rule_file: str, out: Path) -> None:
    """Pack a rule file with everything providers need, to send to them.

    Writes the rule file resolved (`extends` flattened: it loads on its own,
    with the same digest and meaning digest), manifest.json (its digests and a
    checksum of each file), the specification (as `rules doc` writes it), the
    intake workbook for the return, the funder's workbook template when
    `[export.xlsx] template` is set and the funder's public key
    (funder.x25519.pub) when `[release] funder_key` is set. OUT ending in
    .zip gets one zip file; anything else, a folder. Nothing is overwritten.

    \b
    Example:
      peerreport rules pack nz-peer-support-adults --out mhc36f-2026.zip
      peerreport rules pack my-return.toml --out my-return-pack
    """
    from peerreport.packing import pack_rule_file

    made = pack_rule_file(rule_file, out)
    manifest = made.manifest
    click.echo(f"wrote {out}: {manifest['rule_id']} {manifest['version']}")
    for name in made.files:
        click.echo(f"  {name}")
    click.echo(f"digest {manifest['digest']}, meaning {manifest['meaning']}")


@rules.command()
@click.argument("rule_file")
@click.option(
    "--volume",
    required=True,
    type=click.IntRange(min=0),
    help="How many records you typically have in a period, e.g. activities per quarter.",
)
@json_option
@click.pass_context
def review(ctx: click.Context, rule_file: str, volume: int, as_json: bool) -> None:
    """Review a return for your organisation's size: a report to send the funder.

    Reads the rule file only (no records). Lists (a) the figures small-count
    protection will hide at VOLUME records a period: *never shown* when
    VOLUME is below the threshold, *mostly hidden* when VOLUME divided by the
    breakdown's cells is; only counts of records are judged, taking every
    record as one the figure could count (the best case); (b) the record
    fields each figure needs. Rule files have no `nothing` declaration yet,
    so (c) figures without one are not listed.

    Exit code 0 when no figure is flagged, 1 when some are, 2 for usage
    errors.

    \b
    Example:
      peerreport rules review nz-peer-core --volume 40
      peerreport rules review my-return.toml --volume 12 --json > review.json
    """
    from peerreport.rule_review import review as review_rules
    from peerreport.rule_review import review_text
    from peerreport.rulebook import load

    result = review_rules(load(rule_file), volume)
    if as_json:
        _echo_json(result.to_dict())
    else:
        click.echo(review_text(result))
    if result.flagged:
        ctx.exit(1)


@rules.command()
def schema() -> None:
    """Print the JSON Schema of rule files, for editors that validate TOML.

    \b
    Example:
      peerreport rules schema > rule-file.schema.json
    """
    from peerreport.rulebook import json_schema_text

    click.echo(json_schema_text(), nl=False)
