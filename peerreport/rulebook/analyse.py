"""Static analysis of a resolved rule file: every expression, name and reference checked.

Collects every problem (it does not stop at the first) and returns them with
the compiled rule file; `peerreport.rulebook.load()` raises if there are any.
"""

from __future__ import annotations

from peerreport.findings import Finding
from peerreport.language import (
    Define,
    Expression,
    ExpressionError,
    Type,
    did_you_mean,
    expand,
    parse,
)
from peerreport.language import ast as syntax
from peerreport.records.vocabulary import vocabulary
from peerreport.rulebook.cells import field_codes, pinned_dimension
from peerreport.rulebook.compiled import CompiledCheck, CompiledMeasure, RuleFile
from peerreport.rulebook.defines import check_defines
from peerreport.rulebook.digest import digest
from peerreport.rulebook.model import Check, Grouping, Measure
from peerreport.rulebook.problems import expression_problem, problem
from peerreport.rulebook.resolve import Resolved
from peerreport.rulebook.scopes import measure_scope, source_scope
from peerreport.rulebook.sources import MEMBER_TOKENS, sources
from peerreport.rulebook.template import placeholders
from peerreport.rulebook.time_bands import (
    Band,
    BandError,
    is_time_field,
    overlap,
    parse_band,
    uncovered,
)

#: Placeholders a message may use besides measure ids, by check kind.
CHECK_PLACEHOLDERS = {
    "record": ("count", "sample"),
    "return": (),
    "consistency": ("total", "parts", "difference"),
    "history": ("value", "mean", "low", "high", "history"),
}


class Analysis:
    """Checks a resolved rule file; `problems` holds what is wrong."""

    def __init__(self, resolved: Resolved) -> None:
        self.resolved = resolved
        self.model = resolved.model
        self.problems: list[Finding] = []
        self.defines: dict[str, Define] = {}

    def run(self) -> RuleFile:
        """Check everything; return the compiled rule file (use it only if no problems)."""
        where = {
            name: (self._where("define", name, "")[0], f"define.{name}")
            for name in self.model.define
        }
        removed = [r.target for r in self.model.remove if r.kind == "measure"]
        self.defines, problems = check_defines(self.model, where, removed)
        self.problems += problems
        self._groupings()
        measures = self._aggregates()
        types = {m.id: m.type for m in measures.values()}
        derived_order = self._derived(measures, types)
        ordered = {m.id: measures[m.id] for m in self.model.measure if m.id in measures}
        checks = {c.id: self._check(c, types) for c in self.model.check}
        return RuleFile(
            model=self.model,
            path=self.resolved.path,
            lineage=self.resolved.lineage,
            origins=self.resolved.origins,
            measures=ordered,
            derived_order=tuple(derived_order),
            checks=checks,
            digest=digest(self.model),
        )

    # -- helpers ---------------------------------------------------------------------

    def _where(self, kind: str, ident: str, attr: str) -> tuple[str, str]:
        origin = self.resolved.origins.get(f"{kind}:{ident}")
        if origin is None:
            return str(self.resolved.path), attr
        return str(origin.file), f"{origin.key}.{attr}" if attr else origin.key

    def _problem(
        self, code: str, message: str, kind: str, ident: str, attr: str, hint: str = ""
    ) -> None:
        file, key = self._where(kind, ident, attr)
        self.problems.append(problem(code, message, file, key, hint))

    def _compile(
        self,
        text: str,
        scope_source: str | None,
        types: dict[str, Type] | None,
        expected: Type | None,
        kind: str,
        ident: str,
        attr: str,
        apportioned: bool = False,
    ) -> Expression | None:
        scope = (
            source_scope(scope_source, self.model.grouping, apportioned, self.defines)
            if scope_source
            else measure_scope(types or {}, self.defines)
        )
        try:
            return Expression.compile(text, scope, expected)
        except ExpressionError as exc:
            if exc.code == "define-cycle":
                return None  # reported once, at the define
            file, key = self._where(kind, ident, attr)
            self.problems.append(expression_problem(exc, file, key, f"{kind} '{ident}'"))
            return None

    # -- groupings -------------------------------------------------------------------

    def _groupings(self) -> None:
        for name, grouping in self.model.grouping.items():
            self._grouping(name, grouping)

    def _grouping(self, name: str, grouping: Grouping) -> None:
        holders = [s for s in sources() if sources()[s].binding(grouping.field)]
        if not holders:
            every = sorted({f.name for s in sources().values() for f in s.fields})
            self._problem(
                "RUL-012",
                f"grouping '{name}': no record source has a field '{grouping.field}'."
                + did_you_mean(grouping.field, every),
                "grouping",
                name,
                "field",
            )
            return
        if is_time_field(grouping.field):
            self._time_grouping(name, grouping)
            return
        codes = field_codes({}, holders[0], grouping.field)
        if codes is None:
            self._problem(
                "RUL-011",
                f"grouping '{name}': '{grouping.field}' is not a vocabulary field",
                "grouping",
                name,
                "field",
            )
            return
        known = [c for c in codes if c is not None]
        seen: dict[str, str] = {}
        for category, members in grouping.map.items():
            for code in members:
                if code not in known:
                    self._problem(
                        "RUL-013",
                        f"grouping '{name}': '{code}' is not a code of '{grouping.field}'."
                        + did_you_mean(code, known),
                        "grouping",
                        name,
                        f"map.{category}",
                    )
                elif code in seen:
                    self._problem(
                        "RUL-031",
                        f"grouping '{name}': '{code}' is in both '{seen[code]}' and '{category}'",
                        "grouping",
                        name,
                        f"map.{category}",
                    )
                seen.setdefault(code, category)
        missing = [c for c in known if c not in seen]
        if missing and grouping.other is None:
            self._problem(
                "RUL-033",
                f"grouping '{name}': codes not mapped: {', '.join(missing)}",
                "grouping",
                name,
                "map",
                hint="Map every code, or set `other` to the category unmapped codes go to.",
            )

    def _time_grouping(self, name: str, grouping: Grouping) -> None:
        """A grouping of a time of day: bands, not overlapping, covering the day or `other`."""
        bands: list[tuple[str, Band]] = []
        for category, texts in grouping.map.items():
            for text in texts:
                try:
                    band = parse_band(text)
                except BandError as exc:
                    self._problem(
                        "RUL-013", f"grouping '{name}': {exc}", "grouping", name, f"map.{category}"
                    )
                    continue
                clash = next((c for c, b in bands if overlap(b, band)), None)
                if clash is not None:
                    self._problem(
                        "RUL-031",
                        f"grouping '{name}': '{text}' of '{category}' overlaps a band of "
                        f"'{clash}'; a time can be in one category only",
                        "grouping",
                        name,
                        f"map.{category}",
                    )
                bands.append((category, band))
        gaps = uncovered(b for _, b in bands)
        if gaps and grouping.other is None:
            self._problem(
                "RUL-033",
                f"grouping '{name}': times in no band: {', '.join(gaps)}",
                "grouping",
                name,
                "map",
                hint="Cover the whole day (00:00-24:00) with bands, or set `other` to the "
                "category the rest of the day goes to.",
            )

    # -- measures --------------------------------------------------------------------

    def _aggregates(self) -> dict[str, CompiledMeasure]:
        result: dict[str, CompiledMeasure] = {}
        for measure in self.model.measure:
            if measure.kind == "expr":
                continue
            compiled = self._aggregate(measure)
            if compiled is not None:
                result[measure.id] = compiled
        return result

    def _aggregate(self, m: Measure) -> CompiledMeasure | None:
        source = m.record_source
        assert source is not None
        where = None
        if m.where:
            where = self._compile(m.where, source, None, Type.BOOLEAN, "measure", m.id, "where")
            self._dimension_order(m)
        self._by(m, source)
        if m.kind == "count":
            return CompiledMeasure(m, Type.INTEGER, where)
        argument_text = m.argument
        assert argument_text is not None
        if m.kind == "distinct" and argument_text.strip() == MEMBER_TOKENS:
            if source != "activity":
                self._problem(
                    "RUL-033",
                    f"measure '{m.id}': member tokens belong to activities; "
                    "use source = 'activity'",
                    "measure",
                    m.id,
                    "source",
                )
                return None
            token = Expression(argument_text, syntax.Name(MEMBER_TOKENS, type=Type.TOKEN))
            return CompiledMeasure(m, Type.INTEGER, where, token)
        # A sum adds up each record's part of the period (apportioned workforce entries).
        argument = self._compile(
            argument_text, source, None, None, "measure", m.id, m.kind, m.kind == "sum"
        )
        if argument is None:
            return None
        t = argument.type
        if m.kind == "sum" and not t.numeric:
            self._problem(
                "RUL-011",
                f"measure '{m.id}': sum needs a number, not {t.value}",
                "measure",
                m.id,
                "sum",
            )
        elif m.kind in ("min", "max") and (not t.ordered or t is Type.TIME):
            self._problem(
                "RUL-011",
                f"measure '{m.id}': {m.kind} needs a number or a date, not {t.value}",
                "measure",
                m.id,
                m.kind,
            )
        elif m.kind == "distinct" and t is Type.BOOLEAN:
            self._problem(
                "RUL-011",
                f"measure '{m.id}': distinct of a condition is at most 2; use count with where",
                "measure",
                m.id,
                "distinct",
            )
        value_type = Type.INTEGER if m.kind == "distinct" else t
        return CompiledMeasure(m, value_type, where, argument)

    def _dimension_order(self, m: Measure) -> None:
        """A `where` fixing both dimensions of a cross-tabulation, in the stored order."""
        first = pinned_dimension(m, self.model.define, "dimension")
        second = pinned_dimension(m, self.model.define, "dimension2")
        order = vocabulary("dimension").codes
        if first is None or second is None or first == second:
            return
        if order.index(second) < order.index(first):
            self._problem(
                "RUL-068",
                f"measure '{m.id}': where fixes dimension = '{first}' and dimension2 = "
                f"'{second}', but a count by two dimensions is stored with {second} first, so "
                "nothing would be counted",
                "measure",
                m.id,
                "where",
                f"Swap them: dimension = '{second}' and dimension2 = '{first}' (and category "
                "with category2 in by).",
            )

    def _by(self, m: Measure, source: str) -> None:
        scope = source_scope(source, self.model.grouping)
        for index, field in enumerate(m.by):
            binding = scope.get(field)
            if binding is None:
                self._problem(
                    "RUL-012",
                    f"measure '{m.id}': unknown field '{field}' in by (not one of the "
                    f"{scope.title}).{did_you_mean(field, scope.names())}",
                    "measure",
                    m.id,
                    f"by[{index}]",
                )
            elif binding.codes is None:
                self._problem(
                    "RUL-011",
                    f"measure '{m.id}': cannot break down by '{field}': only vocabulary fields "
                    "and groupings have a fixed list of categories"
                    + (
                        f"; group {field} into bands of the day with a [grouping.NAME] "
                        f"(field = '{field}', map = {{ office_hours = ['09:00-17:00'] }})"
                        if binding.type is Type.TIME
                        else ""
                    ),
                    "measure",
                    m.id,
                    f"by[{index}]",
                )
        if len(set(m.by)) != len(m.by):
            self._problem(
                "RUL-031",
                f"measure '{m.id}': a field is repeated in by",
                "measure",
                m.id,
                "by",
            )

    def _derived(self, measures: dict[str, CompiledMeasure], types: dict[str, Type]) -> list[str]:
        derived = {m.id: m for m in self.model.measure if m.kind == "expr"}
        uses: dict[str, list[str]] = {}
        for ident, m in derived.items():
            try:
                tree = expand(parse(m.expr or ""), self.defines, m.expr or "")
                uses[ident] = [n.name for n in syntax.names(tree)]
            except ExpressionError as exc:
                file, key = self._where("measure", ident, "expr")
                self.problems.append(expression_problem(exc, file, key, f"measure '{ident}'"))
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(ident: str, chain: list[str]) -> None:
            if state.get(ident) == "done":
                return
            if state.get(ident) == "active":
                cycle = " -> ".join([*chain[chain.index(ident) :], ident])
                self._problem(
                    "RUL-032",
                    f"derived measures depend on themselves: {cycle}",
                    "measure",
                    ident,
                    "expr",
                )
                raise _Cycle
            state[ident] = "active"
            for used in uses.get(ident, []):
                if used in derived:
                    visit(used, [*chain, ident])
            state[ident] = "done"
            order.append(ident)

        for ident in uses:
            try:
                visit(ident, [])
            except _Cycle:
                return []
        all_types = dict(types)
        for ident in order:
            expr = self._compile(
                derived[ident].expr or "", None, all_types, Type.REAL, "measure", ident, "expr"
            )
            if expr is not None:
                measures[ident] = CompiledMeasure(derived[ident], expr.type, None, expr)
                all_types[ident] = expr.type
        types.update(all_types)
        return [i for i in order if i in measures]

    # -- checks ----------------------------------------------------------------------

    def _check(self, c: Check, types: dict[str, Type]) -> CompiledCheck:
        where = assertion = None
        if c.kind in ("consistency", "history"):
            named: list[tuple[str, str | None]] = (
                [("history", c.history)]
                if c.kind == "history"
                else [("total", c.total), *((f"parts[{i}]", p) for i, p in enumerate(c.parts))]
            )
            for attr, ident in named:
                if ident not in types:
                    self._problem(
                        "RUL-033",
                        f"check '{c.id}': unknown measure '{ident}'."
                        + did_you_mean(ident or "", types),
                        "check",
                        c.id,
                        attr,
                    )
                elif not types[ident].numeric:
                    self._problem(
                        "RUL-011",
                        f"check '{c.id}': '{ident}' is not a number",
                        "check",
                        c.id,
                        attr,
                    )
        else:
            source = c.source if c.kind == "record" else None
            if c.where:
                where = self._compile(c.where, source, types, Type.BOOLEAN, "check", c.id, "where")
            assertion = self._compile(
                c.assert_ or "", source, types, Type.BOOLEAN, "check", c.id, "assert"
            )
        self._template(c, types)
        return CompiledCheck(c, where, assertion)

    def _template(self, c: Check, types: dict[str, Type]) -> None:
        allowed = [*types, *CHECK_PLACEHOLDERS[c.kind]]
        for attr in ("message", "hint"):
            try:
                fields = placeholders(getattr(c, attr))
            except ValueError as exc:
                self._problem("RUL-034", f"check '{c.id}': {attr}: {exc}", "check", c.id, attr)
                continue
            for name in fields:
                if name not in allowed:
                    self._problem(
                        "RUL-034",
                        f"check '{c.id}': unknown placeholder {{{name}}} in {attr}."
                        + did_you_mean(name, allowed),
                        "check",
                        c.id,
                        attr,
                        hint="Placeholders are measure ids and "
                        + (", ".join(CHECK_PLACEHOLDERS[c.kind]) or "nothing else"),
                    )


class _Cycle(Exception):
    pass


def analyse(resolved: Resolved) -> tuple[RuleFile, list[Finding]]:
    """The compiled rule file and every problem found."""
    analysis = Analysis(resolved)
    rule_file = analysis.run()
    return rule_file, analysis.problems
