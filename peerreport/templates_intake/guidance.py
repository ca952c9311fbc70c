"""The words of the intake workbook: the "How to fill this in" sheet and the heading notes.

Written for a coordinator, not a programmer. Everything is one text per row
in column A of the guidance sheet (intake reads a row as headings only when
it has two or more texts, so this sheet can never be mistaken for records).
"""

from __future__ import annotations

from peerreport.intake.headings import readable_heading
from peerreport.templates_intake.columns import CATEGORY_LIST, SHEET_NAMES, Column
from peerreport.templates_intake.usage import ReturnUse

GUIDANCE_SHEET = "How to fill this in"

#: Excel's limits: a validation's message and prompt hold 255 characters, titles 32.
MESSAGE_LIMIT = 255
TITLE_LIMIT = 32

_SHEET_PURPOSE = {
    "activities": "one row per activity: a group session, a drop-in day, a warm-line call, "
    "an advocacy meeting, an education session or a community event.",
    "breakdowns": "if you keep them, how many of an activity's attendees were in each "
    "ethnicity, age band, gender, Aboriginal and Torres Strait Islander status or CALD "
    "background (counts only, one row per category).",
    "workforce": "one row per role per period: paid FTE, headcount, volunteers and hours.",
    "feedback": "one row per question and answer level per period: how many people gave "
    "that answer in anonymous feedback.",
}


def title_line(use: ReturnUse | None) -> str:
    """The workbook's title: the return's, when a rule file was given."""
    if use is None:
        return "Activity log for peerreport"
    return f"Activity log for: {use.heading}"


def guidance_lines(use: ReturnUse | None) -> list[tuple[str, str]]:
    """The guidance sheet, one (style, text) per row; style is title, heading, text or ''."""
    lines: list[tuple[str, str]] = [("title", title_line(use)), ("", "")]
    lines.append(("heading", "What goes where"))
    for record_type, sheet in SHEET_NAMES.items():
        lines.append(("text", f"{sheet}: {_SHEET_PURPOSE[record_type]}"))
    lines += [
        (
            "text",
            "Leave a sheet empty if you do not keep those records. Do not rename the sheets "
            "or the headings in row 1, and do not add a title row above them.",
        ),
        ("", ""),
        ("heading", "Filling in a row"),
        (
            "text",
            "Give every activity its own Activity ID (for example GRP-2026-0142) and never "
            "reuse one. A Breakdowns row uses the Activity ID of its activity.",
        ),
        (
            "text",
            "Point at a heading to see what the column means, whether it is required, an "
            "example and the accepted values. Columns with a shaded heading must be filled in "
            "on every row; the others may be left blank.",
        ),
        (
            "text",
            "Where a cell has a drop-down list, pick from it. Yes/no columns: choose yes or "
            "no (blank means no). peerreport also reads the short codes (warm_line_call) and "
            "the field names as headings (duration_minutes), as in rule files.",
        ),
        (
            "text",
            "Dates are day first: DD/MM/YYYY, for example 14/08/2026 for 14 August 2026. "
            "Times are HH:MM, for example 18:30.",
        ),
        (
            "text",
            "Counts are whole numbers, 0 or more. Leave a cell blank if you did not record "
            "it: blank means 'not recorded', which is not the same as 0.",
        ),
        ("", ""),
        ("heading", "Never write anything that identifies a person"),
        (
            "text",
            "No names or initials, no dates of birth or ages, no addresses, phone numbers or "
            "e-mail addresses, no NHI or other client numbers, no diagnoses, medication or "
            "case notes. Not in any column, notes included.",
        ),
        (
            "text",
            "Notes are about the activity (Moved to the small room), never about a person. "
            "peerreport refuses a file that holds an identifier and says which cell to clear.",
        ),
        (
            "text",
            "To count unique people, members may choose their own code word (Member tokens, "
            "e.g. kereru7). Never use their names, initials or NHI for this.",
        ),
        ("", ""),
        ("heading", "Importing"),
        (
            "text",
            "Save the workbook as an Excel Workbook (.xlsx), then in the workspace folder run: "
            "peerreport import THIS-FILE.xlsx",
        ),
        (
            "text",
            "Nothing is stored unless every row is right. Each message names the sheet, row "
            "and column to fix; fix them all and import again. Importing the same rows again "
            "does not count them twice.",
        ),
        (
            "text",
            "The hidden Lists sheet holds the drop-down values. peerreport reads only the "
            "Activities, Breakdowns, Workforce and Feedback sheets.",
        ),
    ]
    if use is not None:
        lines += [("", ""), ("heading", f"What {use.title} uses")]
        for record_type, sheet in SHEET_NAMES.items():
            used = use.fields.get(record_type)
            if used:
                lines.append(("text", f"{sheet}: {', '.join(map(readable_heading, used))}"))
            else:
                lines.append(("text", f"{sheet}: not used by this return (leave it empty)."))
        lines.append(
            (
                "text",
                "Required columns are needed whatever the return. Headings this return uses "
                "say so when you point at them.",
            )
        )
    return lines


def heading_note(column: Column, use: ReturnUse | None) -> str:
    """The comment on a heading: meaning, required, example, accepted values."""
    parts = [f"{column.heading}: {column.description}"]
    parts.append(
        "Required: fill this in on every row."
        if column.required
        else ("Optional: blank means no." if column.kind == "bool" else "Optional.")
    )
    if column.example:
        parts.append(f"Example: {column.example}")
    parts.append(accepted_values(column))
    if use is not None and use.uses(column.record_type, column.name):
        parts.append(f"{use.title} uses this column.")
    return "\n".join(parts)


def accepted_values(column: Column) -> str:
    """What the column accepts, in words."""
    if column.kind == "bool":
        return "Accepted: yes or no."
    if column.kind == "list" and column.list_name is not None:
        choices = "\n".join(f"  {choice}" for choice in column.choices)
        which = " (a category of the row's dimension)" if column.list_name == CATEGORY_LIST else ""
        return f"Choose from the drop-down list{which}:\n{choices}"
    if column.kind == "date":
        return "Accepted: a date, day first (DD/MM/YYYY)."
    if column.kind == "time":
        return "Accepted: a time of day (HH:MM)."
    if column.kind in ("whole", "decimal"):
        what = "a whole number" if column.kind == "whole" else "a number (decimals allowed)"
        return f"Accepted: {what} from {column.minimum} to {column.maximum}."
    if column.max_length:
        return f"Accepted: text, at most {column.max_length} characters."
    return "Accepted: text."


def prompt(column: Column) -> str:
    """The short input message shown when a cell of the column is selected."""
    text = column.description + (" Required." if column.required else "")
    return _fit(text)


def error_message(column: Column) -> tuple[str, str]:
    """The title and message Excel shows when a value breaks the column's validation."""
    if column.kind == "bool":
        title, message = "Yes or no", "Choose yes or no from the list, or leave it blank."
    elif column.kind == "list":
        title = "Choose from the list"
        message = (
            f"{column.heading} must be one of the values in the drop-down list. "
            "Point at the heading to see what each one means."
        )
    elif column.kind == "date":
        title = "Not a date"
        message = "Write a date, day first: DD/MM/YYYY (for example 14/08/2026)."
    elif column.kind == "time":
        title, message = "Not a time", "Write a time of day as HH:MM (for example 18:30)."
    elif column.kind in ("whole", "decimal"):
        title = "Not a whole number" if column.kind == "whole" else "Not a number"
        what = "a whole number" if column.kind == "whole" else "a number"
        message = (
            f"Write {what} from {column.minimum} to {column.maximum}, digits only. "
            "Leave it blank if you did not record it."
        )
    else:
        title = "Too long"
        message = f"Keep this to {column.max_length} characters or fewer."
    return title[:TITLE_LIMIT], _fit(message)


def _fit(text: str) -> str:
    """Cut a text to Excel's 255-character limit for validation messages."""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
