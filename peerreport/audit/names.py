"""Which figure an auditor means: its measure id, its line code or its label, as printed.

An auditor reads the return, not the rule file, so a figure can be named the
way the return shows it: `group_sessions`, `PSA4` or `Group sessions
delivered`, in any case and spacing. A name that fits several figures, or
none, is an error that lists the candidates; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from peerreport.errors import UsageError
from peerreport.language import did_you_mean
from peerreport.returns.model import Return, ReturnFigure


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def describe(figure: ReturnFigure) -> str:
    """A figure as a list of candidates shows it: `id (line A1): Label`."""
    line = f" (line {figure.line})" if figure.line else ""
    label = f": {figure.label}" if figure.label and figure.label != figure.id else ""
    return f"{figure.id}{line}{label}"


def figure_named(ret: Return, name: str) -> ReturnFigure:
    """The figure of `ret` whose measure id, line code or label is `name`."""
    for figure in ret.figures:
        if figure.id == name:
            return figure
    wanted = _plain(name)
    matches = [
        figure
        for figure in ret.figures
        if wanted in {_plain(figure.id), _plain(figure.line), _plain(figure.label)}
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"{name!r} could be any of {len(matches)} figures; give the measure id:"
            + _listing(matches)
        )
    pool = [text for f in ret.figures for text in (f.id, f.line, f.label) if text]
    near = [f for f in ret.figures if wanted and wanted in _plain(f"{f.id} {f.line} {f.label}")]
    title = "Figures with that in their name" if near else "Its figures"
    raise UsageError(
        f"the return has no measure, line code or label {name!r}.{did_you_mean(name, pool)}\n"
        f"{title}:" + _listing(near or ret.figures)
    )


def _listing(figures: Sequence[ReturnFigure]) -> str:
    return "".join(f"\n  {describe(f)}" for f in figures)
