"""docs/rule-files.md is checked against the models: every key of the format is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from peerreport.findings_catalogue import CATALOGUE
from peerreport.language import FUNCTIONS
from peerreport.rulebook import json_schema
from peerreport.rulebook.fixture_lint import BUILTIN_CODES
from peerreport.rulebook.sources import sources

DOC = Path(__file__).resolve().parents[2] / "docs" / "rule-files.md"


def _documented_keys(text: str) -> dict[str, set[str]]:
    """Keys listed in the doc's tables, by section: '| `key` | ...' rows under '### `[section]`'."""
    result: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = re.match(r"^###\s+`([^`]+)`", line)
            section = heading.group(1) if heading else ""
            if section:
                result.setdefault(section, set())
        row = re.match(r"^\|\s*`([A-Za-z_]+)`\s*\|", line)
        if row and section:
            result[section].add(row.group(1))
    return result


SECTIONS = {
    "RuleFileModel": "top level",
    "Disclosure": "[disclosure]",
    "Release": "[release]",
    "Due": "[due]",
    "Counting": "[counting]",
    "Grouping": "[grouping.NAME]",
    "Measure": "[[measure]]",
    "Check": "[[check]]",
    "Override": "[[override]]",
    "Remove": "[[remove]]",
    "Fixture": "[[fixture]]",
    "Expect": "[fixture.expect]",
    "Export": "[export]",
    "ExportAdx": "[export.adx]",
}


def test_every_schema_field_is_documented() -> None:
    schema: dict[str, Any] = json_schema()
    documented = _documented_keys(DOC.read_text("utf-8"))
    for model, section in SECTIONS.items():
        definition = schema if model == "RuleFileModel" else schema["$defs"][model]
        fields = set(definition["properties"])
        assert section in documented, f"docs/rule-files.md has no section ### `{section}`"
        assert documented[section] == fields, (
            f"{section}: documented {documented[section]} vs {fields}"
        )


def test_functions_sources_and_codes_are_documented() -> None:
    text = DOC.read_text("utf-8")
    for name, function in FUNCTIONS.items():
        assert f"`{function.signature}`" in text, name
    for source in sources().values():
        assert f"`{source.name}`" in text
        for field in source.fields:
            assert f"`{field.name}`" in text, f"{source.name}.{field.name}"
    codes = [c for c in CATALOGUE if c.startswith("RUL-")]
    for code in [*codes, *BUILTIN_CODES]:
        assert f"`{code}`" in text, code
