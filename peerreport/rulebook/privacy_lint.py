"""The privacy lint: rule files that could expose people are refused when they load.

Three rules, each a `RUL-020` (rule-privacy) finding naming the key and the reason:

1. **Forbidden fields.** A name used anywhere (expressions, `by`, grouping
   fields) that is a forbidden column — a person's name, date of birth,
   address, contact details, NHI or other identifier, diagnosis, medication,
   case notes — is refused, even though no such field exists, so the reason
   is the privacy rule and not "unknown name".
2. **Member tokens only in distinct.** `member_tokens` may only be the whole
   argument of `distinct = "member_tokens"` (over `activity`); in `where`,
   `sum`, `min`, `max`, `expr`, `assert` or `by` it is refused.
3. **Cells that could never be published.** With disclosure `method` other than
   `none` and `threshold` T > 1, a measure with `by` is refused when
   (a) it is `min` or `max`: every cell is one record's value, never T records;
   (b) it is a `count` or `distinct` whose `where` pins one activity (a
       conjunct `activity_id = '...'`): every cell counts at most 1 < T;
   (c) it has more cells than `disclosure.max_cells` (the product of the
       number of categories of each `by` field, plus one for "not recorded"
       when the field may be empty): a table that fine cannot be published
       without suppressing most of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from peerreport.findings import Finding
from peerreport.language import ExpressionError, ast, parse
from peerreport.privacy.forbidden import forbidden_column
from peerreport.rulebook.model import Measure, RuleFileModel
from peerreport.rulebook.problems import problem
from peerreport.rulebook.resolve import Resolved
from peerreport.rulebook.sources import MEMBER_TOKENS


def forbidden_reason(name: str) -> str | None:
    """Why a field name is forbidden (`peerreport.privacy.forbidden`), or None if allowed."""
    reason = forbidden_column(name)
    if not reason:
        return None
    return reason.replace(" Delete this column before importing.", "").strip()


def _expressions(resolved: Resolved) -> Iterator[tuple[str, str, str]]:
    """(origin key, TOML key, text) of every expression in the resolved rule file."""
    model: RuleFileModel = resolved.model
    for measure in model.measure:
        for attr in ("sum", "distinct", "min", "max", "expr", "where"):
            text = getattr(measure, attr)
            if text:
                yield f"measure:{measure.id}", attr, text
    for check in model.check:
        for attr, text in (("where", check.where), ("assert", check.assert_)):
            if text:
                yield f"check:{check.id}", attr, text
    for name, text in model.define.items():
        yield f"define:{name}", "", text


def lint(resolved: Resolved, threshold_check: bool = True) -> list[Finding]:
    """Every privacy problem in a resolved rule file."""
    findings: list[Finding] = []

    def where(origin: str, attr: str) -> tuple[str, str]:
        found = resolved.origins.get(origin)
        file = str(found.file) if found else str(resolved.path)
        if not attr:  # a define: its key is its own
            return file, found.key if found else origin.replace(":", ".", 1)
        key = f"{found.key}.{attr}" if found else attr
        return file, key

    def refuse(origin: str, attr: str, message: str, hint: str = "") -> None:
        file, key = where(origin, attr)
        findings.append(problem("RUL-020", message, file, key, hint))

    for origin, attr, text in _expressions(resolved):
        try:
            tree = parse(text)
        except ExpressionError:
            continue  # reported by the analysis
        for name in ast.names(tree):
            reason = forbidden_reason(name.name)
            if reason:
                refuse(origin, attr, _forbidden(name.name, reason))
            elif name.name == MEMBER_TOKENS and not (attr == "distinct" and tree == name):
                refuse(
                    origin,
                    attr,
                    f'member tokens may only be counted (distinct = "{MEMBER_TOKENS}"), '
                    f"not used in {attr or 'a define'}",
                    "Member tokens never appear in any output; count unique people with a "
                    "distinct measure.",
                )
    for measure in resolved.model.measure:
        for index, field in enumerate(measure.by):
            if forbidden_reason(field):
                refuse(
                    f"measure:{measure.id}",
                    f"by[{index}]",
                    _forbidden(field, forbidden_reason(field) or ""),
                )
            elif field == MEMBER_TOKENS:
                refuse(
                    f"measure:{measure.id}",
                    f"by[{index}]",
                    "cannot break a figure down by member tokens",
                )
    for grouping_name, grouping in resolved.model.grouping.items():
        reason = forbidden_reason(grouping.field) or forbidden_reason(grouping_name)
        if reason:
            refuse(f"grouping:{grouping_name}", "field", _forbidden(grouping.field, reason))
    if threshold_check:
        _threshold_problems(resolved, refuse)
    return findings


def _forbidden(name: str, reason: str) -> str:
    return f"'{name}' is a forbidden field: {reason} A rule file may not ask for it."


def _threshold_problems(resolved: Resolved, refuse: Callable[..., None]) -> None:
    from peerreport.rulebook.cells import cell_count

    disclosure = resolved.model.disclosure
    assert disclosure is not None
    if disclosure.method == "none" or disclosure.threshold <= 1:
        return
    t = disclosure.threshold
    for measure in resolved.model.measure:
        if not measure.by:
            continue
        origin = f"measure:{measure.id}"
        if measure.kind in ("min", "max"):
            refuse(
                origin,
                "by",
                f"a {measure.kind} broken down by {', '.join(measure.by)} shows one record's "
                f"value in every cell, so no cell can ever have {t} contributors (threshold)",
                "Report the min or max without `by`, or set disclosure method = 'none' if the "
                "figure is not about people.",
            )
        elif measure.kind in ("count", "distinct") and _pins_one_activity(
            measure, resolved.model.define
        ):
            refuse(
                origin,
                "where",
                f"this {measure.kind} is limited to one activity, so every cell of its "
                f"breakdown counts at most 1, below the threshold of {t}",
            )
        cells = cell_count(resolved.model, measure)
        if cells is not None and cells > disclosure.max_cells:
            refuse(
                origin,
                "by",
                f"a breakdown by {' × '.join(measure.by)} has {cells} cells, more than "
                f"disclosure.max_cells = {disclosure.max_cells}; with threshold {t} every cell "
                f"would need {t} or more contributions, {cells * t} in all, so most cells "
                "would be suppressed",
                "Break down by fewer fields, or group categories with a [grouping].",
            )


def _pins_one_activity(measure: Measure, defines: Mapping[str, str]) -> bool:
    from peerreport.rulebook.cells import expanded

    if not measure.where:
        return False
    try:
        tree = expanded(measure.where, defines)
    except ExpressionError:
        return False
    return any(_is_key_equality(c) for c in _conjuncts(tree))


def _conjuncts(node: ast.Node) -> Iterator[ast.Node]:
    if isinstance(node, ast.Logical) and node.op == "and":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _is_key_equality(node: ast.Node) -> bool:
    if isinstance(node, ast.Comparison) and node.op == "=":
        sides = {type(node.left), type(node.right)}
        named = node.left if isinstance(node.left, ast.Name) else node.right
        return (
            sides == {ast.Name, ast.Literal}
            and isinstance(named, ast.Name)
            and named.name == "activity_id"
        )
    if isinstance(node, ast.InList) and not node.negated and len(node.items) == 1:
        return isinstance(node.operand, ast.Name) and node.operand.name == "activity_id"
    return False
