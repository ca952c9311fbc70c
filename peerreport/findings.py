"""One shape for every problem peerreport reports: a `Finding`.

Import problems, rule-file errors, check results and privacy detections are
all findings: a stable code, a severity, a message, a hint telling the person
how to fix it, and a location. `to_dict()` is the JSON shape, pinned by a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How serious a finding is. Errors block export and submission."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Errors sort first."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file, row and column; or a rule file key; or a measure."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None  # TOML key path in a rule file, e.g. measure[2].where
    line: int | None = None
    col: int | None = None  # character column in an expression or file line
    measure: str | None = None
    cell: str | None = None  # breakdown cell key, e.g. "mode=phone"
    address: str | None = None  # a spreadsheet cell, e.g. "B5" (row and column say the same)

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.address is not None:
            column = f' (column "{self.column}")' if self.column is not None else ""
            parts.append(f"cell {self.address}{column}")
        else:
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.column is not None:
                parts.append(f'column "{self.column}"')
        if self.key:
            parts.append(self.key)
        if self.line is not None:
            parts.append(f"line {self.line}" + (f", col {self.col}" if self.col else ""))
        if self.measure:
            parts.append(f"measure {self.measure}" + (f" [{self.cell}]" if self.cell else ""))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Only the parts that are set."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Finding:
    """A problem found in data, a rule file or a return."""

    code: str
    severity: Severity
    message: str
    hint: str = ""
    location: Location = field(default_factory=Location)
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a finding (pinned by tests/test_findings.py)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "location": self.location.to_dict(),
            "details": dict(self.details),
        }


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding has error severity."""
    return any(f.severity is Severity.ERROR for f in findings)
