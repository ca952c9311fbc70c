"""The reliability suite: every test here is marked `reliability`.

Deselected from the README's `pytest` (pyproject's addopts) and run by
`.ci/run` as `pytest -m reliability`, so the everyday run stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder, so none can be forgotten by the marked run."""
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)
