"""Writing plain data as TOML: what `peerreport rules pack` writes a resolved rule file with.

Python reads TOML (`tomllib`) but does not write it. A resolved rule file is
plain JSON data (strings, numbers, booleans, lists, tables), so a small writer
is enough: scalars and lists of scalars as `key = value`, tables as `[a.b]`,
lists of tables as `[[a]]`, tables inside lists of scalars as inline tables.
Key order is kept (a grouping's categories are published in the order given).
`None` means "not set" and is left out, so the reader's default applies.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: Mapping[str, Any], header: str = "") -> str:
    """`data` as a TOML document, after `header` (comment lines, each starting with '#')."""
    lines: list[str] = [header.rstrip("\n")] if header else []
    _table(lines, (), data)
    return "\n".join(lines).strip("\n") + "\n"


def _is_table_list(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)
    )


def _is_nested(value: Any) -> bool:
    return isinstance(value, Mapping) or _is_table_list(value)


def _table(lines: list[str], path: tuple[str, ...], data: Mapping[str, Any]) -> None:
    later: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_list(value):
            later.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in later:
        inner = (*path, key)
        name = ".".join(_key(part) for part in inner)
        if isinstance(value, Mapping):
            present = [v for v in value.values() if v is not None]
            if not present or not all(_is_nested(v) for v in present):
                lines += ["", f"[{name}]"]  # a table of tables only needs its inner headers
            _table(lines, inner, value)
        else:
            for item in value:
                lines += ["", f"[[{name}]]"]
                _table(lines, inner, item)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value if item is not None) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
