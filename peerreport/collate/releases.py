"""Bundles built under another release of the rule file: what changed, in words.

`gather` accepts a bundle whose rule file differs from the one being collated
only in presentation (the same meaning digest, `rulebook.meaning`), and
rejects one whose meaning differs. The reason then says what changed, when
the bundle carries the resolved rule file it was built with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from peerreport.rulebook import RuleFileInvalid, from_resolved
from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.diff import diff

#: How many changes a rejection lists before saying "and N more".
_SHOWN = 5


def what_changed(manifest: Mapping[str, Any] | None, rule_file: RuleFile) -> str:
    """'; what changed: ...' (the meaning changes from the bundle's rule file to `rule_file`),
    or '' when the bundle does not carry a readable resolved rule file."""
    carried = manifest.get("rule_file") if manifest is not None else None
    resolved = carried.get("resolved") if isinstance(carried, Mapping) else None
    if not isinstance(resolved, str):
        return ""
    try:
        built_with = from_resolved(resolved, f"{rule_file.id} (carried by the bundle)")
    except RuleFileInvalid:
        return ""
    changes = [c.text for c in diff(built_with.model, rule_file.model).changes if c.meaning]
    if not changes:
        return ""
    more = len(changes) - _SHOWN
    return (
        "; what changed: "
        + "; ".join(changes[:_SHOWN])
        + (f"; and {more} more" if more > 0 else "")
    )
