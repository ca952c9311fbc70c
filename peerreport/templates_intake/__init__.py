"""The intake workbook: an Excel template coordinators fill in and `peerreport import` reads.

Generated from the record model, never written by hand:

    record model + vocabularies ──columns──▶ Column per field ──workbook──▶ intake.xlsx
    rule file (optional) ──usage──▶ title and the fields the return uses ──┘

- `columns`: each field's kind, bounds, example and drop-down list;
- `lists`: the hidden Lists sheet the drop-downs point at (laid out so intake
  can never read it as records);
- `guidance`: the words: the "How to fill this in" sheet, heading notes,
  validation messages;
- `usage`: which fields a rule file's measures and checks use;
- `workbook`: writing it all with openpyxl (imported only when writing).

Whatever is filled in through the drop-downs and validations imports as is.
"""

from __future__ import annotations

from peerreport.templates_intake.columns import SHEET_NAMES, Column, all_columns, columns
from peerreport.templates_intake.guidance import GUIDANCE_SHEET
from peerreport.templates_intake.lists import LISTS_SHEET
from peerreport.templates_intake.usage import ReturnUse, return_use
from peerreport.templates_intake.workbook import DEFAULT_ROWS, MAX_ROWS, write_intake_workbook

__all__ = [
    "DEFAULT_ROWS",
    "GUIDANCE_SHEET",
    "LISTS_SHEET",
    "MAX_ROWS",
    "SHEET_NAMES",
    "Column",
    "ReturnUse",
    "all_columns",
    "columns",
    "return_use",
    "write_intake_workbook",
]
