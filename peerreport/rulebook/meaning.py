"""The meaning digest of a rule file: what decides the figures, without the wording.

The whole-file digest (`digest.py`) changes with every edit, so a funder who
fixes a label would make every bundle already received uncollatable. The
meaning digest covers only what changes figures or findings: the rule file
id, periods, due date, disclosure and release policy, which records it counts
(`[counting]`; with "only", the purchase units too), groupings' fields and
codes, measures' definitions (kind, expression, source, filter, breakdown,
rounding) and checks' conditions, severities and switches. It leaves out the
presentation: titles, labels, descriptions, units, funder line codes, check
messages, hints and sample sizes, the version, and the export mapping (already
outside the whole digest). Measures, checks and groupings are keyed by id, so
reordering them changes nothing.

Expressions are taken with their defines written out (`language.defines.
write_out`), as the compiler sees them, and `[define]` itself is left out: a
repeated expression moved into a define keeps the meaning digest, and any
change to what a used define says changes it. An expression that uses no
define is taken exactly as written, so files without defines keep the meaning
digests they had before defines were written out.

`PRESENTATION` is the one list of what is wording: `diff.py` uses it to mark
each change as *meaning* or *presentation*, so the digest and the diff agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from peerreport.language import Define, ExpressionError, parse
from peerreport.language.defines import write_out
from peerreport.rulebook.digest import canonical
from peerreport.rulebook.model import RuleFileModel

#: Per part of the canonical rule file, the keys that are presentation only.
PRESENTATION: dict[str, frozenset[str]] = {
    "rule file": frozenset({"title", "version", "funder", "spec", "purchase_units", "description"}),
    "disclosure": frozenset({"symbol"}),
    "due": frozenset(),
    "counting": frozenset(),
    "release": frozenset(),
    "grouping": frozenset({"label"}),
    "measure": frozenset({"label", "description", "unit", "line"}),
    "check": frozenset({"title", "message", "hint", "sample"}),
}


def presentation(part: str, model: RuleFileModel) -> frozenset[str]:
    """The keys of `part` that are wording for this rule file: `PRESENTATION`, except that
    `purchase_units` decides the figures when `[counting] purchase_units = "only"`."""
    drop = PRESENTATION[part]
    if part == "rule file" and counts_only_its_units(model):
        return drop - {"purchase_units"}
    return drop


def counts_only_its_units(model: RuleFileModel) -> bool:
    """Does the rule file count only records under its own purchase units?"""
    return model.counting is not None and model.counting.purchase_units == "only"


#: The parts of the canonical rule file that are lists of items keyed by id, or tables by name.
KEYED = ("measure", "check")
TABLES = ("disclosure", "due", "release", "counting")

#: Per keyed part, the keys that hold expressions (where defines are written out).
EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "measure": ("sum", "distinct", "min", "max", "expr", "where"),
    "check": ("where", "assert"),
}


def parts(model: RuleFileModel) -> dict[str, Any]:
    """The canonical rule file split into parts: top-level keys, tables, groupings, measures
    and checks by id (each a dict of its keys), their expressions with defines written out.
    `[define]` is not a part: what a define says is in every expression that uses it."""
    data = canonical(model)
    split: dict[str, Any] = {
        "rule file": {
            k: v
            for k, v in data.items()
            if k not in (*KEYED, *TABLES, "grouping", "export", "define")
        }
    }
    for name in TABLES:
        split[name] = data.get(name) or {}
    split["grouping"] = dict(data.get("grouping") or {})
    defines = parsed_defines(model)
    for name in KEYED:
        split[name] = {
            item["id"]: _written_out(item, EXPRESSIONS[name], defines)
            for item in data.get(name) or []
        }
    return split


def parsed_defines(model: RuleFileModel) -> dict[str, Define]:
    """The rule file's defines, parsed; one that does not parse is left out (a file that
    loads has none such), so the names using it stay as written."""
    defines: dict[str, Define] = {}
    for name, text in model.define.items():
        try:
            defines[name] = Define(name, text, parse(text))
        except ExpressionError:
            continue
    return defines


def _written_out(
    item: dict[str, Any], keys: tuple[str, ...], defines: dict[str, Define]
) -> dict[str, Any]:
    if not defines:
        return item
    return {
        k: write_out(v, defines) if k in keys and isinstance(v, str) else v for k, v in item.items()
    }


def meaning_canonical(model: RuleFileModel) -> dict[str, Any]:
    """The rule file's meaning as plain JSON data: `parts` without the presentation keys."""
    split = parts(model)
    result: dict[str, Any] = {}
    for name, value in split.items():
        if name == "counting" and not value:
            continue  # files without [counting] keep the meaning digest they had before it
        drop = presentation(name, model)
        if name in ("grouping", *KEYED):
            result[name] = {
                key: {k: v for k, v in item.items() if k not in drop} for key, item in value.items()
            }
        else:
            result[name] = {k: v for k, v in value.items() if k not in drop}
    return result


def meaning_digest(model: RuleFileModel) -> str:
    """'sha256:' and the hex digest of the canonical JSON of the rule file's meaning."""
    text = json.dumps(
        meaning_canonical(model), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
