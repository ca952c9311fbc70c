"""Message templates: `{name}` placeholders filled from values. Not jinja, not str.format.

Only `{name}` (a measure id or a check's own value such as `{count}`) is
recognised; `{{` and `}}` write literal braces. Nothing is evaluated, no
attribute or index is looked up, so a rule file cannot run code through a
message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{|\}")


def placeholders(template: str) -> list[str]:
    """The names used in a template; ValueError for a stray or malformed brace."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise ValueError(
                f"stray '{token}' at character {match.start() + 1}: write {{name}} for a value, "
                "{{ or }} for a brace"
            )
        names.append(match.group(1))
    return names


def fill(template: str, values: Mapping[str, Any], show: Callable[[Any], str] = str) -> str:
    """The template with each `{name}` replaced by `show(values[name])` ('?' if missing)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None or name not in values:
            return token if name is None else "?"
        return show(values[name])

    return _TOKEN.sub(replace, template)
