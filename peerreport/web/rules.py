"""The rule files the web offers, loaded once and kept until a rule file changes on disk.

Loading a rule file parses its TOML, resolves what it extends and compiles its
expressions: a fifth of a second, too slow to repeat on every page. The
loaded files are kept for as long as no `.toml` in the rule search path is
added, removed or changed (its size and modification time): a funder's edit
shows on the next request. A hosted server's funder pages load the rule files
a funder published the same way (`kept_rule_file`, with the funder's folder).
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from peerreport.errors import UsageError
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile

_lock = threading.Lock()
#: Kept rule files per search path (the folders searched before the default path).
_kept: dict[tuple[Path, ...], dict[str, Any]] = {}

#: Folders searched before the default path for this request: on a hosted server,
#: the rule files published by the organisation's funders (set by the hosted guard).
published_folders: ContextVar[tuple[Path, ...]] = ContextVar("published_folders", default=())


def _search_path(folders: tuple[Path, ...] | None = None) -> list[Path]:
    from peerreport.rulebook.resolve import default_search_path

    first = published_folders.get() if folders is None else folders
    return [*first, *default_search_path()]


def _signature(folders: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    found = []
    for folder in _search_path(folders):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _current(folders: tuple[Path, ...] | None = None) -> dict[str, Any]:
    """The kept rule files, emptied when the search path's files changed."""
    folders = published_folders.get() if folders is None else folders
    signature = _signature(folders)
    with _lock:
        kept = _kept.setdefault(folders, {"signature": None})
        if kept["signature"] != signature:
            kept.update(signature=signature, choices=None, files={})
        return kept


def rule_choices() -> list[tuple[str, str]]:
    """(id, title) of every rule file peerreport knows, by title."""
    from peerreport.rulebook import Catalogue
    from peerreport.rulebook.resolve import peek_title

    kept = _current()
    if kept["choices"] is None:
        index = Catalogue(_search_path()).index()
        found = [(rule_id, peek_title(path) or rule_id) for rule_id, path in index.items()]
        kept["choices"] = sorted(found, key=lambda pair: pair[1].lower())
    return list(kept["choices"])


def published_ids() -> frozenset[str]:
    """The ids of the rule files this request's funders published (none on a local server)."""
    from peerreport.rulebook import Catalogue

    folders = [folder for folder in published_folders.get() if folder.is_dir()]
    return frozenset(Catalogue(folders).index()) if folders else frozenset()


def rule_file(rule_id: str) -> RuleFile:
    """The loaded rule file `rule_id` (one offered by `rule_choices`), or a plain refusal."""
    if rule_id not in dict(rule_choices()):
        raise UsageError("There is no such return; choose one on the Returns page.")
    return kept_rule_file(rule_id, published_folders.get())


def kept_rule_file(rule_id: str, folders: tuple[Path, ...]) -> RuleFile:
    """Rule file `rule_id` found first in `folders`, then the default path: loaded once, kept.

    The caller has checked `rule_id` is one it may load; a missing one is the
    loader's plain error.
    """
    from peerreport.rulebook import Catalogue, load

    files: dict[str, RuleFile] = _current(folders)["files"]
    found = files.get(rule_id)
    if found is None:
        found = load(rule_id, Catalogue(_search_path(folders)))
        files[rule_id] = found
    return found


def rule_and_period(rule_id: str, period_label: str) -> tuple[RuleFile, Period]:
    """The rule file and one of its periods (as `peerreport.filing.choose`, kept loaded)."""
    from peerreport.filing import period_of

    loaded = rule_file(rule_id)
    if not 4 <= len(period_label) <= 30:
        raise UsageError("There is no such period; choose one on the return's page.")
    return loaded, period_of(loaded, period_label)


__all__ = ["kept_rule_file", "published_ids", "rule_and_period", "rule_choices", "rule_file"]
