"""Problems in a rule file: findings that name the file, the TOML key and the position.

A rule file with any error-severity problem cannot be used: `load()` raises
`RuleFileInvalid`, which carries every problem found (not just the first), so
a funder fixes them all in one round. `peerreport rules lint` prints the same
findings.

Codes (stable):
- `rule-toml`: the file is not valid TOML;
- `rule-format`: a key is unknown, missing or has the wrong kind of value;
- `rule-syntax`, `rule-type`, `rule-unknown-name`, `rule-unknown-code`,
  `rule-null-comparison`: an expression does not parse or does not check;
- `rule-limit`: an expression too long or too deeply nested, a literal too big
  (limits in `peerreport.language.parser`);
- `rule-privacy`: refused by the privacy lint (forbidden field, member tokens
  outside `distinct`, a breakdown whose cells could never be published);
- `rule-extends`: unknown parent or a cycle in `extends`;
- `rule-duplicate`, `rule-cycle`, `rule-reference`, `rule-template`,
  `rule-fixture`: ids repeated, derived measures that depend on themselves,
  unknown measure or check ids, bad message placeholders, bad fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from peerreport.errors import RuleFileError
from peerreport.findings import Finding, Location, Severity
from peerreport.language import ExpressionError


def key_path(loc: Sequence[str | int]) -> str:
    """('measure', 2, 'where') -> 'measure[2].where'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def problem(
    code: str, message: str, file: Path | str | None, key: str | None, hint: str = ""
) -> Finding:
    """An error-severity rule-file finding."""
    return Finding(
        code=code,
        severity=Severity.ERROR,
        message=message,
        hint=hint,
        location=Location(file=str(file) if file else None, key=key or None),
    )


def expression_problem(
    error: ExpressionError, file: Path | str | None, key: str, what: str = ""
) -> Finding:
    """A finding for an expression error, with line, column and the caret lines."""
    code = "rule-privacy" if error.code == "privacy" else f"rule-{error.code}"
    prefix = f"{what}: " if what else ""
    return Finding(
        code=code,
        severity=Severity.ERROR,
        message=f"{prefix}{error.message}",
        hint="",
        location=Location(
            file=str(file) if file else None,
            key=key,
            line=error.span.line,
            col=error.span.column,
        ),
        details={"expression": error.text, "caret": error.caret()},
    )


def render(finding: Finding) -> str:
    """A finding as text for people: location, message, caret lines, hint."""
    text = f"{finding.severity.value}: {finding}"
    caret = finding.details.get("caret")
    if caret:
        text += "\n" + str(caret)
    if finding.hint:
        text += f"\n    hint: {finding.hint}"
    return text


class RuleFileInvalid(RuleFileError):
    """A rule file has errors; `findings` lists every one."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = list(findings)
        count = len(self.findings)
        head = f"rule file has {count} error{'s' if count != 1 else ''}:"
        super().__init__("\n".join([head, *(render(f) for f in self.findings)]))
