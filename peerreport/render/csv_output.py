"""The return as CSV: one row per figure total and per breakdown cell.

UTF-8 with a byte-order mark (so Excel shows macrons), CRLF line ends (RFC
4180), a fixed column order (`COLUMNS`). Numbers are written unquoted as
numbers; every text field goes through `neutralise`, so nothing a person typed
can become a formula. `version` and `amends_version` say how the return was
filed (empty on a review copy); on an amendment, `previous` holds the value the
amended version published for each number that changed. The last column,
`draft`, says DRAFT on every row of a draft export and is empty otherwise.
"""

from __future__ import annotations

import csv
import io

from peerreport.render.display import figure_rows, previous_values
from peerreport.render.safe import neutralise
from peerreport.returns.model import Return

COLUMNS = (
    "organisation",
    "organisation_name",
    "period",
    "due",
    "rule_file",
    "rule_version",
    "line",
    "measure",
    "label",
    "unit",
    "breakdown",
    "cell",
    "cell_label",
    "value",
    "status",
    "shown",
    "version",
    "amends_version",
    "previous",
    "draft",
)

Field = str | int | float


def _field(value: object) -> Field:
    """A number as itself (csv writes it unquoted); anything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):  # never expected; keep booleans from becoming 1/0
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def render_csv(ret: Return, draft: bool = False) -> bytes:
    """The return's figures as CSV bytes (UTF-8 with BOM)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    marker = "DRAFT" if draft else ""
    filing = ret.filing
    before = previous_values(ret)
    for row in figure_rows(ret):
        values: tuple[object, ...] = (
            ret.organisation,
            ret.organisation_name,
            ret.period.label,
            ret.due.isoformat() if ret.due is not None else None,
            ret.rule.id,
            ret.rule.version,
            row.line,
            row.measure,
            row.label,
            row.unit,
            row.breakdown,
            row.cell,
            row.cell_words if row.cell else "",
            row.value,
            row.status,
            row.shown,
            filing.version if filing is not None else None,
            filing.amends_version if filing is not None else None,
            before.get((row.measure, row.cell_label)),
            marker,
        )
        writer.writerow([_field(v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")
