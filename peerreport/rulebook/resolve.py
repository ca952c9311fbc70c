"""Finding rule files by id and resolving `extends`.

A child rule file inherits its parents' groupings, measures and checks (in
the order of `extends`, later parents winning), then:
- a measure, check or grouping with an inherited id replaces it in place;
- new measures, checks and groupings are added after the inherited ones;
- `[[override]]` switches an inherited check off or changes its severity,
  message or hint;
- `[[remove]]` takes an inherited measure or check out (`removal`); the
  resolved file lists every removal of its chain with its reason;
- `[define]` names are inherited one by one, a child's replacing a parent's;
- `[disclosure]` keys the child sets replace the inherited ones; `period`,
  `year_start` and `[due]` are inherited when not set (`[due]` as a whole: its
  two forms exclude each other, so its keys are never mixed across files).
Fixtures are not inherited: they test the file that carries them.

Rule files are found by id in a search path of folders: the folder of the
file being loaded, then `PEERREPORT_RULES_PATH` (folders separated by the OS
path separator), then the shipped `rules/` folder. The first file with an id
wins. The current folder is not searched: a workspace holds other `.toml`
files (its settings, anything dropped there), and one hostile file must not
break `build` or `rules list`. A rule file given by path is read from there.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerreport.findings import Finding
from peerreport.language import did_you_mean
from peerreport.rulebook.loader import read_model, read_rule_text
from peerreport.rulebook.model import (
    Check,
    Counting,
    Disclosure,
    Due,
    Grouping,
    Measure,
    Release,
    Remove,
    RuleFileModel,
)
from peerreport.rulebook.problems import RuleFileInvalid, problem
from peerreport.rulebook.removal import check_targets, check_users, record


#: The repository's shipped rule files (present in a source checkout).
def _shipped_rules() -> Path:
    """The shipped rule files: the top-level `rules/` folder, installed as `peerreport_rules`."""
    from importlib import resources

    return Path(str(resources.files("peerreport_rules")))


SHIPPED_RULES = _shipped_rules()


def default_search_path() -> list[Path]:
    """PEERREPORT_RULES_PATH, then the shipped `rules/` folder (never the current folder)."""
    folders = [Path(p) for p in os.environ.get("PEERREPORT_RULES_PATH", "").split(os.pathsep) if p]
    return [*folders, SHIPPED_RULES]


@dataclass
class Catalogue:
    """The rule files in a search path, by id."""

    folders: Sequence[Path] = field(default_factory=default_search_path)
    _index: dict[str, Path] | None = None

    def index(self) -> dict[str, Path]:
        """id -> path for every readable rule file in the folders (first one wins)."""
        if self._index is None:
            self._index = {}
            for path in _toml_files(self.folders):
                rule_id = _peek_id(path)
                if rule_id is not None:
                    self._index.setdefault(rule_id, path)
        return self._index

    def find(self, rule_id: str) -> Path | None:
        """The path of the rule file with this id, if any."""
        return self.index().get(rule_id)

    def with_folder(self, folder: Path) -> Catalogue:
        """This catalogue with `folder` searched first."""
        return Catalogue([folder, *[f for f in self.folders if f != folder]])


def _toml_files(folders: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    result: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                result.append(path)
    return result


def _peek_id(path: Path) -> str | None:
    try:
        return _id_of(read_rule_text(path))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError, TOMLDecodeError too
        return None


def _id_of(text: str) -> str | None:
    """A rule file's id, if the text is one, remembered by the text's SHA-256 (each
    catalogue reads every file in its folders, and a folder of rule files was parsed
    again for every file linted)."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    if digest in _IDS:
        return _IDS[digest]
    data = tomllib.loads(text)
    rule_id = data.get("id")
    found = rule_id if isinstance(rule_id, str) and "title" in data else None
    if len(_IDS) >= _IDS_KEPT:
        _IDS.clear()
    _IDS[digest] = found
    return found


#: Rule files' ids by the SHA-256 of their text, and how many are kept.
_IDS: dict[bytes, str | None] = {}
_IDS_KEPT = 4096


@dataclass(frozen=True)
class Origin:
    """Where an inherited item was written: the file and its TOML key, e.g. measure[3]."""

    file: Path
    key: str


@dataclass(frozen=True)
class Resolved:
    """A rule file with `extends` resolved: one self-contained model, and each part's origin."""

    model: RuleFileModel  # extends and override are empty; disclosure, period, year_start set;
    # due as inherited (None when no file in the chain sets it)
    path: Path
    lineage: tuple[str, ...]  # every ancestor's id, nearest first
    origins: dict[str, Origin]  # "measure:ID", "check:ID", "grouping:NAME", "define:NAME",
    # "remove:measure:ID", "remove:check:ID" -> origin


@dataclass
class _Merge:
    measures: dict[str, Measure] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    groupings: dict[str, Grouping] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)
    removals: list[Remove] = field(default_factory=list)
    disclosure: dict[str, Any] = field(default_factory=dict)
    release: dict[str, Any] = field(default_factory=dict)
    period: str | None = None
    year_start: str | None = None
    due: Due | None = None
    counting: Counting | None = None
    purchase_units: list[str] = field(default_factory=list)  # the nearest file's that lists some
    lineage: list[str] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)


def counts_only(counting: Counting | None) -> bool:
    """Does a (resolved) `[counting]` count only the rule file's own purchase units?"""
    return counting is not None and counting.purchase_units == "only"


def resolve(path: Path, catalogue: Catalogue | None = None) -> Resolved:
    """Read the rule file at `path` and resolve its `extends` chain."""
    catalogue = (catalogue or Catalogue()).with_folder(path.parent)
    model = read_model(path)
    merged = _Resolver(catalogue).merge(model, path, (model.id,))
    final = model.model_copy(
        update={
            "extends": [],
            "override": [],
            "period": merged.period or "quarter",
            "year_start": merged.year_start or "07-01",
            "due": merged.due,
            "counting": merged.counting,
            # A file that counts only its purchase units but lists none of its own (a
            # funder's tailoring of nz-peer-support-adults, say) counts its parent's: without
            # them it would count only the records that carry none.
            "purchase_units": model.purchase_units
            or (merged.purchase_units if counts_only(merged.counting) else []),
            "disclosure": Disclosure.model_validate(merged.disclosure),
            "release": Release.model_validate(merged.release) if merged.release else None,
            "grouping": merged.groupings,
            "measure": list(merged.measures.values()),
            "check": list(merged.checks.values()),
            "define": merged.defines,
            # What the chain removed and still is removed (a later file may define it again).
            "remove": [
                r
                for r in merged.removals
                if r.target not in (merged.measures if r.kind == "measure" else merged.checks)
            ],
        }
    )
    release = final.release
    if release is not None and release.funder_exact and release.funder_key is None:
        raise RuleFileInvalid(
            [
                problem(
                    "RUL-035",
                    "[release] funder_exact = true needs funder_key, the funder's public key "
                    "('x25519:...')",
                    path,
                    "release.funder_key",
                    hint="The funder makes it with `peerreport keys funder-new --out DIR` and "
                    "puts the printed key in the base rule file's [release].",
                )
            ]
        )
    lineage = tuple(dict.fromkeys(merged.lineage))
    return Resolved(final, path, lineage, merged.origins)


class _Resolver:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.problems: list[Finding] = []

    def merge(self, model: RuleFileModel, path: Path, stack: tuple[str, ...]) -> _Merge:
        result = _Merge()
        for index, parent_id in enumerate(model.extends):
            key = f"extends[{index}]"
            if parent_id in stack:
                chain = " -> ".join([*stack[stack.index(parent_id) :], parent_id])
                raise RuleFileInvalid([problem("RUL-030", f"cycle in extends: {chain}", path, key)])
            parent_path = self.catalogue.find(parent_id)
            if parent_path is None:
                known = list(self.catalogue.index())
                raise RuleFileInvalid(
                    [
                        problem(
                            "RUL-030",
                            f"unknown parent rule file '{parent_id}'."
                            + did_you_mean(parent_id, known),
                            path,
                            key,
                            hint="Parents are found by id in: "
                            + ", ".join(str(f) for f in self.catalogue.folders),
                        )
                    ]
                )
            parent = read_model(parent_path)
            inherited = self.merge(parent, parent_path, (*stack, parent_id))
            result.lineage += [parent_id, *inherited.lineage]
            _absorb(result, inherited)
        self._apply(result, model, path)
        if self.problems:
            raise RuleFileInvalid(self.problems)
        return result

    def _apply(self, result: _Merge, model: RuleFileModel, path: Path) -> None:
        self._unique([m.id for m in model.measure], "measure", path)
        self._unique([c.id for c in model.check], "check", path)
        self.problems += check_targets(model, path, result.measures, result.checks)
        for index, removal in enumerate(model.remove):
            store: dict[str, Any] = result.measures if removal.kind == "measure" else result.checks
            if store.pop(removal.target, None) is not None:
                result.origins.pop(f"{removal.kind}:{removal.target}", None)
                result.origins[f"remove:{removal.kind}:{removal.target}"] = Origin(
                    path, f"remove[{index}]"
                )
        result.removals = record(result.removals, model)
        for index, measure in enumerate(model.measure):
            result.measures[measure.id] = measure
            result.origins[f"measure:{measure.id}"] = Origin(path, f"measure[{index}]")
        for index, check in enumerate(model.check):
            result.checks[check.id] = check
            result.origins[f"check:{check.id}"] = Origin(path, f"check[{index}]")
        for name, grouping in model.grouping.items():
            result.groupings[name] = grouping
            result.origins[f"grouping:{name}"] = Origin(path, f"grouping.{name}")
        for name, text in model.define.items():
            result.defines[name] = text
            result.origins[f"define:{name}"] = Origin(path, f"define.{name}")
        if model.disclosure is not None:
            result.disclosure.update(
                {k: getattr(model.disclosure, k) for k in model.disclosure.model_fields_set}
            )
        if model.release is not None:
            result.release.update(
                {k: getattr(model.release, k) for k in model.release.model_fields_set}
            )
        result.period = model.period or result.period
        result.year_start = model.year_start or result.year_start
        result.due = model.due or result.due
        result.counting = model.counting or result.counting
        result.purchase_units = list(model.purchase_units) or result.purchase_units
        for index, override in enumerate(model.override):
            inherited = result.checks.get(override.check)
            if inherited is None:
                hint = did_you_mean(override.check, list(result.checks))
                self.problems.append(
                    problem(
                        "RUL-033",
                        f"override of unknown check '{override.check}'.{hint}",
                        path,
                        f"override[{index}].check",
                    )
                )
                continue
            changes = {
                k: v for k, v in override.model_dump(exclude={"check"}).items() if v is not None
            }
            result.checks[inherited.id] = replace_check(inherited, changes)
        self.problems += check_users(model, path, result.measures, result.checks, result.defines)

    def _unique(self, ids: list[str], what: str, path: Path) -> None:
        seen: set[str] = set()
        for index, ident in enumerate(ids):
            if ident in seen:
                self.problems.append(
                    problem(
                        "RUL-031",
                        f"{what} id '{ident}' is used twice in this file",
                        path,
                        f"{what}[{index}].id",
                    )
                )
            seen.add(ident)


def replace_check(check: Check, changes: dict[str, Any]) -> Check:
    """A copy of `check` with some fields changed (validated again)."""
    data = check.model_dump(by_alias=True)
    data.update({("assert" if k == "assert_" else k): v for k, v in changes.items()})
    return Check.model_validate(data)


def _absorb(into: _Merge, other: _Merge) -> None:
    into.measures.update(other.measures)
    into.checks.update(other.checks)
    into.groupings.update(other.groupings)
    into.defines.update(other.defines)
    merged = {(r.kind, r.target): r for r in [*into.removals, *other.removals]}
    into.removals = list(merged.values())
    into.disclosure.update(other.disclosure)
    into.release.update(other.release)
    into.period = other.period or into.period
    into.year_start = other.year_start or into.year_start
    into.due = other.due or into.due
    into.counting = other.counting or into.counting
    into.purchase_units = other.purchase_units or into.purchase_units
    into.origins.update(other.origins)


__all__ = ["Catalogue", "Origin", "Resolved", "default_search_path", "resolve"]


def peek_title(path: Path) -> str | None:
    """The title of the rule file at `path`, read without resolving it (None if unreadable)."""
    try:
        data = tomllib.loads(read_rule_text(path))
    except (OSError, ValueError, RecursionError):
        return None
    title = data.get("title")
    return title if isinstance(title, str) else None
