"""What each column of a table means, decided once from its headings before any row is read.

- A column for a field is read.
- A forbidden column (a name, a date of birth, an NHI, a diagnosis...) refuses
  the whole file, unless the coordinator asked to drop such columns: then it is
  discarded unread, and a notice says so.
- An unknown column is not stored, and is named once in a notice.
- The rejects file's own `problem` column is ignored.
- Column-level problems: two columns for one field, or no column for a field
  every row needs. Each is one finding; the rows it affects are rejected with
  it as their reason (with `--skip-invalid`, the others are stored).
- An activities table without an `activity_id` column has its ids made (see
  `peerreport.intake.ids`).

Headings are shown with any identifier in them masked, like cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.headings import (
    GENERATED_FIELDS,
    match_heading,
    needed_fields,
    readable_heading,
)
from peerreport.intake.ids import IDENTITY_FIELDS
from peerreport.intake.sources import Table, TableColumn, column_letter
from peerreport.intake.wording import field_words, listed, plural
from peerreport.privacy import mask_text
from peerreport.records.models import RECORD_TYPES

DROP_FORBIDDEN_HINT = (
    "Delete the column and import again, or import with --drop-forbidden to discard such "
    "columns unread (their cells are never read, stored or shown)."
)


def shown_heading(heading: str) -> str:
    """A heading as messages show it: any identifier in it masked."""
    return mask_text(heading)


@dataclass
class ColumnPlan:
    """The columns of one table, sorted by what intake does with them."""

    table: Table
    record_type: str
    fields: dict[str, str] = field(default_factory=dict)  # key -> field, for columns read
    unknown: list[TableColumn] = field(default_factory=list)
    forbidden: list[tuple[TableColumn, str]] = field(default_factory=list)  # column, reason
    ignored: list[TableColumn] = field(default_factory=list)
    duplicates: dict[str, list[TableColumn]] = field(default_factory=dict)  # field -> columns
    missing: list[str] = field(default_factory=list)  # needed fields without a column
    suggestions: dict[str, str] = field(default_factory=dict)  # unknown key -> field it looks like
    generated_ids: bool = False
    headingless_seen: dict[int, None] = field(default_factory=dict)  # indexes with data, no heading
    #: The column-level problems, by the field they are about.
    column_problems: dict[str, Finding] = field(default_factory=dict)

    def __post_init__(self) -> None:
        first: dict[str, TableColumn] = {}
        for column in self.table.columns:
            if not column.heading:
                continue
            match = match_heading(self.record_type, column.heading)
            if match.forbidden is not None:
                self.forbidden.append((column, match.forbidden))
            elif match.ignored:
                self.ignored.append(column)
            elif match.field is None:
                self.unknown.append(column)
                if match.suggestion:
                    self.suggestions[column.key] = match.suggestion
            elif match.field in first:
                self.duplicates.setdefault(match.field, [first[match.field]]).append(column)
            else:
                first[match.field] = column
                self.fields[column.key] = match.field
        for name, columns in self.duplicates.items():
            for column in columns:
                self.fields.pop(column.key, None)
            first.pop(name, None)
        generated = GENERATED_FIELDS.get(self.record_type, frozenset())
        self.generated_ids = bool(generated) and not (generated & {*first, *self.duplicates})
        self.missing = [
            name
            for name in RECORD_TYPES[self.record_type].model_fields
            if name in needed_fields(self.record_type)
            and name not in first
            and name not in self.duplicates
        ]
        self.column_problems = {
            **{name: self._duplicate(name, cols) for name, cols in self.duplicates.items()},
            **{name: self._missing(name) for name in self.missing},
        }

    def _place(self, column: TableColumn) -> str:
        shown = f'"{shown_heading(column.heading)}"'
        return f"{shown} (column {column_letter(column.index)})" if self.table.from_excel else shown

    def _duplicate(self, name: str, columns: list[TableColumn]) -> Finding:
        places = listed([self._place(c) for c in columns])
        both, neither = ("both", "neither") if len(columns) == 2 else ("all", "none")
        return finding(
            "IMP-011",
            f'{places} are {both} headings for "{readable_heading(name)}", so {neither} is read',
            "Keep one of the columns and delete or rename the other.",
            Location(file=self.table.where),
        )

    def _missing(self, name: str) -> Finding:
        heading = readable_heading(name)
        alike = [self._place(c) for c in self.unknown if self.suggestions.get(c.key) == name]
        looks = f'; {listed(alike, "or")} looks like it: rename it to "{heading}"' if alike else ""
        return finding(
            "IMP-010",
            f'there is no "{heading}" column, and every row needs '
            f"{field_words(self.record_type, name)}{looks}",
            f'Add a column headed "{heading}" (or {name}) and fill it in on every row.',
            Location(file=self.table.where),
        )

    def refusals(self, drop_forbidden: bool) -> list[Finding]:
        """Findings that refuse the whole file: forbidden columns, unless they are dropped."""
        if drop_forbidden:
            return []
        return [
            finding(
                "PRV-001",
                f'"{shown_heading(column.heading)}" '
                + reason.removeprefix(f'"{column.heading.strip()}" '),
                DROP_FORBIDDEN_HINT,
                Location(file=self.table.where, column=shown_heading(column.heading)),
            )
            for column, reason in self.forbidden
        ]

    def drop_forbidden(self) -> None:
        """Never read the forbidden columns (the source skips their cells)."""
        self.table.dropped |= {column.key for column, _ in self.forbidden}

    def _unknown_place(self, column: TableColumn) -> str:
        suggestion = self.suggestions.get(column.key)
        if suggestion is None:
            return self._place(column)
        return f'{self._place(column)} (did you mean "{readable_heading(suggestion)}"?)'

    def notices(self) -> list[str]:
        """The notices about the columns: dropped, unknown, ids made (after the rows are read)."""
        where = self.table.where
        found: list[str] = []
        dropped = [c for c, _ in self.forbidden if c.key in self.table.dropped]
        if dropped:
            found.append(
                f"{where}: {listed([self._place(c) for c in dropped])} "
                f"{'looks' if len(dropped) == 1 else 'look'} like identifying or clinical "
                f"details, so {'it was' if len(dropped) == 1 else 'they were'} discarded unread "
                "(--drop-forbidden): not one cell of "
                f"{'it' if len(dropped) == 1 else 'them'} was read, stored or shown"
            )
        unknown = [self._unknown_place(c) for c in self.unknown] + [
            f"column {column_letter(i) if self.table.from_excel else i}, which has no heading"
            for i in self.headingless_seen
        ]
        if unknown:
            count = len(unknown)
            found.append(
                f"{where}: peerreport does not know "
                + (
                    f"the column {unknown[0]}, so it is not stored"
                    if count == 1
                    else f"{plural(count, 'column')}, so they are not stored: {listed(unknown)}"
                )
            )
        if self.generated_ids:
            identity = listed([readable_heading(f).lower() for f in IDENTITY_FIELDS])
            found.append(
                f"{where}: there is no Activity ID column, so each row's id is made from its "
                f"{identity}, and which of the rows with all of those the same it is (first, "
                "second, ...): importing this file again finds the same activities. "
                "Breakdowns cannot refer to these ids; add an Activity ID column if you keep "
                "breakdowns"
            )
        return found
