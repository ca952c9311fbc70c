"""The audit tests' command runner: the real command registry, outside any workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """Run `peerreport ARGS...` and return the result (exceptions propagate)."""
    from peerreport.cli import main

    monkeypatch.delenv("PEERREPORT_DATABASE_URL", raising=False)
    monkeypatch.delenv("PEERREPORT_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)  # not inside any workspace

    # A fresh group over the real command registry, so these tests leave `main.cli` as it was.
    group = main.LazyGroup(name="peerreport", context_settings=main.cli.context_settings)

    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)

    return invoke
