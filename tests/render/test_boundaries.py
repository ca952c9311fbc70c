"""Renderers take a finished return: no database, and no heavy imports until needed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RENDER = Path(__file__).resolve().parents[2] / "peerreport" / "render"


def test_renderers_never_reach_the_database() -> None:
    pattern = re.compile(
        r"^\s*(from|import) (sqlalchemy|peerreport\.(store|compute|returns\.build|cli))",
        re.MULTILINE,
    )
    offenders = [p.name for p in RENDER.glob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []


def test_importing_the_renderers_is_cheap() -> None:
    code = (
        "import sys, peerreport.render; "
        "print(sorted(m for m in ('openpyxl', 'jinja2', 'sqlalchemy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
