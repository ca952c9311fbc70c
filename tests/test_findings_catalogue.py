"""Every built-in finding code is declared once, documented, and nothing else is emitted.

Three checks, as sqlfluff does for its rules:
- the source: every code literal handed to an emitter (or compared with a
  finding's code) in peerreport/ is declared, and every declared code is used;
- the docs: docs/findings.md is generated from the catalogue;
- the behaviour: findings produced by real scenarios carry declared codes or
  the rule file's own check ids (and tests/conftest.py records every finding
  peerreport constructs during the whole suite, and fails it on an undeclared
  built-in code).
"""

from __future__ import annotations

import ast
import difflib
import re
from pathlib import Path

import pytest

from peerreport.findings import Severity
from peerreport.findings_catalogue import (
    CATALOGUE,
    CODE_PATTERN,
    STAGES,
    UnknownFindingCode,
    entry,
    finding,
    is_builtin,
    render_findings_doc,
)
from peerreport.rulebook.problems import EXPRESSION_CODES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "peerreport"
#: Functions whose first argument is a finding code.
EMITTERS = {"finding", "_problem", "problem"}
#: The only modules that build a `Finding` directly: the catalogue itself, the
#: checks of rule files (their own codes) and reading a stored return.json.
DIRECT = {
    "findings_catalogue.py",
    "compute/checks.py",
    "returns/model.py",
    "returns/history_checks.py",  # a rule file's history checks carry its own codes
}
#: A code-like literal with any capital prefix (SCAN-001 too), to catch strays.
CODE_LIKE = re.compile(r"[A-Z]{2,5}-\d{3}")


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(PACKAGE)), ast.parse(path.read_text("utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _literals(node: ast.expr) -> list[str]:
    """The string constants an argument can be: 'X', or 'X' if ... else 'Y'."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _code_like(node: ast.AST) -> bool:
    """A constant such as 'LED-010' (or the retired 'SCAN-001') with a stage's prefix."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return bool(CODE_LIKE.fullmatch(node.value)) and node.value[:-4] in {*STAGES, "SCAN"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def test_every_code_emitted_in_the_source_is_declared() -> None:
    emitted: dict[str, str] = {}
    for module, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in EMITTERS and node.args:
                for code in _literals(node.args[0]):
                    emitted[code] = module
            elif _code_like(node):
                assert isinstance(node, ast.Constant)
                emitted[node.value] = module
    undeclared = {c: m for c, m in emitted.items() if c not in CATALOGUE}
    assert not undeclared, f"codes not in findings_catalogue.toml: {undeclared}"
    unused = sorted(set(CATALOGUE) - set(emitted))
    assert not unused, f"declared but never emitted: {unused}"


def test_only_the_catalogue_builds_findings_with_built_in_codes() -> None:
    for module, tree in _sources():
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "Finding"
        ]
        if calls:
            assert module in DIRECT, f"{module} builds a Finding: use findings_catalogue.finding"


def test_expression_errors_map_to_declared_codes() -> None:
    kinds = {"expression"}  # ExpressionError's default kind
    for module, tree in _sources():
        if module.startswith("language/"):
            for node in ast.walk(tree):
                if isinstance(node, ast.keyword) and node.arg == "code":
                    kinds.update(_literals(node.value))
    assert kinds <= set(EXPRESSION_CODES), kinds - set(EXPRESSION_CODES)
    assert set(EXPRESSION_CODES.values()) <= set(CATALOGUE)


def test_the_catalogue_follows_one_scheme() -> None:
    assert len(CATALOGUE) >= 60
    for code, declared in CATALOGUE.items():
        assert CODE_PATTERN.fullmatch(code) and declared.prefix in STAGES
        assert is_builtin(code)
        assert declared.description.endswith((".", ")")), code
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", declared.name), code
    assert not is_builtin("NZPS-010")
    assert not is_builtin("PV-030")


def test_finding_takes_severity_and_fix_from_the_catalogue() -> None:
    made = finding("IMP-040", "row 3 repeats row 2")
    assert made.severity is Severity.ERROR
    assert made.hint == entry("IMP-040").fix
    assert finding("IMP-040", "m", "a better hint").hint == "a better hint"
    assert finding("BUN-050", "signed", "").hint == ""
    with pytest.raises(UnknownFindingCode):
        finding("duplicate-record", "the old code is gone")


def test_findings_doc_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "findings.md").read_text("utf-8")
    fresh = render_findings_doc()
    diff = "\n".join(difflib.unified_diff(committed.splitlines(), fresh.splitlines(), n=1))
    assert not diff, (
        "docs/findings.md is stale: run "
        "`python -m peerreport.findings_catalogue > docs/findings.md`\n" + diff
    )


def test_docs_name_only_declared_codes() -> None:
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text("utf-8")
        for code in re.findall(r"\b([A-Z]{3}-\d{3})\b", text):
            if code.split("-")[0] in STAGES:
                assert code in CATALOGUE, f"{page.name} names {code}, which is not declared"


def test_findings_doc_is_linked() -> None:
    for page in ("README.md", "docs/audit.md"):
        assert "findings.md" in (ROOT / page).read_text("utf-8"), page


def test_shipped_rule_files_lint_with_declared_codes_only() -> None:
    """A scenario of its own: lint every shipped rule file, and a broken one."""
    from peerreport.rulebook import Catalogue, lint

    seen = []
    for ident in Catalogue().index():
        seen += lint(ident)
    assert all(f.code in CATALOGUE for f in seen)
    broken = lint(ROOT / "tests" / "test_findings_catalogue.py")  # not TOML at all
    assert [f.code for f in broken] == ["RUL-002"]
