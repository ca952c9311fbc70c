"""Rule files: reading, resolving `extends`, privacy lint, checking, digest, JSON Schema.

    TOML ──read──▶ RuleFileModel ──resolve(extends)──▶ Resolved ──privacy lint + analyse──▶ RuleFile

`load()` returns a `RuleFile` or raises `RuleFileInvalid` listing every problem
with its file, TOML key and (for expressions) line, column and caret. Nothing
here touches a database. The format is documented in docs/rule-files.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from peerreport.findings import Finding
from peerreport.rulebook.analyse import analyse
from peerreport.rulebook.compiled import CompiledCheck, CompiledMeasure, RuleFile
from peerreport.rulebook.digest import canonical, digest
from peerreport.rulebook.disclosure_lint import disclosure_lint, overlapping_between
from peerreport.rulebook.fixture_lint import lint_fixtures
from peerreport.rulebook.model import RuleFileModel
from peerreport.rulebook.privacy_lint import forbidden_reason
from peerreport.rulebook.privacy_lint import lint as privacy_lint
from peerreport.rulebook.problems import RuleFileInvalid, render
from peerreport.rulebook.resolve import Catalogue, resolve

SCHEMA_ID = "https://peerreport.invalid/schema/rule-file.json"


def locate(target: str | Path, catalogue: Catalogue | None = None) -> Path:
    """The path of a rule file given as a path or as an id in the search path."""
    path = Path(target)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise RuleFileInvalid([_missing(str(target))])
        return path
    found = (catalogue or Catalogue()).find(str(target))
    if found is None:
        from peerreport.language import did_you_mean

        known = list((catalogue or Catalogue()).index())
        raise RuleFileInvalid([_missing(str(target), did_you_mean(str(target), known))])
    return found


def _missing(target: str, hint: str = "") -> Finding:
    from peerreport.rulebook.problems import problem

    return problem(
        "RUL-001",
        f"no rule file '{target}'.{hint}",
        None,
        None,
        "Give a path to a .toml file or the id of a rule file in the search path "
        "(`peerreport rules list`).",
    )


def load(target: str | Path, catalogue: Catalogue | None = None) -> RuleFile:
    """Load, resolve and check a rule file (by path or id); raise `RuleFileInvalid` if wrong."""
    rule_file, problems = check(target, catalogue)
    if problems:
        raise RuleFileInvalid(problems)
    return rule_file


def check(target: str | Path, catalogue: Catalogue | None = None) -> tuple[RuleFile, list[Finding]]:
    """The compiled rule file and every problem in it (raises only if it cannot be read)."""
    resolved = resolve(locate(target, catalogue), catalogue)
    privacy = privacy_lint(resolved)
    rule_file, problems = analyse(resolved)
    return rule_file, [*privacy, *[p for p in problems if not _repeats_privacy(p)]]


def _repeats_privacy(finding: Finding) -> bool:
    """An analysis problem the privacy lint already reported with its reason."""
    if finding.code == "RUL-020":
        return True
    unknown = re.search(r"unknown name '(\w+)'", finding.message)
    return bool(unknown and forbidden_reason(unknown.group(1)))


def lint(target: str | Path, catalogue: Catalogue | None = None) -> list[Finding]:
    """Everything checkable without data: format, extends, expressions, privacy, fixtures.

    Then, for a file without errors, the disclosure lint's warnings
    (`disclosure_lint`: small counts published, figures in messages,
    overlapping tables).
    """
    try:
        rule_file, problems = check(target, catalogue)
    except RuleFileInvalid as exc:
        return exc.findings
    return problems or [*lint_fixtures(rule_file), *disclosure_lint(rule_file)]


def resolved_text(rule_file: RuleFile) -> str:
    """The fully resolved rule file (extends flattened) as JSON text: what a bundle carries.

    Text, not data, because the order of keys is meaningful (a grouping's
    categories are published in the order the rule file gives them), and a
    canonical JSON document would sort them.
    """
    return json.dumps(canonical(rule_file.model), ensure_ascii=False, separators=(",", ":"))


def from_resolved(text: str, name: str = "bundle") -> RuleFile:
    """A rule file from `resolved_text()`, e.g. out of a bundle: no search path needed.

    Raises `RuleFileInvalid` when the text is not a valid resolved rule file.
    """
    from peerreport.rulebook.loader import parse_model
    from peerreport.rulebook.problems import problem
    from peerreport.rulebook.resolve import Resolved

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleFileInvalid(
            [problem("RUL-001", f"the resolved rule file is not JSON: {exc}", None, None)]
        ) from None
    if not isinstance(data, dict):
        raise RuleFileInvalid(
            [problem("RUL-001", "the resolved rule file is not a JSON object", None, None)]
        )
    model = parse_model(data, None)
    resolved = Resolved(model=model, path=Path(f"<{name}>"), lineage=(model.id,), origins={})
    rule_file, problems = analyse(resolved)
    if problems:
        raise RuleFileInvalid(problems)
    return rule_file


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the rule-file format (draft 2020-12), generated from the models."""
    schema = RuleFileModel.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def json_schema_text() -> str:
    """The JSON Schema as stable, indented JSON text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = [
    "Catalogue",
    "CompiledCheck",
    "CompiledMeasure",
    "RuleFile",
    "RuleFileInvalid",
    "RuleFileModel",
    "canonical",
    "check",
    "digest",
    "disclosure_lint",
    "from_resolved",
    "json_schema",
    "json_schema_text",
    "lint",
    "lint_fixtures",
    "load",
    "locate",
    "overlapping_between",
    "render",
    "resolved_text",
]
