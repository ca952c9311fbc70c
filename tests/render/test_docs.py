"""docs/exports.md and the `[export]` part of docs/rule-files.md match the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.render.csv_output import COLUMNS
from peerreport.render.workbook import FIGURE_COLUMNS, FINDING_COLUMNS
from peerreport.rulebook import json_schema
from tests.rulebook.test_docs import _documented_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"
SECTIONS = {
    "Export": "[export]",
    "ExportXlsx": "[export.xlsx]",
    "ExportFields": "[export.xlsx.fields]",
}


def test_every_export_key_is_documented_in_the_rule_file_reference() -> None:
    schema: dict[str, Any] = json_schema()
    documented = _documented_keys((DOCS / "rule-files.md").read_text("utf-8"))
    assert "export" in documented["top level"]
    for model, section in SECTIONS.items():
        fields = set(schema["$defs"][model]["properties"])
        assert documented.get(section) == fields, section


def test_exports_doc_lists_every_column() -> None:
    text = (DOCS / "exports.md").read_text("utf-8")
    for column in COLUMNS:
        assert f"| `{column}` |" in text, column
    for column in (*FIGURE_COLUMNS, *FINDING_COLUMNS):
        assert f"`{column}`" in text, column
