"""Formula-injection protection for text written into spreadsheets (CSV and XLSX).

A spreadsheet treats a cell that begins with `=`, `+`, `-` or `@` as a formula,
and some also after a tab, a carriage return or leading spaces (OWASP "CSV
injection", ASVS 1.2.10). An organisation name or a finding message is text a
person typed, so every TEXT cell we write goes through `neutralise`, which puts
a single quote in front of such text. Numbers are never passed through it:
they are written as numeric cells, so a negative number stays a number.
"""

from __future__ import annotations

#: Characters that start a formula, including their fullwidth forms (Excel folds them).
FORMULA_STARTS = frozenset("=+-@＝＋－＠")
#: Control characters that some spreadsheets skip before looking for a formula.
CONTROL_STARTS = frozenset("\t\r\n\x00")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula (or as one after whitespace)."""
    if not text:
        return False
    if text[0] in CONTROL_STARTS or text[0] in FORMULA_STARTS:
        return True
    stripped = text.lstrip(" \t\r\n\x00\u00a0\u3000")
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def neutralise(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet could take it for a formula."""
    return "'" + text if is_formula_like(text) else text
