"""Rendering: a finished `Return` into the files a coordinator files and a funder reads.

    Return ──render_json──▶ return.json (canonical; schema: return.schema.json)
           ──render_csv───▶ one row per figure total and breakdown cell
           ──render_xlsx──▶ peerreport's own workbook (Cover, Figures, Findings)
           ──fill_template▶ the funder's workbook, cells mapped in the rule file
           ──render_html──▶ a self-contained review page with inline SVG charts

Renderers never query the database: everything they show is in the `Return`.
A suppressed cell shows the disclosure symbol, never a value. Every text cell
of a spreadsheet is protected against formula injection (`safe.neutralise`).
openpyxl and jinja2 are imported only inside the functions that use them.
`export_return` writes the files and refuses a return with errors unless it is
a draft. docs/exports.md describes the files.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peerreport.render.csv_output import render_csv
    from peerreport.render.export import FORMATS, export_return
    from peerreport.render.html import render_html
    from peerreport.render.json_output import render_json, return_schema
    from peerreport.render.template import fill_template
    from peerreport.render.workbook import render_xlsx

#: Where each name is defined. They are imported when first asked for, so that a command
#: that only prints a return as text (`render.text`) does not load every renderer.
_HOMES = {
    "FORMATS": "export",
    "export_return": "export",
    "fill_template": "template",
    "render_csv": "csv_output",
    "render_html": "html",
    "render_json": "json_output",
    "render_xlsx": "workbook",
    "return_schema": "json_output",
}


def __getattr__(name: str) -> Any:
    """A renderer, imported on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FORMATS",
    "export_return",
    "fill_template",
    "render_csv",
    "render_html",
    "render_json",
    "render_xlsx",
    "return_schema",
]
