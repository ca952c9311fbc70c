"""Bundles built under another release of the rule file: what changed, in words.

`gather` accepts a bundle whose rule file differs from the one being collated
only in presentation (the same meaning digest, `rulebook.meaning`), and
rejects one whose meaning differs. The reason then says what changed, when
the bundle carries the resolved rule file it was built with. A hosted
server's receive step decides the same way against the funder's published
rule file (`release_fit`, shared by both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peerreport.returns.model import RuleInfo
from peerreport.rulebook import RuleFileInvalid, from_resolved
from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.diff import diff

#: What a refusal calls the rule file compared with, in `collate`.
COLLATED = "the rule file being collated"


@dataclass(frozen=True)
class ReleaseFit:
    """How a return's rule file stands to another release of it: the same file (both None),
    the same meaning (`presentation`: the note), or another meaning (`refusal`: why)."""

    presentation: str | None = None
    refusal: str | None = None


def release_fit(
    built: RuleInfo,
    manifest: Mapping[str, Any] | None,
    rule_file: RuleFile,
    against: str = COLLATED,
) -> ReleaseFit:
    """Whether a return built with `built` counts as built with `rule_file` (same id assumed).

    The same whole digest fits plainly; the same meaning digest fits with the
    note "built under version X: presentation differs"; anything else (a return
    written before the meaning digest existed, too) is refused, saying what
    changed when the bundle's `manifest` carries its resolved rule file.
    `against` names `rule_file` in the refusal.
    """
    if built.digest == rule_file.digest:
        return ReleaseFit()
    if built.meaning is not None and built.meaning == rule_file.meaning:
        return ReleaseFit(presentation=f"built under version {built.version}: presentation differs")
    return ReleaseFit(
        refusal=f"built with {built.id} {built.version} ({built.digest}), not {against} "
        f"({rule_file.version}, {rule_file.digest})" + what_changed(manifest, rule_file)
    )


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
