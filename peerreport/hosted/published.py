"""The rule files a funder has published, as the loader finds them on this server.

Publishing stores a rule file (and its funder template) in the database; the
server writes each funder's files into `data_dir/published/<funder>`, searched
before the shipped rule files, so a published file may extend a shipped one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from peerreport.errors import UsageError
from peerreport.hosted.config import ServerConfig
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
    """The loaded rule file `rule_id` as funder `funder` published it, or a plain refusal."""
    from peerreport.rulebook import Catalogue, load
    from peerreport.rulebook.resolve import default_search_path

    if rule_id not in dict(funder_rule_choices(engine, funder)):
        raise UsageError("This funder has published no such rule file.")
    folder = published_folder(config, funder)
    return load(rule_id, Catalogue([folder, *default_search_path()]))


def write_published(config: ServerConfig, engine: Engine, funders: list[str] | None = None) -> None:
    """Write the published rule files of `funders` (default: all) where the loader looks."""
    from peerreport.hosted.directory import funders as all_funders
    from peerreport.hosted.directory import materialise_rules

    codes = funders if funders is not None else [code for code, _ in all_funders(engine)]
    for code in codes:
        materialise_rules(engine, published_folder(config, code), [code])


__all__ = ["funder_rule_choices", "funder_rule_file", "published_folder", "write_published"]
