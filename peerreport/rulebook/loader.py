"""Reading one rule file (TOML) into a `RuleFileModel`, with errors by TOML key path."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from peerreport.rulebook.model import RuleFileModel
from peerreport.rulebook.problems import RuleFileInvalid, key_path, problem

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")

# The largest shipped rule file is about 20 KB. A bigger file is not a return
# anyone writes by hand, and reading one costs memory and minutes.
MAX_RULE_FILE_BYTES = 1_000_000


def read_rule_text(path: Path) -> str:
    """The text of a rule file, refused unread when it is too big; raises OSError, ValueError."""
    with path.open("rb") as handle:
        data = handle.read(MAX_RULE_FILE_BYTES + 1)
    if len(data) > MAX_RULE_FILE_BYTES:
        raise ValueError(f"the rule file is bigger than {MAX_RULE_FILE_BYTES:,} bytes")
    return data.decode("utf-8")


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at `path`; `RuleFileInvalid` with the line if it is not TOML."""
    try:
        text = read_rule_text(path)
    except OSError as exc:
        raise RuleFileInvalid(
            [problem("RUL-001", f"cannot read the rule file: {exc.strerror}", path, None)]
        ) from None
    except UnicodeDecodeError:
        raise RuleFileInvalid(
            [problem("RUL-001", "the rule file is not UTF-8 text", path, None)]
        ) from None
    except ValueError as exc:
        raise RuleFileInvalid(
            [
                problem(
                    "RUL-015",
                    f"{exc}; split it with `extends`",
                    path,
                    None,
                )
            ]
        ) from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise RuleFileInvalid(
            [problem("RUL-002", "the TOML is nested too deeply to read", path, None)]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        finding = problem("RUL-002", f"not valid TOML: {message}", path, None)
        if found:
            from dataclasses import replace

            location = replace(finding.location, line=int(found[1]), col=int(found[2]))
            finding = replace(finding, location=location)
        raise RuleFileInvalid([finding]) from None


def parse_model(data: dict[str, Any], path: Path | None) -> RuleFileModel:
    """Validate a TOML document as a rule file; every problem names its key path."""
    try:
        return RuleFileModel.model_validate(data)
    except ValidationError as exc:
        raise RuleFileInvalid(_format_problems(exc, data, path)) from None


def read_model(path: Path) -> RuleFileModel:
    """Read and validate the rule file at `path` (no `extends`, no expression checks)."""
    return parse_model(read_toml(path), path)


def _format_problems(exc: ValidationError, data: dict[str, Any], path: Path | None) -> list[Any]:
    findings = []
    for error in exc.errors(include_url=False):
        loc = [p for p in error["loc"] if not _is_union_tag(p)]
        key = key_path(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'." + _suggest_key(loc)
        elif kind == "missing":
            message = f"missing required key '{loc[-1]}'"
        else:
            message = error["msg"].removeprefix("Value error, ")
            label = _item_label(data, loc)
            if label:
                message = f"{label}: {message}"
        findings.append(problem("RUL-003", message, path, key))
    return findings


def _is_union_tag(part: Any) -> bool:
    # pydantic adds type names such as 'str' or 'list[str]' to locations inside unions
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"})


def _item_label(data: dict[str, Any], loc: list[Any]) -> str:
    """'measure 'group_sessions'' for a location inside a [[measure]] with an id."""
    if len(loc) >= 2 and isinstance(loc[1], int) and loc[0] in ("measure", "check", "fixture"):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            ident = items[loc[1]].get("id") or items[loc[1]].get("name")
            if ident:
                return f"{loc[0]} '{ident}'"
    return ""


def _suggest_key(loc: list[Any]) -> str:
    from peerreport.language import did_you_mean
    from peerreport.rulebook import export_model, fixture_model, model

    owners: dict[str, type[Any]] = {
        "measure": model.Measure,
        "check": model.Check,
        "override": model.Override,
        "fixture": fixture_model.Fixture,
        "disclosure": model.Disclosure,
        "release": model.Release,
        "due": model.Due,
        "grouping": model.Grouping,
        "expect": fixture_model.Expect,
        "export": export_model.Export,
        "xlsx": export_model.ExportXlsx,
        "adx": export_model.ExportAdx,
        "fields": export_model.ExportFields,
    }
    parent = next((p for p in reversed(loc[:-1]) if isinstance(p, str) and p in owners), None)
    owner = owners.get(parent, model.RuleFileModel) if parent else model.RuleFileModel
    keys = [f.alias or name for name, f in owner.model_fields.items()]
    if owner is export_model.ExportFields:  # a closed list a funder picks from: show it all
        return did_you_mean(str(loc[-1]), keys) + f" The allowed keys: {', '.join(keys)}."
    return did_you_mean(str(loc[-1]), keys)
