"""The published JSON Schemas, generated from the document models and kept in the package.

    ReturnDocument   ──▶ peerreport/render/return.schema.json    (return.json)
    ManifestDocument ──▶ peerreport/render/manifest.schema.json  (a bundle's manifest.json)

Regenerate both after changing a model:

    python -m peerreport.bundle.schemas          # rewrite the files
    python -m peerreport.bundle.schemas --check  # exit 1 if a file is stale

A test fails when a committed file differs from what the models generate. The
files sit beside the renderers because `render.return_schema()` reads
return.schema.json; this module lives in `bundle` because only here are both
formats known (the bundle stage comes after rendering).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peerreport.render
from peerreport.bundle.document import manifest_json_schema
from peerreport.returns.document import return_json_schema
from peerreport.returns.document_types import schema_text

FOLDER = Path(peerreport.render.__file__).parent

SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "return.schema.json": return_json_schema,
    "manifest.schema.json": manifest_json_schema,
}


def generated() -> dict[str, str]:
    """Each schema file's name and the text the models generate for it."""
    return {name: schema_text(make()) for name, make in SCHEMAS.items()}


def stale(folder: Path = FOLDER) -> list[str]:
    """The schema files in `folder` that are missing or differ from what the models generate."""
    found = []
    for name, text in generated().items():
        path = folder / name
        if not path.exists() or path.read_text("utf-8") != text:
            found.append(name)
    return found


def write(folder: Path = FOLDER) -> list[Path]:
    """Write every schema file into `folder`; the paths written."""
    written = []
    for name, text in generated().items():
        path = folder / name
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    """`python -m peerreport.bundle.schemas [--check]`: rewrite the files, or check them."""
    if argv == ["--check"]:
        old = stale()
        for name in old:
            print(f"{FOLDER / name} is stale: run python -m peerreport.bundle.schemas")
        return 1 if old else 0
    if argv:
        print("usage: python -m peerreport.bundle.schemas [--check]", file=sys.stderr)
        return 2
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
