"""Released versions of rule files: a register, so a meaning never changes under a version.

A funder sends providers a version of a rule file (`rules pack`); returns
filed under it say which version they were built with. If the file's
meaning then changed while its version stayed the same, two providers could
file different figures under "version 2026.1" with nothing to tell them
apart. `peerreport rules release RULES` records the version with both
digests in a register, `rule-releases.jsonl` beside the rule file (one JSON
object a line: id, version, digest, meaning, released), and `rules lint`
compares every file with it:

- the same version with another meaning digest is an error (RUL-066): give
  the changed file a new version;
- the same version with only its wording changed is a warning (RUL-067):
  returns still collate, but the text differs from what was sent.

Recording is refused where the lint reports an error; a wording change may be
released again under the same version (the lint then compares with the
latest), and a version already recorded as it is is not recorded twice.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerreport.errors import UsageError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.rulebook.compiled import RuleFile

REGISTER = "rule-releases.jsonl"


@dataclass(frozen=True)
class Released:
    """One recorded release of a rule file."""

    rule_id: str
    version: str
    digest: str
    meaning: str
    released: str  # ISO 8601 date

    def to_dict(self) -> dict[str, str]:
        """The register's line."""
        return {
            "id": self.rule_id,
            "version": self.version,
            "digest": self.digest,
            "meaning": self.meaning,
            "released": self.released,
        }


def register_of(rule_file: RuleFile) -> Path:
    """The register beside a rule file."""
    return rule_file.path.parent / REGISTER


def read_register(path: Path) -> list[Released]:
    """Every release recorded in `path` ([] when there is none); a plain error naming the
    line when a line is not one."""
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
            found.append(
                Released(
                    str(data["id"]),
                    str(data["version"]),
                    str(data["digest"]),
                    str(data["meaning"]),
                    str(data["released"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            raise UsageError(
                f"{path}, line {number}: not a release peerreport recorded (one JSON object a "
                "line with id, version, digest, meaning and released)"
            ) from None
    return found


def release_findings(rule_file: RuleFile, register: Path | None = None) -> list[Finding]:
    """RUL-066 / RUL-067 for a file whose version was released with other digests (a wording
    change released again under the same version is compared with the latest)."""
    path = register or register_of(rule_file)
    same = [
        e
        for e in read_register(path)
        if (e.rule_id, e.version) == (rule_file.id, rule_file.version)
    ]
    where = Location(file=str(rule_file.path), key="version")
    other = next((e for e in same if e.meaning != rule_file.meaning), None)
    if other is not None:
        return [
            finding(
                "RUL-066",
                f"version {other.version} of {other.rule_id} was released on {other.released} "
                f"({path.name}), and what this file counts has changed since: returns built "
                "with the two would differ under one version",
                location=where,
                details={"released": other.to_dict(), "meaning": rule_file.meaning},
            )
        ]
    if same and same[-1].digest != rule_file.digest:
        latest = same[-1]
        return [
            finding(
                "RUL-067",
                f"version {latest.version} of {latest.rule_id} was released on "
                f"{latest.released} ({path.name}); its wording has changed since (what it "
                "counts has not)",
                location=where,
                details={"released": latest.to_dict(), "digest": rule_file.digest},
            )
        ]
    return []


def record_release(
    rule_file: RuleFile, register: Path | None = None, today: dt.date | None = None
) -> tuple[Released, bool]:
    """Record `rule_file`'s version as released: (the entry, whether it was new).

    Refused (`UsageError`) when the version was released with another
    meaning: the changed file needs a new version.
    """
    path = register or register_of(rule_file)
    for problem in release_findings(rule_file, path):
        if problem.code == "RUL-066":
            raise UsageError(f"{problem.message}: give it a new version, then release that")
    entry = Released(
        rule_file.id,
        rule_file.version,
        rule_file.digest,
        rule_file.meaning,
        (today or dt.date.today()).isoformat(),
    )
    for known in read_register(path):
        if (known.rule_id, known.version, known.digest) == (
            entry.rule_id,
            entry.version,
            entry.digest,
        ):
            return known, False
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
    return entry, True


__all__ = ["REGISTER", "Released", "read_register", "record_release", "release_findings"]
