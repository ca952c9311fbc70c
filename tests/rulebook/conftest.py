"""Writing small rule files for tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = 'title = "Test return"\nversion = "1"\n'


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """write_rules(name="body", ...) writes name.toml files (id = name + HEADER + body)."""

    def write(**files: str) -> Path:
        last = tmp_path
        for name, body in files.items():
            rule_id = name.replace("_", "-")
            last = tmp_path / f"{rule_id}.toml"
            last.write_text(f'id = "{rule_id}"\n{HEADER}{body}', "utf-8")
        return last

    return write
