"""An audit's verdicts in words for people: the four numbered answers and the findings.

`answers` words each verdict once, with its state (passed, failed, ...) for
a badge; the command line prints them (coloured at a terminal) through
`verdicts_text`, and the hosted server's auditor's desk shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerreport.findings import Finding
from peerreport.render.text import SEVERITY_COLOURS as COLOURS

if TYPE_CHECKING:
    from peerreport.audit.chain_check import ChainCheck
    from peerreport.audit.verdict import RecordedCheck, Verdicts

PASSED, FAILED, WARNING, INFO, NOT_CHECKED = "passed", "failed", "warning", "info", "not checked"
#: Findings that repeat what an answer already says.
_SAID = ("LED-050",)


@dataclass(frozen=True)
class Answer:
    """One numbered verdict: what it is about, its state in a word, and in a sentence."""

    number: int
    title: str  # "The bundle", "The figures", "The records since", "The ledger"
    state: str  # passed | failed | warning | info | not checked
    words: str
    details: tuple[str, ...] = ()  # one line each, e.g. the records that changed

    def text(self) -> str:
        """'1. The bundle: INTACT — ...'."""
        return f"{self.number}. {self.title}: {self.words}"


def _plain(text: str, **_: Any) -> str:
    return text


def answers(verdicts: Verdicts | RecordedCheck) -> list[Answer]:
    """The verdicts as numbered answers: the bundle, the figures, the records since, the ledger.

    Without a recomputation (no database) only the first two are given.
    """
    from peerreport.audit.verdict import Verdicts

    found = [_bundle_answer(verdicts if isinstance(verdicts, Verdicts) else None)]
    recomputation = verdicts.recomputation
    if recomputation is None:
        assert isinstance(verdicts, Verdicts)
        found.append(
            Answer(2, "The figures", NOT_CHECKED, f"not recomputed ({verdicts.not_recomputed})")
        )
        return found
    ret = verdicts.ret
    at = f" at revision {ret.revision}" if ret is not None and ret.revision else ""
    found.append(
        Answer(
            2,
            "The figures",
            PASSED,
            f"MATCH the records as they were when the return was built{at}",
        )
        if verdicts.figures_match
        else Answer(
            2, "The figures", FAILED, "DO NOT MATCH the records as they were when it was built"
        )
    )
    changes = verdicts.changes_since
    if changes:
        covered = verdicts.covered_by
        found.append(
            Answer(
                3,
                "The records since",
                INFO if covered else WARNING,
                f"{len(changes)} record(s) of the period changed"
                + (
                    f"; version {covered.version} includes the change"
                    if covered
                    else "; no later version includes the change"
                ),
                tuple(str(c) for c in changes[:20]),
            )
        )
    else:
        found.append(Answer(3, "The records since", PASSED, "unchanged"))
    found.append(_ledger_answer(verdicts))
    return found


def _bundle_answer(verdicts: Verdicts | None) -> Answer:
    if verdicts is None:
        return Answer(
            1,
            "The bundle",
            NOT_CHECKED,
            "NOT KEPT — no bundle of this return is stored, so whether the copy the funder "
            "received was altered cannot be told here; the return as the ledger recorded it "
            "is checked instead",
        )
    if verdicts.intact:
        return Answer(
            1,
            "The bundle",
            PASSED,
            "INTACT — every file matches the manifest; the manifest and the zip are as written",
        )
    if verdicts.check.unverified_origin:
        return Answer(
            1,
            "The bundle",
            FAILED,
            "UNVERIFIED ORIGIN — the files match the manifest, but nothing trusted shows "
            "who wrote them (see below)",
        )
    return Answer(1, "The bundle", FAILED, "ALTERED — see the errors below")


def _ledger_answer(verdicts: Verdicts | RecordedCheck) -> Answer:
    entry = verdicts.entry
    if entry is None:
        return Answer(
            4,
            "The ledger",
            FAILED if verdicts.ledger_ok is False else WARNING,
            "the bundle is not a submitted version in this ledger",
        )
    newer = verdicts.superseded_by
    state = (
        f"superseded by version {newer.version} ({newer.reason})"
        if newer
        else "the current version"
    )
    chain = verdicts.chain
    intact = (
        "its hash chain is intact"
        if chain is None or chain.ok
        else "its hash chain is BROKEN (see below)"
    )
    return Answer(
        4,
        "The ledger",
        FAILED if verdicts.ledger_ok is False else PASSED,
        f"version {entry.version}, {state}; {intact}",
    )


def shown_findings(verdicts: Verdicts | RecordedCheck) -> list[Finding]:
    """The findings behind the answers, less those an answer already says."""
    return [f for f in verdicts.findings if not (f.severity.value == "info" and f.code in _SAID)]


def chain_words(check: ChainCheck) -> str:
    """The ledger's hash chain check in a sentence."""
    entries = f"{check.entries} {'entry' if check.entries == 1 else 'entries'}"
    if check.ok:
        return (
            f"INTACT — {entries}: each one's hash matches its content and follows the one "
            "before, every submitted return and records revision matches its entry, and "
            "every stored record still matches its digest"
        )
    return f"TAMPERED WITH — {entries}, and the checks below failed: the ledger was edited"


def verdicts_text(bundle: Path, verdicts: Any, style: Callable[..., str] = _plain) -> str:
    """The verdicts as text: four numbered answers, then the findings behind them.

    `style` colours words at a terminal (`click.style`); plain by default.
    """
    from peerreport.audit.verdict import Verdicts

    assert isinstance(verdicts, Verdicts)
    check, ret = verdicts.check, verdicts.ret
    lines = [f"{bundle} (sha256 {check.bundle.sha256})"]
    if ret is not None:
        filed = f", version {ret.filing.version}" if ret.filing is not None else ""
        lines.append(
            f"  {ret.organisation_name} ({ret.organisation}), {ret.rule.id} {ret.rule.version}, "
            f"{ret.period.label}{filed}: {len(ret.figures)} figures"
        )
    for answer in answers(verdicts):
        lines.append(answer.text())
        lines += [f"     {line}" for line in answer.details]
    for finding in shown_findings(verdicts):
        severity = finding.severity.value
        head = style(f"{severity.upper():7} {finding.code}", fg=COLOURS.get(severity))
        lines.append(f"   {head} {finding.message}")
    headline = verdicts.headline()
    lines.append(style(headline, fg="green" if verdicts.ok else "red", bold=True))
    return "\n".join(lines)
