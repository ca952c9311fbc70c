"""Lint and type checks are part of the test suite, so CI enforces them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed; install the test extras: pip install -e '.[test]'"
    return found


def test_ruff_lint_is_clean() -> None:
    done = subprocess.run(
        [_tool("ruff"), "check", "peerreport", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    done = subprocess.run([_tool("mypy"), "peerreport"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_core_never_imports_the_cli() -> None:
    """Dependencies point one way: the command line imports the core, never the reverse."""
    offenders = []
    for path in (ROOT / "peerreport").rglob("*.py"):
        parts = path.relative_to(ROOT / "peerreport").parts
        if "cli" in parts or parts == ("__main__.py",):  # `python -m peerreport` is the CLI
            continue
        text = path.read_text("utf-8")
        if re.search(r"^\s*(from|import) peerreport\.cli", text, re.MULTILINE):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_renderers_and_rule_parsing_do_not_import_the_database_layer() -> None:
    """Parsing rule files and the record model need no database."""
    offenders = []
    for package in ("records", "language", "rulebook", "privacy"):
        for path in (ROOT / "peerreport" / package).rglob("*.py"):
            text = path.read_text("utf-8")
            uses_sql = "import sqlalchemy" in text or "from sqlalchemy" in text
            # The expression language builds SQL expressions; it still never opens a database.
            uses_store = re.search(r"^\s*(from|import) peerreport\.store", text, re.MULTILINE)
            if uses_store or (uses_sql and package != "language"):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_package_folder_has_an_init() -> None:
    """A folder without __init__.py works from a checkout but is left out of a built wheel."""
    missing = [
        str(folder.relative_to(ROOT))
        for folder in (ROOT / "peerreport").rglob("*")
        if folder.is_dir()
        and folder.name != "__pycache__"
        and any(folder.glob("*.py"))
        and not (folder / "__init__.py").exists()
    ]
    assert missing == []
