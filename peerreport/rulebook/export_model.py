"""The `[export]` part of the rule-file format: the funder's workbook template and ADX codes.

Split from `model.py` (which re-exports these names): how a return is
exported changes no figure, so none of this is in the rule file's digest.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from peerreport.rulebook.strict import Strict as _Strict

#: A cell-mapping key: a measure id, optionally with a breakdown cell's codes in brackets.
CELL_KEY_PATTERN = r"^[a-z][a-z0-9_]*(\[[^\[\]]*\])?$"


class ExportFields(_Strict):
    """Return metadata written into a funder's template: each key names a cell (or leave it out)."""

    organisation_name: str | None = Field(None, description="The organisation's name.")
    provider_code: str | None = Field(
        None, description="The organisation's code (the funder's provider number)."
    )
    contact_role: str | None = Field(
        None,
        description="The role the funder contacts about the return (the workspace's "
        "`[organisation] contact_role`, e.g. 'Service coordinator'); empty when not set.",
    )
    period_label: str | None = Field(None, description="The period's name, e.g. 'FY2027-Q1'.")
    period_start: str | None = Field(None, description="The period's first day (a date cell).")
    period_end: str | None = Field(None, description="The period's last day (a date cell).")
    due: str | None = Field(
        None,
        description="The date the return is due, from `[due]` (a date cell; left empty when "
        "the rule file sets no due date).",
    )
    rule_id: str | None = Field(None, description="The rule file's id.")
    rule_title: str | None = Field(None, description="The rule file's title (the return's name).")
    rule_version: str | None = Field(None, description="The rule file's version.")
    spec: str | None = Field(None, description="The funder's service specification code.")
    purchase_units: str | None = Field(
        None, description="The funder's purchase unit codes, joined with ', '."
    )
    status: str | None = Field(
        None,
        description="The return's status: 'ready', 'has errors', or 'DRAFT' "
        "('DRAFT (has errors)') in a draft.",
    )
    period_words: str | None = Field(
        None,
        description="The period in the funder's own words: `[export.xlsx] period_format` "
        "filled for the period, e.g. 'Quarter 1, 2026/27'.",
    )
    version: str | None = Field(
        None,
        description="The version the return is filed as (1, 2, ...; a number); left empty on a "
        "review copy.",
    )
    amends_version: str | None = Field(
        None, description="On an amendment, the version it amends (a number); otherwise empty."
    )
    amendment_reason: str | None = Field(
        None,
        description="On an amendment, the reason given for it (the return's only narrative "
        "text); otherwise empty.",
    )
    rule_digest: str | None = Field(None, description="The resolved rule file's digest.")
    records_digest: str | None = Field(
        None, description="The digest of the records the return was computed from."
    )
    tool_version: str | None = Field(None, description="The peerreport version that built it.")


class ExportXlsx(_Strict):
    """How `peerreport export` fills a funder-supplied workbook template."""

    template: str | None = Field(
        None,
        description="The funder's .xlsx template, relative to this rule file. Without it the "
        "export is peerreport's own workbook.",
    )
    cells: dict[str, str] = Field(
        default_factory=dict,
        description="measure id (or 'measure_id[code]', 'measure_id[code1,code2]' for a "
        "breakdown cell, '-' for not recorded) = a named range or a cell such as "
        "\"'Return'!D12\".",
        json_schema_extra={"propertyNames": {"pattern": CELL_KEY_PATTERN}},
    )
    fields: ExportFields = Field(
        default_factory=ExportFields,
        description="Return metadata (organisation, period, ...) = a named range or a cell.",
    )
    text: dict[str, str] = Field(
        default_factory=dict,
        description="Fixed text to write: a named range or a cell such as \"'Return'!B2\" = "
        "the text (written as text, never as a formula).",
    )
    not_collected: str = Field(
        "not collected",
        max_length=40,
        description="What a mapped cell shows for a figure the organisation did not collect "
        "(`nothing = \"not collected\"`), written as text; '' leaves the cell empty.",
    )
    period_format: str | None = Field(
        None,
        max_length=200,
        description="How the funder names a period, for `fields.period_words`: text with "
        "placeholders {label}, {year}, {year_before}, {yy}, {number}, {first_month}, "
        "{last_month}, {first_year}, {last_year}, {start}, {end}; e.g. "
        "'Quarter {number}, {year_before}/{yy}'.",
    )

    @field_validator("cells")
    @classmethod
    def _cell_keys(cls, cells: dict[str, str]) -> dict[str, str]:
        wrong = [key for key in cells if not re.match(CELL_KEY_PATTERN, key)]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(k) for k in wrong)}: a key is a measure id, or "
                "measure_id[code] / measure_id[code1,code2] for a breakdown cell"
            )
        return cells

    @field_validator("period_format")
    @classmethod
    def _period_format(cls, text: str | None) -> str | None:
        from peerreport.rulebook.period_words import format_problem

        problem = format_problem(text) if text is not None else None
        if problem:
            raise ValueError(problem)
        return text

    @model_validator(mode="after")
    def _period_words_need_a_format(self) -> ExportXlsx:
        if self.fields.period_words is not None and self.period_format is None:
            raise ValueError(
                "fields.period_words needs period_format, the funder's words for a period, "
                'e.g. period_format = "Quarter {number}, {year_before}/{yy}"'
            )
        return self

    def measures(self) -> dict[str, str]:
        """Each `cells` key and the measure id it names (to check against the rule file)."""
        return {key: key.split("[", 1)[0] for key in self.cells}


#: An XML attribute name (an NCName without '.'), for ADX category codes.
ADX_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"


class ExportAdx(_Strict):
    """How `peerreport export --format adx` writes IHE ADX (Aggregate Data Exchange) XML,
    which DHIS2 imports: the funder's codes for the data set, data elements, categories and
    category options."""

    data_set: str = Field(
        description="The funder's data set code (the ADX group's dataSet).",
        min_length=1,
    )
    org_unit: str | None = Field(
        None,
        description="The organisation unit code to report under. Default: the organisation's "
        "code (the funder's provider number).",
    )
    data_elements: dict[str, str] = Field(
        description="measure id = the funder's data element code. A measure with `by` is "
        "written as one value per breakdown cell, with a category attribute per grouping; "
        "its total only when `totals` names a data element for it. Measures left out are "
        "not written.",
    )
    totals: dict[str, str] = Field(
        default_factory=dict,
        description="measure id (of a measure with `by`) = the data element code for its total.",
    )
    categories: dict[str, str] = Field(
        default_factory=dict,
        description="`by` grouping (record field) = the funder's category code, written as "
        "the value's XML attribute name. Every grouping of a mapped measure needs one.",
    )
    options: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="grouping = {category code in peerreport = the funder's category option "
        "code}; '-' is 'not recorded' (default option code NOT_RECORDED). A code left out is "
        "written as it is.",
    )

    @field_validator("categories")
    @classmethod
    def _attribute_names(cls, categories: dict[str, str]) -> dict[str, str]:
        wrong = [
            f"{field} = {code!r}"
            for field, code in categories.items()
            if not re.match(ADX_NAME_PATTERN, code) or code in ("dataElement", "value")
        ]
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)}: a category code is written as an XML attribute name: "
                "letters, digits, '_' and '-', starting with a letter or '_', and not "
                "'dataElement' or 'value'"
            )
        return categories


class Export(_Strict):
    """How returns built from this rule file are exported (not inherited through `extends`)."""

    xlsx: ExportXlsx | None = Field(None, description="The funder's workbook template, if any.")
    adx: ExportAdx | None = Field(
        None, description="The funder's codes for IHE ADX XML (`export --format adx`), if any."
    )
