"""A funder's rule files, published on a hosted server for its providers to report with.

A published file is checked exactly as `peerreport rules lint` checks a file
on disk: it is written to a temporary folder and loaded with the rulebook's
own loader, so a broken file is refused with the loader's own message. It
may `extends` a rule file peerreport ships, or one the same funder published.
Its id, version and digest come from the loaded file. A version is published
once: the same version again with other content is refused (publish it as a
new version), the identical file again changes nothing.

The web and the builders load published rule files the way they load any
other: `materialise_rules` writes each funder's newest versions into a folder,
each workbook template at the path its rule file names (relative to the rule
file, as `rules/templates/...` is for shipped ones), and the rulebook's
`Catalogue` finds them by id there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from peerreport.errors import UsageError
from peerreport.rulebook import Catalogue, RuleFile, RuleFileInvalid, load
from peerreport.rulebook.resolve import default_search_path
from peerreport.store.hosted_schema import funder, published_rule
from peerreport.store.times import as_utc

_COLUMNS = [c for c in published_rule.c if c.name != "template"]


@dataclass(frozen=True)
class PublishedRule:
    """One published version of a funder's rule file (its template's bytes left out)."""

    id: int
    funder: str
    rule_id: str
    rule_version: str
    digest: str
    toml: str
    template_name: str | None  # where the rule file expects its workbook template
    published_at: dt.datetime

    @property
    def title(self) -> str:
        """The rule file's title: the return's name, as people read it."""
        title = tomllib.loads(self.toml).get("title")
        return str(title) if title else self.rule_id


def _published(row: Any) -> PublishedRule:
    return PublishedRule(
        id=int(row.id),
        funder=str(row.funder),
        rule_id=str(row.rule_id),
        rule_version=str(row.rule_version),
        digest=str(row.digest),
        toml=str(row.toml),
        template_name=row.template_name,
        published_at=as_utc(row.published_at),
    )


def _template_reference(rule_file: RuleFile) -> str | None:
    export = rule_file.model.export
    if export is None or export.xlsx is None:
        return None
    return export.xlsx.template


def _safe_reference(reference: str) -> str:
    """The template path as the rule file gives it, refused if it leaves the rule file's folder."""
    path = PurePosixPath(reference)
    if (
        "\\" in reference
        or path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or path.suffix.lower() != ".xlsx"
    ):
        raise UsageError(
            f"[export.xlsx] template = {reference!r}: on a server a template is an .xlsx file "
            'beside the rule file or in a folder below it, like "templates/return.xlsx"'
        )
    return path.as_posix()


def _check_workbook(template: bytes, template_name: str | None) -> None:
    shown = template_name or "the template"
    if template_name and not template_name.lower().endswith(".xlsx"):
        raise UsageError(f"{shown} is not an .xlsx workbook (save it as Excel Workbook .xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "xl/workbook.xml" not in names:
        raise UsageError(f"{shown} is not an .xlsx workbook (save it as Excel Workbook .xlsx)")


def _source_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return base if base.endswith(".toml") and len(base) > len(".toml") else "rule.toml"


def _plainly(exc: RuleFileInvalid, places: dict[Path, tuple[str, str]]) -> RuleFileInvalid:
    """The loader's findings with the temporary folders taken out of them.

    `places` maps a folder to what replaces it before a file name in it, and on its own.
    """

    def clean(text: str) -> str:
        for folder, (inside, alone) in places.items():
            text = text.replace(f"{folder}{os.sep}", inside).replace(str(folder), alone)
        return text

    findings = []
    for finding in exc.findings:
        location = finding.location
        if location.file:
            location = dataclasses.replace(location, file=clean(location.file))
        findings.append(
            dataclasses.replace(
                finding,
                message=clean(finding.message),
                hint=clean(finding.hint),
                location=location,
            )
        )
    return RuleFileInvalid(findings)


def check_rule_text(
    engine: Engine, funder_code: str, toml_text: str, source_name: str = "rule.toml"
) -> RuleFile:
    """Load the text as a rule file of this funder's; `RuleFileInvalid` as the loader says."""
    name = _source_name(source_name)
    with tempfile.TemporaryDirectory(prefix="peerreport-publish-") as tmp:
        given = Path(tmp) / "given"
        published = Path(tmp) / "published"
        given.mkdir()
        # Its parents may be this funder's published files, then the shipped ones.
        materialise_rules(engine, published, [funder_code])
        (given / name).write_text(toml_text, encoding="utf-8")
        catalogue = Catalogue([published, *default_search_path()])
        try:
            return load(given / name, catalogue)
        except RuleFileInvalid as exc:
            ours = f"{funder_code}'s published rule files"
            places = {given: ("", "the file's own folder"), published: (f"{ours}: ", ours)}
            raise _plainly(exc, places) from None


def publish_rule(
    engine: Engine,
    funder_code: str,
    toml_text: str,
    template: bytes | None,
    template_name: str | None,
    now: dt.datetime | None = None,
    source_name: str = "rule.toml",
) -> PublishedRule:
    """Publish a rule file (and the workbook template it names) for the funder's providers.

    `template_name` is the name the workbook came with (checked to be .xlsx);
    it is kept where the rule file's `[export.xlsx] template` says. `source_name`
    is the rule file's own name, used in the loader's messages.
    """
    with engine.connect() as conn:
        if conn.execute(select(funder.c.code).where(funder.c.code == funder_code)).first() is None:
            raise UsageError(
                f"there is no funder {funder_code!r} (see: peerreport admin funder list)"
            )
    rule_file = check_rule_text(engine, funder_code, toml_text, source_name)
    shipped = Catalogue(default_search_path()).find(rule_file.id)
    if shipped is not None:
        raise UsageError(
            f"'{rule_file.id}' is the id of a rule file peerreport ships ({shipped.name}); "
            f'give yours its own id, with extends = ["{rule_file.id}"] to build on it'
        )
    reference = _template_reference(rule_file)
    if reference is not None:
        reference = _safe_reference(reference)
        if template is None:
            raise UsageError(
                f"{rule_file.id} names the workbook template {reference!r} "
                "([export.xlsx] template): give the workbook too"
            )
        _check_workbook(template, template_name)
    elif template is not None:
        raise UsageError(
            f"{rule_file.id} names no workbook template, so the one given would not be used: "
            'add [export.xlsx] template = "templates/NAME.xlsx" to the rule file, '
            "or leave the workbook out"
        )
    try:
        return _record(engine, funder_code, rule_file, toml_text, reference, template, now)
    except IntegrityError:  # the same version published at the same moment by someone else
        raise UsageError(
            f"{funder_code} published {rule_file.id} version {rule_file.version} just now, "
            "at the same time; look at what is published and try again"
        ) from None


def _record(
    engine: Engine,
    funder_code: str,
    rule_file: RuleFile,
    toml_text: str,
    reference: str | None,
    template: bytes | None,
    now: dt.datetime | None,
) -> PublishedRule:
    """Store the checked rule file, unless this version is already published."""
    with engine.begin() as conn:
        same = conn.execute(
            select(published_rule).where(
                published_rule.c.funder == funder_code,
                published_rule.c.rule_id == rule_file.id,
                published_rule.c.rule_version == rule_file.version,
            )
        ).first()
        if same is not None:
            kept = None if same.template is None else bytes(same.template)
            if (same.digest, same.toml, same.template_name, kept) == (
                rule_file.digest,
                toml_text,
                reference,
                template,
            ):
                return _published(same)
            raise UsageError(
                f"{funder_code} has already published {rule_file.id} version "
                f"{rule_file.version} with other content; publish it as a new version "
                "(change `version` in the rule file)"
            )
        _refuse_clashes(conn, funder_code, rule_file.id, reference, template)
        conn.execute(
            insert(published_rule).values(
                funder=funder_code,
                rule_id=rule_file.id,
                rule_version=rule_file.version,
                digest=rule_file.digest,
                toml=toml_text,
                template_name=reference,
                template=template,
                published_at=dt.datetime.now(dt.UTC) if now is None else now,
            )
        )
        row = conn.execute(
            select(*_COLUMNS).where(
                published_rule.c.funder == funder_code,
                published_rule.c.rule_id == rule_file.id,
                published_rule.c.rule_version == rule_file.version,
            )
        ).one()
    return _published(row)


def _refuse_clashes(
    conn: Connection, funder_code: str, rule_id: str, reference: str | None, template: bytes | None
) -> None:
    """Every funder's rule files are found by id in one folder: ids and templates must not clash."""
    other = conn.execute(
        select(published_rule.c.funder).where(
            published_rule.c.rule_id == rule_id, published_rule.c.funder != funder_code
        )
    ).first()
    if other is not None:
        raise UsageError(
            f"funder {other.funder} has already published a rule file with the id {rule_id!r}; "
            "give this one its own id"
        )
    if reference is None:
        return
    for row in conn.execute(
        select(published_rule.c.rule_id, published_rule.c.template).where(
            published_rule.c.template_name == reference, published_rule.c.rule_id != rule_id
        )
    ):
        if bytes(row.template) != template:
            raise UsageError(
                f"{row.rule_id} already has a different workbook template at {reference!r}; "
                "give this rule file's template its own name"
            )


def published_rules(
    engine: Engine,
    funder: str | None = None,
    funders: Iterable[str] | None = None,
    all_versions: bool = False,
) -> list[PublishedRule]:
    """Published rule files: the newest version of each (funder, id), or every version.

    Sorted by funder and id, newest first within each (publication order:
    version strings are names, not numbers). `funder` or `funders` narrow it.
    """
    query = select(*_COLUMNS).order_by(
        published_rule.c.funder, published_rule.c.rule_id, published_rule.c.id.desc()
    )
    if funder is not None:
        query = query.where(published_rule.c.funder == funder)
    if funders is not None:
        query = query.where(published_rule.c.funder.in_(sorted(set(funders))))
    with engine.connect() as conn:
        rows = [_published(r) for r in conn.execute(query)]
    if all_versions:
        return rows
    newest: dict[tuple[str, str], PublishedRule] = {}
    for row in rows:
        newest.setdefault((row.funder, row.rule_id), row)
    return list(newest.values())


def template_of(engine: Engine, published_id: int) -> bytes | None:
    """The workbook template published with rule file `published_id`, if any."""
    with engine.connect() as conn:
        data = conn.execute(
            select(published_rule.c.template).where(published_rule.c.id == published_id)
        ).scalar_one_or_none()
    return None if data is None else bytes(data)


def materialise_rules(engine: Engine, folder: Path, funders: Iterable[str]) -> list[Path]:
    """Write the funders' newest published rule files (and templates) into `folder`.

    Each rule file is written as `<id>.toml`, each template at the path its rule
    file names, so `Catalogue([folder, ...])` loads them by id. Give a folder of
    its own (a temporary one): files already there are overwritten.
    """
    wanted = list(funders)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if not wanted:
        return written
    for rule in published_rules(engine, funders=wanted):
        path = folder / f"{rule.rule_id}.toml"
        path.write_text(rule.toml, encoding="utf-8")
        written.append(path)
        if rule.template_name:
            data = template_of(engine, rule.id)
            if data is not None:
                target = folder / _safe_reference(rule.template_name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    return written


__all__ = [
    "PublishedRule",
    "check_rule_text",
    "materialise_rules",
    "publish_rule",
    "published_rules",
    "template_of",
]
