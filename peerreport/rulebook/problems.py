"""Problems in a rule file: findings that name the file, the TOML key and the position.

A rule file with any error-severity problem cannot be used: `load()` raises
`RuleFileInvalid`, which carries every problem found (not just the first), so
a funder fixes them all in one round. `peerreport rules lint` prints the same
findings.

Codes (stable, declared with their fixes in `peerreport/findings_catalogue.toml`
and listed in docs/findings.md): `RUL-001` to `RUL-003` for reading the file
(not found, not TOML, bad keys), `RUL-010` to `RUL-014` for expressions that do
not parse or check, `RUL-015` for a file, expression or literal over the
limits, `RUL-020` for the privacy lint, `RUL-030` to `RUL-034` for `extends`,
repeated ids, cycles, unknown references and message placeholders, `RUL-040`
for fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from peerreport.errors import RuleFileError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.language import ExpressionError

#: The expression language's error kinds -> rule-file finding codes.
EXPRESSION_CODES = {
    "syntax": "RUL-010",
    "expression": "RUL-010",
    "type": "RUL-011",
    "unknown-name": "RUL-012",
    "unknown-code": "RUL-013",
    "null-comparison": "RUL-014",
    "limit": "RUL-015",
    "privacy": "RUL-020",
    "define-cycle": "RUL-032",
}


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
    return finding(
        code,
        message=message,
        hint=hint,
        location=Location(file=str(file) if file else None, key=key or None),
    )


def expression_problem(
    error: ExpressionError, file: Path | str | None, key: str, what: str = ""
) -> Finding:
    """A finding for an expression error, with line, column and the caret lines."""
    code = EXPRESSION_CODES.get(error.code, "RUL-010")
    prefix = f"{what}: " if what else ""
    return finding(
        code,
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
