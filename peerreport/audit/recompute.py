"""Recomputing a return from the records and the rule file, and saying what differs.

A return is reproducible: the same records and the same rule file give the
same published figures, random rounding included. So an auditor with the
organisation's database can rebuild a bundle's return and compare:

| code    | what was found                                                      |
| ------- | ------------------------------------------------------------------- |
| AUD-001 | the rule file is not the one the return was built with (digest)     |
| AUD-004 | (info) another version of the rule file, differing only in presentation |
| AUD-002 | the records changed since the return was built (record-set digest)  |
| AUD-003 | (warning) built by another version of peerreport than the one recomputing |
| AUD-010 | a published figure differs from the recomputed one                 |
| AUD-020 | (warning) findings differ (e.g. a check was added or fixed)         |
| AUD-030 | (info) every figure and the record set match                        |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from peerreport.errors import UsageError
from peerreport.findings import Finding, Location, has_errors
from peerreport.findings_catalogue import finding
from peerreport.ledger.changes import Change, figure_changes, finding_changes
from peerreport.returns.build import build_return, record_counts
from peerreport.returns.model import Return
from peerreport.rulebook.compiled import RuleFile
from peerreport.store.revisions import latest_revision

_HINT = (
    "The return as filed is not what these records and this rule file give. Find out "
    "what changed (re-imported records, an edited rule file) before relying on it."
)


@dataclass(frozen=True)
class Recomputation:
    """The recomputed return, the figures that differ and the findings about it."""

    recomputed: Return
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    records: int = 0  # how many records the rebuild read (a return releases them protected)

    @property
    def ok(self) -> bool:
        """True when the records, the rule file and every figure match."""
        return not has_errors(list(self.findings))


def recompute(engine: Engine, ret: Return, rule_file: RuleFile) -> Recomputation:
    """Build `ret` again from the records in `engine`, as they were when it was built, and compare.

    A return names the revision of the records it was computed from; the
    rebuild uses that revision, so records changed or withdrawn since do not
    make an honest return look wrong (`changes_since` says what changed).
    """
    as_of = ret.revision
    with engine.connect() as conn:
        latest = latest_revision(conn, ret.organisation)
        period = ret.period
        records = _total(
            record_counts(conn, ret.organisation, period.start, period.end, as_of)
            if as_of is None or as_of <= latest
            else {}
        )
    if as_of is not None and as_of > latest:
        raise UsageError(
            f"the return was built from revision {as_of} of {ret.organisation}'s records, but "
            f"this database has only {latest}: it is not the organisation's database, or its "
            "history was lost"
        )
    rebuilt = build_return(
        engine,
        ret.organisation,
        ret.organisation_name,
        rule_file,
        ret.period,
        as_of,
        contact_role=ret.contact_role,
    )
    findings: list[Finding] = []
    if rule_file.digest != ret.rule.digest and ret.rule.meaning == rule_file.meaning:
        findings.append(
            finding(
                "AUD-004",
                f"the rule file {rule_file.id} {rule_file.version} is not the version the return "
                f"was built with ({ret.rule.version}), but only its presentation differs: built "
                f"under version {ret.rule.version}: presentation differs",
                "Nothing to fix: `peerreport rules diff` lists the wording changes.",
                Location(file=str(rule_file.path)),
            )
        )
    elif rule_file.digest != ret.rule.digest:
        findings.append(
            finding(
                "AUD-001",
                f"the rule file {rule_file.id} {rule_file.version} ({rule_file.digest}) is not "
                f"the one the return was built with ({ret.rule.version}, {ret.rule.digest})",
                "Recompute with the rule file as it was: give its path with --rules.",
                Location(file=str(rule_file.path)),
            )
        )
    if ret.tool_version != rebuilt.tool_version:
        findings.append(
            finding(
                "AUD-003",
                f"the return was built by peerreport {ret.tool_version} and is recomputed by "
                f"{rebuilt.tool_version}: a figure the newer version computes differently "
                "(see the changelog) shows as a difference",
                f"Recompute with peerreport {ret.tool_version} to compare like with like.",
            )
        )
    if rebuilt.records_digest != ret.records_digest:
        findings.append(
            finding(
                "AUD-002",
                (
                    f"the records as they were at revision {as_of} are not the ones the return "
                    "was built from"
                    if as_of is not None
                    else "the records changed since the return was built"
                )
                + f": record set {ret.records_digest} then, {rebuilt.records_digest} now "
                f"({_counts(ret.record_counts, rebuilt.record_counts)})",
                _HINT,
            )
        )
    changes = figure_changes(ret, rebuilt)
    for change in changes:
        cell = "" if change.cell == "total" else f" [{change.cell}]"
        findings.append(
            finding(
                "AUD-010",
                f"{change.label or change.measure}{cell}: the return says {change.before}, "
                f"the records give {change.after}",
                _HINT,
                Location(
                    measure=change.measure, cell=None if change.cell == "total" else change.cell
                ),
            )
        )
    gone, new = finding_changes(ret, rebuilt)
    if gone or new:
        parts = [f"no longer found: {'; '.join(gone)}"] if gone else []
        parts += [f"now found: {'; '.join(new)}"] if new else []
        findings.append(finding("AUD-020", "the findings differ: " + " / ".join(parts), hint=""))
    if not has_errors(findings):
        when = f" as they were at revision {as_of}" if as_of is not None else ""
        identical = rebuilt.filed(ret.filing).to_json() == ret.to_json()  # tool version too
        findings.append(
            finding(
                "AUD-030",
                f"recomputed from {records} records{when}: every figure "
                "and the record set match"
                + (", and the return is rebuilt byte for byte" if identical else ""),
                hint="",
            )
        )
    return Recomputation(rebuilt, tuple(changes), tuple(findings), records)


def _counts(before: dict[str, int], after: dict[str, int]) -> str:
    names = dict.fromkeys([*before, *after])
    parts = [
        f"{n} {before.get(n, 0)} -> {after.get(n, 0)}"
        for n in names
        if before.get(n, 0) != after.get(n, 0)
    ]
    return ", ".join(parts) or "same counts, changed contents"


def _total(counts: dict[str, int]) -> int:
    return sum(counts.values())
