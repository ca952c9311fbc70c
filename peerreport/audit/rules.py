"""Finding the rule file a return was built with."""

from __future__ import annotations

from pathlib import Path

from peerreport.errors import UsageError
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFileInvalid, load
from peerreport.rulebook.compiled import RuleFile


def rule_file_for(ret: Return, given: str | Path | None = None) -> RuleFile:
    """The rule file given (path or id), else the one named by the return's rule file id.

    The caller compares digests: a rule file edited since the return was built
    is loaded all the same, so the difference can be reported.
    """
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
