"""Opening providers' sealed exact figures with the funder's private key.

With the key, collation adds up exact figures and protects the regional
table once (`totals.collate_figures`), instead of adding up protected ones
(where a cell hidden by a provider is only a lower bound). Every provider's
sealed part must open and agree with what the provider published: a wrong
key, an altered part or exact figures that contradict the published ones stop
the collation with a plain message naming the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from peerreport.bundle.sealed import SealError, open_figures
from peerreport.collate.gather import Received
from peerreport.returns.exact import EXACT_FORMAT, return_context
from peerreport.returns.model import EXACT, Return

CellKey = tuple[str | None, ...]
#: One provider's exact figures: measure id -> cell key (`()` the total) -> value.
ExactFigures = dict[str, dict[CellKey, Any]]


def open_exact(received: Sequence[Received], private_key: Any) -> dict[str, ExactFigures]:
    """Each provider's exact figures (by organisation code), from its sealed part.

    A provider whose bundle carries no sealed part is left out (its published
    figures are used, as without the key). Raises `SealError` as the module
    docstring says.
    """
    found: dict[str, ExactFigures] = {}
    for item in received:
        if item.sealed is None:
            continue
        name = Path(item.file).name
        try:
            document = open_figures(item.sealed, private_key, return_context(item.ret))
        except SealError as exc:
            raise SealError(f"{name}: {exc}") from None
        figures = _figures(document, name)
        problem = _contradiction(item.ret, figures)
        if problem:
            raise SealError(
                f"{name}: the sealed exact figures contradict the published ones: {problem}"
            )
        found[item.ret.organisation] = figures
    return found


def _figures(document: Mapping[str, Any], name: str) -> ExactFigures:
    if document.get("format") != EXACT_FORMAT or not isinstance(document.get("figures"), list):
        raise SealError(f"{name}: the sealed part does not hold {EXACT_FORMAT} figures")
    result: ExactFigures = {}
    try:
        for figure in document["figures"]:
            cells: dict[CellKey, Any] = {(): figure["value"]}
            for cell in figure["cells"]:
                cells[tuple(cell["key"])] = cell["value"]
            result[str(figure["id"])] = cells
    except (KeyError, TypeError):
        raise SealError(
            f"{name}: the sealed figures are not in the form peerreport writes"
        ) from None
    return result


def _contradiction(ret: Return, exact: ExactFigures) -> str | None:
    """A published exact cell whose sealed value differs, or a figure missing; else None."""
    for figure in ret.figures:
        cells = exact.get(figure.id)
        if cells is None:
            return f"figure {figure.id} is missing"
        for cell in (figure.total, *figure.cells):
            if cell.key not in cells:
                return f"figure {figure.id} ({cell.label()}) is missing"
            if cell.status == EXACT and figure.kind != "expr" and cell.value != cells[cell.key]:
                return f"figure {figure.id} ({cell.label()}) is {cell.value} published"
    return None
