"""The `[[fixture]]` part of the rule-file format: records and what a build of them gives.

Split from `model.py`: fixtures are not part of the rule file's digests.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from peerreport.rulebook.strict import Strict as _Strict

_FIGURES_HELP = (
    'Measure id = expected value; or a table {total = n, cells = {"code" = n}} '
    "(cell keys are the `by` codes joined with ',', '-' for not recorded)."
)


class ExpectIncludes(_Strict):
    """The partial form of a fixture's expectations: what must be there; more may be."""

    figures: dict[str, Any] = Field(
        default_factory=dict,
        description="These figures must be present with these values (others are not "
        "compared). " + _FIGURES_HELP,
    )
    findings: list[str] = Field(
        default_factory=list,
        description="These finding codes must be among the findings; other codes may be too.",
    )


class Expect(_Strict):
    """What a fixture expects: the exact form (`findings`), the partial one (`includes`), or
    both for different parts."""

    figures: dict[str, Any] = Field(
        default_factory=dict,
        description="Only the figures listed are compared. " + _FIGURES_HELP,
    )
    findings: list[str] | None = Field(
        None, description="Exactly these finding codes (in any order); [] means none."
    )
    includes: ExpectIncludes | None = Field(
        None,
        description="The partial form: figures and finding codes that must be present "
        "(others may exist), e.g. includes.findings = ['EX-010'].",
    )

    @model_validator(mode="after")
    def _one_findings_form(self) -> Expect:
        if self.findings is not None and self.includes is not None and self.includes.findings:
            raise ValueError(
                "expect.findings (exactly these codes) and expect.includes.findings (at least "
                "these) cannot both be given: keep one"
            )
        return self

    def all_figures(self) -> dict[str, Any]:
        """Every expected figure, from both forms (`includes` last)."""
        extra = self.includes.figures if self.includes is not None else {}
        return {**self.figures, **extra}


class Fixture(_Strict):
    """A test of the rule file: records in, expected figures and findings out."""

    name: str = Field(description="What the fixture shows.")
    period: tuple[str, str] = Field(
        description="First and last day, e.g. ['2026-07-01', '2026-09-30']."
    )
    records: list[str] = Field(
        default_factory=list,
        description="Record files (CSV, XLSX, JSONL), relative to the rule file.",
    )
    activities: list[dict[str, Any]] = Field(default_factory=list, description="Inline activities.")
    breakdowns: list[dict[str, Any]] = Field(default_factory=list, description="Inline breakdowns.")
    workforce: list[dict[str, Any]] = Field(
        default_factory=list, description="Inline workforce entries."
    )
    feedback: list[dict[str, Any]] = Field(
        default_factory=list, description="Inline feedback tallies."
    )
    expect: Expect = Field(description="The expected results.")
