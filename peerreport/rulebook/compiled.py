"""A loaded rule file: resolved, checked, every expression compiled to a typed tree.

This is what `peerreport.rulebook.load()` returns and what the compute stage
runs. It needs no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from peerreport.language import Expression, Type
from peerreport.rulebook.meaning import meaning_digest
from peerreport.rulebook.model import Check, Disclosure, Due, Measure, RuleFileModel
from peerreport.rulebook.resolve import Origin


@dataclass(frozen=True)
class CompiledMeasure:
    """A measure with its expressions checked."""

    measure: Measure
    type: Type  # the type of the figure's value
    where: Expression | None = None
    argument: Expression | None = None  # sum/distinct/min/max/expr; None for count

    @property
    def id(self) -> str:
        """The measure id."""
        return self.measure.id

    @property
    def counts_tokens(self) -> bool:
        """True for distinct = "member_tokens"."""
        return (
            self.measure.kind == "distinct"
            and self.argument is not None
            and (self.argument.type is Type.TOKEN)
        )


@dataclass(frozen=True)
class CompiledCheck:
    """A check with its expressions checked."""

    check: Check
    where: Expression | None = None
    assertion: Expression | None = None

    @property
    def id(self) -> str:
        """The check code."""
        return self.check.id


@dataclass(frozen=True)
class RuleFile:
    """A resolved, checked rule file, ready to compute."""

    model: RuleFileModel
    path: Path
    lineage: tuple[str, ...]
    origins: dict[str, Origin]
    measures: dict[str, CompiledMeasure]  # in file order
    derived_order: tuple[str, ...]  # derived measure ids, each after those it uses
    checks: dict[str, CompiledCheck]  # enabled and disabled, in file order
    digest: str

    @property
    def id(self) -> str:
        """The rule file id."""
        return self.model.id

    @cached_property
    def meaning(self) -> str:
        """The digest of what decides the figures, not the wording (`rulebook.meaning`)."""
        return meaning_digest(self.model)

    @property
    def version(self) -> str:
        """The rule file version."""
        return self.model.version

    @property
    def disclosure(self) -> Disclosure:
        """The resolved disclosure settings."""
        assert self.model.disclosure is not None
        return self.model.disclosure

    @property
    def due(self) -> Due | None:
        """When each period's return is due (inherited through `extends`); None if not said."""
        return self.model.due

    def origin(self, kind: str, ident: str) -> Origin:
        """Where a measure, check or grouping was written (file and TOML key)."""
        return self.origins.get(f"{kind}:{ident}", Origin(self.path, kind))
