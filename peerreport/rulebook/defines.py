"""A rule file's `[define]`: named expressions, checked on their own.

Each define is parsed once (a syntax error is reported at `define.NAME`), and
its names are checked: a define may not take the name of a record field, a
function, a keyword, a grouping or a measure (it would hide it), may not
refer to itself through other defines, and may only use names that mean
something somewhere (a field of some source, a grouping, a measure, another
define). Types are checked where a define is used, as if it were written
inline there (`peerreport.language.defines`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from peerreport.findings import Finding
from peerreport.language import FUNCTIONS, Define, ExpressionError, did_you_mean, parse
from peerreport.language import ast as syntax
from peerreport.language.defines import cycle
from peerreport.language.functions import DATE_LITERAL
from peerreport.rulebook.model import RuleFileModel
from peerreport.rulebook.problems import expression_problem, problem
from peerreport.rulebook.sources import sources

#: Words of the expression language a name cannot be (they are read as keywords).
KEYWORDS = ("and", "or", "not", "is", "in", "between", "null", "true", "false")


def _fields() -> dict[str, str]:
    """Every record field's name -> the first source that has it."""
    found: dict[str, str] = {}
    for source in sources().values():
        for binding in source.fields:
            found.setdefault(binding.name, source.name)
    return found


def shadowed(name: str, model: RuleFileModel) -> str | None:
    """What a define called `name` would hide, in words, or None."""
    fields = _fields()
    if name in fields:
        return f"a field of source '{fields[name]}'"
    if name in FUNCTIONS or name == DATE_LITERAL:
        return "a function"
    if name in KEYWORDS:
        return "a keyword of the expression language"
    if name in model.grouping:
        return "a grouping"
    if any(m.id == name for m in model.measure):
        return "a measure"
    return None


def check_defines(
    model: RuleFileModel,
    where: Mapping[str, tuple[str, str]],
    removed: Collection[str] = (),
) -> tuple[dict[str, Define], list[Finding]]:
    """The parsed defines and every problem with them.

    `where`: define name -> (file, TOML key). `removed`: measures taken out
    with `[[remove]]`; a define naming one is reported where it is used.
    """
    problems: list[Finding] = []
    defines: dict[str, Define] = {}
    for name, text in model.define.items():
        file, key = where.get(name, ("", f"define.{name}"))
        what = shadowed(name, model)
        if what:
            problems.append(
                problem(
                    "RUL-031",
                    f"define '{name}' has the name of {what}: a define may not hide a field, "
                    "function, keyword, grouping or measure",
                    file,
                    key,
                    hint=f"Give it another name, e.g. '{name}_value'.",
                )
            )
            continue
        try:
            defines[name] = Define(name, text, parse(text))
        except ExpressionError as exc:
            problems.append(expression_problem(exc, file, key, f"define '{name}'"))
    known = [
        *_fields(),
        *model.grouping,
        *(m.id for m in model.measure),
        *model.define,
        *removed,
    ]
    for name, define in defines.items():
        file, key = where.get(name, ("", f"define.{name}"))
        chain = cycle(defines, name)
        if chain:
            problems.append(
                problem(
                    "RUL-032",
                    f"define '{name}' refers to itself: {' -> '.join(chain)}",
                    file,
                    key,
                    hint="A define may use other defines, but never (through them) itself.",
                )
            )
        for used in dict.fromkeys(n.name for n in syntax.names(define.tree)):
            if used not in known:
                pool = [k for k in known if k not in removed]
                problems.append(
                    problem(
                        "RUL-012",
                        f"define '{name}': unknown name '{used}' (not a field, grouping, "
                        f"measure or define).{did_you_mean(used, pool)}",
                        file,
                        key,
                    )
                )
    return defines, problems
