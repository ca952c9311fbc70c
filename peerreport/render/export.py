"""Writing a return's files: `export_return`, which the CLI's `peerreport export` calls.

A return with error findings is refused unless it is exported as a draft; a
draft says DRAFT in every file. Files are named
`<rule-id>_<period-label>_<organisation>.<ext>` with only safe characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from peerreport.errors import UsageError
from peerreport.findings import Finding
from peerreport.render.csv_output import render_csv
from peerreport.render.display import error_codes
from peerreport.render.html import render_html
from peerreport.render.json_output import render_json
from peerreport.render.template import fill_template
from peerreport.render.workbook import render_xlsx
from peerreport.returns.model import Return

if TYPE_CHECKING:  # only for annotations: the rulebook pulls in the rule language
    from peerreport.rulebook.compiled import RuleFile

FORMATS = ("xlsx", "csv", "json", "html", "adx")
#: File name endings other than the format's name.
SUFFIXES = {"adx": "adx.xml"}
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def safe_part(text: str) -> str:
    """`text` with anything but ASCII letters, digits, '.' and '-' turned into '-'."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned or "x"


def file_stem(ret: Return, draft: bool = False) -> str:
    """'<rule-id>_<period-label>_<org>', with '_DRAFT' for a draft."""
    parts = [safe_part(ret.rule.id), safe_part(ret.period.label), safe_part(ret.organisation)]
    return "_".join(parts) + ("_DRAFT" if draft else "")


def refuse_if_errors(ret: Return, draft: bool) -> None:
    """Raise `UsageError` when `ret` has error findings and this is not a draft."""
    if draft or not ret.has_errors:
        return
    codes = error_codes(ret)
    count = sum(1 for f in ret.findings if f.severity.value == "error")
    raise UsageError(
        f"the return for {ret.organisation} {ret.period.label} has {count} error finding"
        f"{'s' if count != 1 else ''} ({', '.join(codes)}), so it cannot be exported for "
        "filing. Fix them and build again, or export a draft (--draft) to review it."
    )


def export_return(
    ret: Return,
    out_dir: Path,
    formats: Sequence[str],
    *,
    draft: bool = False,
    rule_file: RuleFile | None = None,
    history: Sequence[Return] = (),
    notices: list[Finding] | None = None,
) -> list[Path]:
    """Write the return in each of `formats` into `out_dir`; return the paths written.

    XLSX is the funder's template filled as the rule file's `[export.xlsx]`
    says when it names a template, else peerreport's own workbook. ADX is
    IHE ADX XML with the funder's codes from `[export.adx]` (`render.adx`),
    written as `<stem>.adx.xml`. Warnings about the files themselves (a
    template formula reading a protected figure, `EXP-010`) are appended to
    `notices` when it is given.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(
            f"unknown export format {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    refuse_if_errors(ret, draft)
    # ADX is made first: a mapping that does not fit is refused before any file is written.
    adx = _adx(ret, draft, rule_file) if "adx" in formats else b""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(ret, draft)
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        path = out_dir / f"{stem}.{SUFFIXES.get(fmt, fmt)}"
        if fmt == "adx":
            path.write_bytes(adx)
        elif fmt == "json":
            path.write_bytes(render_json(ret, draft))
        elif fmt == "csv":
            path.write_bytes(render_csv(ret, draft))
        elif fmt == "html":
            path.write_text(render_html(ret, history, draft), "utf-8")
        else:
            found = _xlsx(ret, path, draft, rule_file)
            if notices is not None:
                notices.extend(found)
        written.append(path)
    return written


def _adx(ret: Return, draft: bool, rule_file: RuleFile | None) -> bytes:
    from peerreport.render.adx import render_adx

    if draft:
        raise UsageError(
            "ADX is imported by the funder's system as it is, and has no way to say DRAFT: "
            "export a draft in the other formats"
        )
    export = rule_file.model.export if rule_file is not None else None
    if export is None or export.adx is None:
        raise UsageError(
            "the rule file has no [export.adx] table giving the funder's codes (data set, "
            "data elements, categories), so the return cannot be written as ADX; "
            "docs/exports.md says how to add one"
        )
    return render_adx(ret, export.adx)


def _xlsx(ret: Return, path: Path, draft: bool, rule_file: RuleFile | None) -> list[Finding]:
    export = rule_file.model.export if rule_file is not None else None
    mapping = export.xlsx if export is not None else None
    if rule_file is None or mapping is None or not mapping.template:
        render_xlsx(ret, path, draft)
        return []
    template = rule_file.path.parent / mapping.template
    return fill_template(ret, template, mapping, path, draft, source=str(rule_file.path))
