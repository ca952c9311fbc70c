"""What every page a browser test visits must pass: axe-core, words instead of codes, a screenshot.

axe-core (vendored in `vendor/`, never fetched) is evaluated in the page
through the DevTools protocol, so the pages' own Content-Security-Policy
(no inline script) stays on. A violation of impact "serious" or "critical"
fails the test; the others are printed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

#: Internal codes a person must never read: vocabulary and measure ids (`not_ethnicity`,
#: `25_64`, `warm_line_call`) and indexed names (`check[0]`, `measures[3]`).
CODE_PATTERNS = (
    re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b"),
    re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\[\d+\]"),
)
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""
_TEXT = """() => [
  document.title,
  document.body.innerText,
  ...[...document.querySelectorAll("[aria-label], [title], [alt], [placeholder]")].flatMap(
    e => ["aria-label", "title", "alt", "placeholder"].map(a => e.getAttribute(a) || "")),
].join("\\n")"""


@cache
def axe_source() -> str:
    """The vendored axe-core script."""
    return AXE.read_text("utf-8")


def codes_in(text: str) -> list[str]:
    """The internal codes in a text a person reads (none, on every page)."""
    return sorted({m.group(0) for pattern in CODE_PATTERNS for m in pattern.finditer(text)})


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE)
    return found


class PageChecks:
    """Check a page and screenshot it: `checks(page, "upload-problems")`."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder = folder
        self.prefix = prefix
        self.visited: list[str] = []

    def __call__(self, page: Any, name: str, axe: bool = True, codes: bool = True) -> None:
        """Screenshot the page, then assert it has no codes and no serious accessibility fault.

        `axe=False` for a page with JavaScript off: axe-core's checks are asynchronous and
        would wait forever there (the same templates are checked with JavaScript on).
        `codes=False` for the one page that shows ids on purpose: the audit report names
        each figure's measure id in its rule file, under its label, for working papers.
        """
        self.visited.append(name)
        shot = self.folder / f"{self.prefix}-{len(self.visited):02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        found = codes_in(page.evaluate(_TEXT)) if codes else []
        assert not found, f"{name} ({page.url}) shows codes instead of words: {found}"
        if not axe:
            return
        violations = axe_violations(page)
        for v in violations:
            if v["impact"] not in FAILING_IMPACTS:
                print(f"axe, {name}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
        failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        assert not failing, f"{name} ({page.url}): axe-core finds {failing}"
