"""What changed between two versions of a rule file, in words, each change marked as
*meaning* (it can change figures or findings) or *presentation* (wording only).

Both files are compared resolved (after `extends` and overrides), part by
part: the top-level keys, `[disclosure]`, `[due]`, `[release]`, groupings by
name, measures and checks by id. Which keys are presentation is said once, in
`meaning.PRESENTATION`, so a diff with no meaning change is exactly a pair of
files with the same meaning digest.

Expressions are compared with their defines written out, as the meaning
digest takes them, and `[define]` is listed name by name: a define's change
is *meaning* when it changes an expression that uses it (that expression's
change is listed too), *presentation* when it changes none (a repeated
expression moved into a define, or a define nothing uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from peerreport.language import ExpressionError, parse
from peerreport.language.ast import names
from peerreport.rulebook.digest import digest
from peerreport.rulebook.meaning import EXPRESSIONS, KEYED, meaning_digest, parts, presentation
from peerreport.rulebook.model import RuleFileModel

#: How a key is named in a change's words, where the key itself would puzzle a reader.
_WORDS = {
    "where": "filter",
    "by": "breakdown (by)",
    "assert": "condition",
    "count": "definition (count)",
    "sum": "definition (sum)",
    "distinct": "definition (distinct)",
    "min": "definition (min)",
    "max": "definition (max)",
    "expr": "definition (expr)",
    "nothing": "nothing collected (nothing)",
    "total": "total",
    "parts": "parts",
    "line": "line code",
    "define": "expression",
}


@dataclass(frozen=True)
class Change:
    """One difference: which part and item, which key, before and after."""

    part: str  # rule file, disclosure, due, release, grouping, define, measure, check
    item: str  # the measure, check or grouping id, the define's name; "" for the rule file
    # and its tables
    key: str  # the key changed; "" when the whole item was added or removed
    change: Literal["added", "removed", "changed"]
    old: Any
    new: Any
    meaning: bool

    @property
    def text(self) -> str:
        """The change in words, e.g. "measure calls: filter changed from 'a' to 'b'"."""
        where = f"{self.part} {self.item}" if self.item else self.part
        if not self.key:
            return f"{where}: {self.change}"
        name = _WORDS.get(self.key, self.key.replace("_", " "))
        if self.change == "added":
            return f"{where}: {name} set to {_shown(self.new)}"
        if self.change == "removed":
            return f"{where}: {name} removed (was {_shown(self.old)})"
        if self.key in ("severity", "enabled", "method", "threshold", "period"):
            return f"{where}: {name} {_bare(self.old)} → {_bare(self.new)}"
        return f"{where}: {name} changed from {_shown(self.old)} to {_shown(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "part": self.part,
            "item": self.item,
            "key": self.key,
            "change": self.change,
            "old": self.old,
            "new": self.new,
            "kind": "meaning" if self.meaning else "presentation",
            "text": self.text,
        }


@dataclass(frozen=True)
class RuleFileDiff:
    """Every change from one rule file to another, and both files' digests."""

    old: dict[str, str]  # id, version, digest, meaning
    new: dict[str, str]
    changes: tuple[Change, ...]

    @property
    def meaning_changed(self) -> bool:
        """True when some change can alter figures or findings."""
        return any(c.meaning for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "old": self.old,
            "new": self.new,
            "meaning_changed": self.meaning_changed,
            "changes": [c.to_dict() for c in self.changes],
        }


def describe(model: RuleFileModel) -> dict[str, str]:
    """A rule file's id, version and both digests."""
    return {
        "id": model.id,
        "version": model.version,
        "digest": digest(model),
        "meaning": meaning_digest(model),
    }


def diff(old: RuleFileModel, new: RuleFileModel) -> RuleFileDiff:
    """The changes from `old` to `new` (both resolved)."""
    before, after = parts(old), parts(new)
    changes: list[Change] = []
    for part in before:
        # A key is wording only if it is on both sides (purchase_units is not, with "only").
        drop = presentation(part, old) & presentation(part, new)
        if part in ("grouping", *KEYED):
            changes += _items(part, before[part], after[part], drop)
        else:
            changes += _keys(part, "", before[part], after[part], drop)
    at = next((i for i, c in enumerate(changes) if c.part in KEYED), len(changes))
    changes[at:at] = _defines(old, new, changes)
    return RuleFileDiff(describe(old), describe(new), tuple(changes))


def _defines(old: RuleFileModel, new: RuleFileModel, changes: list[Change]) -> list[Change]:
    """The defines added, removed or changed; meaning when an expression using one changed."""
    uses = _uses(old)
    for item, used in _uses(new).items():
        uses[item] = uses.get(item, set()) | used
    changed = {
        name
        for c in changes
        if c.part in KEYED and c.key in EXPRESSIONS[c.part]
        for name in uses.get((c.part, c.item), set())
    }
    found: list[Change] = []
    for name in [*old.define, *(k for k in new.define if k not in old.define)]:
        before, after = old.define.get(name), new.define.get(name)
        if before == after:
            continue
        change: Literal["added", "removed", "changed"] = (
            "added" if before is None else "removed" if after is None else "changed"
        )
        found.append(Change("define", name, "define", change, before, after, name in changed))
    return found


def _uses(model: RuleFileModel) -> dict[tuple[str, str], set[str]]:
    """(part, id) of each measure and check -> the defines its expressions use, directly or
    through other defines."""

    def used(text: str | None) -> set[str]:
        try:
            return {n.name for n in names(parse(text))} if text else set()
        except ExpressionError:
            return set()

    direct = {name: used(text) & set(model.define) for name, text in model.define.items()}

    def closure(start: set[str]) -> set[str]:
        seen, todo = set(), [n for n in start if n in model.define]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += direct.get(name, set())
        return seen

    found: dict[tuple[str, str], set[str]] = {}
    for measure in model.measure:
        texts = (measure.argument, measure.where)
        found[("measure", measure.id)] = closure(set().union(*(used(t) for t in texts)))
    for check in model.check:
        texts = (check.where, check.assert_)
        found[("check", check.id)] = closure(set().union(*(used(t) for t in texts)))
    return found


def _items(
    part: str, before: dict[str, Any], after: dict[str, Any], drop: frozenset[str]
) -> list[Change]:
    changes: list[Change] = []
    for ident in [*before, *(k for k in after if k not in before)]:
        if ident not in after:
            changes.append(Change(part, ident, "", "removed", before[ident], None, True))
        elif ident not in before:
            changes.append(Change(part, ident, "", "added", None, after[ident], True))
        else:
            changes += _keys(part, ident, before[ident], after[ident], drop)
    return changes


def _keys(
    part: str, item: str, before: dict[str, Any], after: dict[str, Any], drop: frozenset[str]
) -> list[Change]:
    changes: list[Change] = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if part == "measure" and key == "nothing":  # the canonical file leaves out its default
            old, new = old or "zero", new or "zero"
        if old == new:
            continue
        change: Literal["added", "removed", "changed"] = (
            "added" if _empty(old) else "removed" if _empty(new) else "changed"
        )
        changes.append(Change(part, item, key, change, old, new, key not in drop))
    return changes


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _bare(value: Any) -> str:
    """A word-like value without quotes: warning, 6, true."""
    return value if isinstance(value, str) and value else _shown(value)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return repr(value)
    return str(value)
