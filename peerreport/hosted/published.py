"""The rule files a funder has published, as the loader finds them on this server.

Publishing stores a rule file (and its funder template) in the database; the
server writes each funder's files into `data_dir/published/<funder>`, searched
before the shipped rule files, so a published file may extend a shipped one.

A return built under another version of a published rule file is judged as
`peerreport collate` judges it (`collate.releases.release_fit`): the same
meaning digest fits, with the note "built under version X: presentation
differs"; another meaning does not, and the reason says what changed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.collate.releases import ReleaseFit, release_fit
from peerreport.errors import UsageError
from peerreport.hosted.config import ServerConfig
from peerreport.ledger import Submission
from peerreport.returns.model import RuleInfo
from peerreport.rulebook import RuleFile


def published_folder(config: ServerConfig, funder: str) -> Path:
    """Where funder `funder`'s published rule files are written."""
    return config.data_dir / "published" / funder


def funder_rule_choices(engine: Engine, funder: str) -> list[tuple[str, str]]:
    """(rule id, version) of the funder's published rule files, newest version of each."""
    from peerreport.hosted.directory import published_rules

    seen: dict[str, str] = {}
    for found in published_rules(engine, funder=funder):
        seen.setdefault(found.rule_id, found.rule_version)
    return sorted(seen.items())


def funder_rule_file(config: ServerConfig, engine: Engine, funder: str, rule_id: str) -> RuleFile:
    """The loaded rule file `rule_id` as funder `funder` published it, or a plain refusal.

    Loaded once and kept until a rule file in the search path changes (loading
    one takes a large part of a second: the dashboard would spend it on every view).
    """
    from peerreport.web.rules import kept_rule_file

    if rule_id not in dict(funder_rule_choices(engine, funder)):
        raise UsageError("This funder has published no such rule file.")
    return kept_rule_file(rule_id, (published_folder(config, funder),))


@dataclass(frozen=True)
class PublishedFit:
    """How a return's rule file stands to the newest version of it a funder published."""

    funder: str
    version: str  # the published version compared with
    fit: ReleaseFit
    #: The published rule file, loaded only when the digests differ (None when they match).
    rule_file: RuleFile | None


def published_by(funder_name: str) -> str:
    """How a refusal names the published rule file: 'the rule file NAME published'."""
    return f"the rule file {funder_name} published"


def published_fit(
    engine: Engine,
    built: RuleInfo,
    manifest: Mapping[str, Any] | None = None,
    data_dir: Path | None = None,
) -> PublishedFit | None:
    """`built` against the newest published version of its rule file; None when no funder
    published that id. `manifest` (the bundle's) lets a refusal say what changed.

    The published file is loaded only when the digests differ, in a temporary
    folder under `data_dir` (default: the system's).
    """
    from peerreport.hosted.collation import published_rule_file
    from peerreport.hosted.directory import funders, published_rules

    found = next((p for p in published_rules(engine) if p.rule_id == built.id), None)
    if found is None:
        return None
    if found.digest == built.digest:
        return PublishedFit(found.funder, found.rule_version, ReleaseFit(), None)
    folder = data_dir if data_dir is not None else Path(tempfile.gettempdir())
    rule_file = published_rule_file(engine, folder, found.funder, built.id)
    name = dict(funders(engine)).get(found.funder, found.funder)
    fit = release_fit(built, manifest, rule_file, against=published_by(name))
    return PublishedFit(found.funder, found.rule_version, fit, rule_file)


def presentation_notes(
    config: ServerConfig, engine: Engine, filed: Iterable[Submission]
) -> dict[int, str]:
    """The note "built under version X: presentation differs" of each submission (by ledger
    id) filed under a presentation-only change of the rule file as published now."""
    from peerreport.hosted.directory import published_rules

    publisher = {p.rule_id: (p.funder, p.digest) for p in published_rules(engine)}
    notes: dict[int, str] = {}
    loaded: dict[str, RuleFile] = {}
    for entry in filed:
        found = publisher.get(entry.rule_id)
        if found is None or entry.rule_digest == found[1]:
            continue
        if entry.rule_id not in loaded:
            loaded[entry.rule_id] = funder_rule_file(config, engine, found[0], entry.rule_id)
        note = release_fit(entry.ret.rule, None, loaded[entry.rule_id]).presentation
        if note is not None:
            notes[entry.id] = note
    return notes


def submission_release(
    config: ServerConfig, engine: Engine, funder: str, entry: Submission, data: bytes | None
) -> PublishedFit | None:
    """A submitted return against the rule file `funder` publishes now (what the funder's
    submission page shows); None when the funder publishes no such rule file. `data`, the
    stored bundle, lets a refusal say what changed."""
    from peerreport.hosted.directory import funders

    published = dict(funder_rule_choices(engine, funder))
    if entry.rule_id not in published:
        return None
    rule_file = funder_rule_file(config, engine, funder, entry.rule_id)
    name = dict(funders(engine)).get(funder, funder)
    fit = release_fit(entry.ret.rule, _manifest(data), rule_file, against=published_by(name))
    return PublishedFit(funder, rule_file.version, fit, rule_file)


def release_change(engine: Engine, funder: str, rule_id: str) -> str | None:
    """What publishing the newest version of `rule_id` means for returns filed under the one
    before, in words, judged as collate judges them; None when there was none before."""
    from peerreport.collate.releases import what_changed
    from peerreport.hosted.publishing import check_rule_text, published_rules
    from peerreport.rulebook import resolved_text

    versions = [
        p for p in published_rules(engine, funder=funder, all_versions=True) if p.rule_id == rule_id
    ]
    if len(versions) < 2:
        return None
    newest, before = versions[0], versions[1]
    new = check_rule_text(engine, funder, newest.toml, f"{rule_id}.toml")
    old = check_rule_text(engine, funder, before.toml, f"{rule_id}.toml")
    built = RuleInfo(old.id, old.version, old.digest, before.title, meaning=old.meaning)
    carried = {"rule_file": {"resolved": resolved_text(old)}}
    fit = release_fit(built, carried, new)
    if fit.refusal is None:
        return (
            f"Only presentation changed from version {old.version}: returns filed under it "
            f"are still taken and collated with this version, with the note "
            f"\u201c{fit.presentation or 'the same rule file'}\u201d."
        )
    return (
        f"The meaning changed from version {old.version}: returns filed under it are left out "
        "of collations with this version, and bundles built under it are refused"
        + what_changed(carried, new)
        + "."
    )


def _manifest(data: bytes | None) -> dict[str, Any] | None:
    """The bundle's manifest as JSON data, or None when it cannot be read."""
    import json

    from peerreport.bundle import MANIFEST_NAME, ArchiveError, read_archive

    if data is None:
        return None
    try:
        found = json.loads(read_archive(data).entries[MANIFEST_NAME])
    except (ArchiveError, KeyError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write_published(config: ServerConfig, engine: Engine, funders: list[str] | None = None) -> None:
    """Write the published rule files of `funders` (default: all) where the loader looks."""
    from peerreport.hosted.directory import funders as all_funders
    from peerreport.hosted.directory import materialise_rules

    codes = funders if funders is not None else [code for code, _ in all_funders(engine)]
    for code in codes:
        materialise_rules(engine, published_folder(config, code), [code])


__all__ = [
    "PublishedFit",
    "funder_rule_choices",
    "funder_rule_file",
    "presentation_notes",
    "published_by",
    "published_fit",
    "published_folder",
    "release_change",
    "submission_release",
    "write_published",
]
