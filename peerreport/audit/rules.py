"""Finding the rule file a return was built with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.errors import UsageError
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFileInvalid, from_resolved, load
from peerreport.rulebook.compiled import RuleFile


def rule_file_for(
    ret: Return, given: str | Path | None = None, carried: dict[str, Any] | None = None
) -> RuleFile:
    """The rule file to recompute `ret` with.

    In order: the one given (path or id); the resolved rule file the bundle
    carries (`carried`, the manifest's `rule_file` block), when its digest is
    the return's; the one named by the return's rule file id in the search
    path. The caller compares digests: a rule file edited since the return was
    built is loaded all the same, so the difference can be reported.
    """
    if given is None and carried is not None and carried.get("digest") == ret.rule.digest:
        resolved = carried.get("resolved")
        if isinstance(resolved, str):
            try:
                found = from_resolved(resolved, f"{ret.rule.id} (carried by the bundle)")
            except RuleFileInvalid:
                found = None
            if found is not None and found.digest == ret.rule.digest:
                return found
    target = given if given is not None else ret.rule.id
    try:
        rule_file = load(target)
    except RuleFileInvalid as exc:
        if given is not None:
            raise
        raise UsageError(
            f"rule file {ret.rule.id} (version {ret.rule.version}, which the return was "
            "built with) is not in the rule file search path; give its path with --rules PATH"
        ) from exc
    if rule_file.id != ret.rule.id:
        raise UsageError(
            f"{target!s} is rule file {rule_file.id}, but the return was built with {ret.rule.id}"
        )
    return rule_file
