"""A rule file as a readable specification (HTML) for funders and coordinators.

What each measure counts (its filter and breakdown in the rule language, with
the funder's line code and unit), every check with its severity, message and
hint, the disclosure policy in words, the named expressions (`[define]`),
what a tailored file removed and why (`[[remove]]`), and where each item
comes from (`extends`). Rendered with jinja2's sandbox and autoescaping; no database.
"""

from __future__ import annotations

from typing import Any

from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.model import Check

KIND_WORDS = {
    "count": "Counts the {source} records",
    "sum": "Adds up {argument} over the {source} records",
    "distinct": "Counts the different values of {argument} among the {source} records",
    "min": "The smallest {argument} among the {source} records",
    "max": "The largest {argument} among the {source} records",
    "expr": "Worked out from other figures: {argument}",
}

METHOD_WORDS = {
    "suppress": "Counts below {threshold} are hidden (shown as “{symbol}”){zero}{secondary}.",
    "rr3": "Every count is randomly rounded to a multiple of 3 (Stats NZ RR3), the same way "
    "each time the return is built.",
    "graduated": "Every count is randomly rounded to a base that grows with its size (Stats NZ "
    "graduated random rounding), the same way each time the return is built.",
    "none": "Figures are published as computed (no small-count protection).",
}


def rule_doc_context(rule_file: RuleFile) -> dict[str, Any]:
    """Plain data describing a rule file, for the template."""
    model = rule_file.model
    policy = rule_file.disclosure
    disclosure = METHOD_WORDS[policy.method].format(
        threshold=policy.threshold,
        symbol=policy.symbol,
        zero="; zeros are shown as 0" if policy.zero_exempt else "; zeros are hidden too",
        secondary=", and other cells are hidden too where a hidden one could be worked out "
        "from the totals"
        if policy.secondary
        else "",
    )
    measures = []
    for compiled in rule_file.measures.values():
        measure = compiled.measure
        source = measure.record_source or ""
        measures.append(
            {
                "id": measure.id,
                "line": measure.line,
                "label": measure.label or measure.id,
                "description": measure.description,
                "what": KIND_WORDS[measure.kind].format(source=source, argument=measure.argument),
                "where": measure.where or "",
                "by": ", ".join(measure.by),
                "unit": measure.unit,
                "round": measure.round,
                "from": rule_file.origin("measure", measure.id).file.stem,
            }
        )
    checks = []
    for compiled_check in rule_file.checks.values():
        check = compiled_check.check
        rule = check.assert_ or f"{check.total} = {' + '.join(check.parts)}"
        if check.kind == "history":
            rule = history_rule(check)
        checks.append(
            {
                "id": check.id,
                "title": check.title,
                "severity": check.severity if check.enabled else "off",
                "kind": check.kind,
                "rule": rule,
                "where": check.where or "",
                "message": check.message,
                "hint": check.hint,
                "from": rule_file.origin("check", check.id).file.stem,
            }
        )
    defines = [
        {"name": name, "text": text, "from": rule_file.origin("define", name).file.stem}
        for name, text in model.define.items()
    ]
    removed = []
    for removal in model.remove:
        origin = rule_file.origins.get(f"remove:{removal.kind}:{removal.target}")
        removed.append(
            {
                "kind": removal.kind,
                "id": removal.target,
                "reason": removal.reason,
                "by": origin.file.stem if origin else "",
            }
        )
    return {
        "id": rule_file.id,
        "title": model.title,
        "version": rule_file.version,
        "digest": rule_file.digest,
        "description": model.description,
        "funder": model.funder,
        "spec": model.spec,
        "purchase_units": ", ".join(model.purchase_units),
        "period": model.period or "quarter",
        "year_start": model.year_start or "07-01",
        "due": model.due.describe() if model.due is not None else "",
        "lineage": " → ".join(rule_file.lineage),
        "disclosure": disclosure,
        "measures": measures,
        "checks": checks,
        "defines": defines,
        "removed": removed,
    }


def render_rule_doc(rule_file: RuleFile) -> str:
    """The HTML specification of a rule file."""
    from importlib import resources

    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    source = resources.files("peerreport_templates").joinpath("rule-doc.html.j2").read_text("utf-8")
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(source).render(rule_doc_context(rule_file))


def history_rule(check: Check) -> str:
    """A history check's rule in words, e.g. 'calls within 0.5-2 x the mean of 4 earlier
    periods'."""
    tests = []
    if check.ratio is not None:
        low, high = (f"{r:g}" for r in check.ratio)
        tests.append(f"within {low}-{high} x the mean")
    if check.z is not None:
        tests.append(f"within {check.z:g} standard deviations of the mean")
    return f"{check.history} {' and '.join(tests)} of its {check.periods} earlier periods"
