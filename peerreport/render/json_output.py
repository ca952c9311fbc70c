"""The return as canonical JSON (`return.json`) and the JSON Schema it follows.

The bytes are those of `Return.to_json()`: sorted keys, two-space indent,
UTF-8, one final newline, so equal returns give identical files. A draft adds
`"draft": true` at the top level; `Return.from_dict` ignores it. The schema
file is generated from `peerreport.returns.document` (`python -m
peerreport.bundle.schemas`), never edited by hand.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from peerreport.returns.model import Return

SCHEMA_FILE = "return.schema.json"


def render_json(ret: Return, draft: bool = False) -> bytes:
    """The return as canonical JSON bytes; with `"draft": true` when `draft`."""
    data = ret.to_dict()
    if draft:
        data["draft"] = True
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


@cache
def _schema_text() -> str:
    return files("peerreport.render").joinpath(SCHEMA_FILE).read_text("utf-8")


def return_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `render_json`'s output (a fresh copy each call)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema
