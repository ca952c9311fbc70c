"""Errors in an expression: a message, a position and the line with a caret under it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from peerreport.language.ast import Span


class ExpressionError(Exception):
    """An expression cannot be parsed or does not type-check.

    Not a `PeerreportError`: the rule-file loader catches it and reports it
    with the file name and TOML key (`peerreport.rulebook`).
    """

    def __init__(self, message: str, text: str, span: Span, *, code: str = "expression") -> None:
        self.message = message
        self.text = text
        self.span = span
        self.code = code
        super().__init__(f"line {span.line}, col {span.column}: {message}\n{self.caret()}")

    def caret(self) -> str:
        """The offending line of the expression with `^` under the offending part."""
        lines = self.text.splitlines() or [""]
        index = min(max(self.span.line, 1), len(lines)) - 1
        line = lines[index]
        start = max(self.span.column, 1)
        end = self.span.end_column if self.span.end_line == self.span.line else len(line) + 1
        width = max(1, min(end, len(line) + 1) - start)
        if len(line) > CARET_WIDTH:
            # A long line is shown as a window around the offending part, not in full.
            left = max(0, start - 1 - CARET_WIDTH // 4)
            width = min(width, CARET_WIDTH - (start - 1 - left))
            shown = line[left : left + CARET_WIDTH]
            prefix = "…" if left else ""
            suffix = "…" if left + CARET_WIDTH < len(line) else ""
            return f"    {prefix}{shown}{suffix}\n    {' ' * (len(prefix) + start - 1 - left)}" + (
                "^" * width
            )
        return f"    {line}\n    {' ' * (start - 1)}{'^' * width}"


CARET_WIDTH = 100  # characters of an expression line shown above a caret


def shorten(text: str, limit: int = CARET_WIDTH) -> str:
    """The start of a long text, marked as cut, for messages."""
    return text if len(text) <= limit else text[:limit] + "…"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' Did you mean 'x'?' for the closest candidate, or ''."""
    pool = list(candidates)
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in pool}
        match = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" Did you mean '{match[0]}'?" if match else ""
