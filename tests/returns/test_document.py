"""One definition of the return and manifest formats: models, generated schemas, and agreement."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from peerreport.bundle import bundle_bytes, read_archive
from peerreport.bundle import schemas as published
from peerreport.bundle.document import ManifestDocument, manifest_json_schema
from peerreport.render import render_json, return_schema
from peerreport.returns.document import ExportedReturnDocument, ReturnDocument
from peerreport.returns.model import Return
from tests.render.sample import injected_return, sample_return

Change = Callable[[dict[str, Any]], None]


def test_the_committed_schema_files_are_generated_from_the_models() -> None:
    assert published.stale() == [], (
        "a published schema is stale: run `python -m peerreport.bundle.schemas`"
    )
    assert return_schema() == json.loads(published.generated()["return.schema.json"])


def test_the_check_command_finds_a_stale_file(tmp_path: Path) -> None:
    published.write(tmp_path)
    assert published.stale(tmp_path) == []
    (tmp_path / "manifest.schema.json").write_text("{}\n", "utf-8")
    assert published.stale(tmp_path) == ["manifest.schema.json"]
    assert published.main(["--check"]) == 0


@pytest.mark.parametrize("schema", [return_schema(), manifest_json_schema()])
def test_the_schemas_are_valid_and_say_what_they_are(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].startswith("https://peerreport.invalid/schema/")
    assert schema["title"].startswith("peerreport ")
    assert "Generated from" in schema["description"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("ret", [sample_return(), injected_return('=HYPERLINK("x")')])
def test_every_key_to_dict_writes_is_defined(ret: Return) -> None:
    data = ret.to_dict()
    assert ReturnDocument.model_validate(data).model_dump(by_alias=True, exclude_unset=True) == data


def _figure(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: next(f for f in d["figures"] if f["id"] == name)


def _value(name: str, value: Any) -> Change:
    return lambda d: _figure(name)(d)["total"].update(value=value)


def _error_finding(d: dict[str, Any]) -> None:
    d["findings"] = [f for f in d["findings"] if f["severity"] != "error"]


# Each change makes return.json malformed; both the model and the generated schema refuse it.
REFUSED: dict[str, Change] = {
    "text value": _value("group_sessions", "lots"),
    "list value": _value("group_sessions", [1]),
    "huge value": _value("group_sessions", 2**60),
    "negative count": _value("group_sessions", -1),
    "fractional count": _value("group_sessions", 1.5),
    "date in a count": _value("group_sessions", "2026-07-01"),
    "date in an expr": _value("average_group_size", "2026-07-01"),
    "bool value": _value("average_group_size", True),
    "value of a suppressed cell": lambda d: _figure("attendances")(d)["cells"][1].update(value=4),
    "codes on a total": lambda d: _figure("group_sessions")(d)["total"].update(key=["x"]),
    "unknown status": lambda d: _figure("group_sessions")(d)["total"].update(status="guessed"),
    "unknown kind": lambda d: _figure("group_sessions")(d).update(kind="median"),
    "ready with error findings": lambda d: d.update(status="ready"),
    "has-errors without any": _error_finding,
    "negative record count": lambda d: d["records"]["counts"].update(activity=-1),
    "text record count": lambda d: d["records"]["counts"].update(activity="120"),
    "text revision": lambda d: d["records"].update(revision="7"),
    "due not a date": lambda d: d.update(due="next week"),
    "filing without a time": lambda d: d.update(
        filing={
            "version": 1,
            "amends_version": None,
            "reason": None,
            "submitted_at": "2026-10-12",
            "late": False,
            "changes": [],
        }
    ),
    "draft false": lambda d: d.update(draft=False),
    "null location key": lambda d: d["findings"][0]["location"].update(row=None),
    "unknown key": lambda d: d.update(comment="hi"),
    "missing key": lambda d: d.pop("tool"),
    "unknown severity": lambda d: d["findings"][0].update(severity="fatal"),
    "other format": lambda d: d.update(format="peerreport-return/2"),
}
# What JSON Schema cannot say: the model alone refuses these.
MODEL_ONLY: dict[str, Change] = {
    "no such day": lambda d: d["period"].update(end="2026-09-31"),
    "period backwards": lambda d: d["period"].update(start="2026-10-01"),
    "too many codes": lambda d: _figure("warm_line_calls")(d)["cells"][0].update(key=["a", "b"]),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_the_model_and_the_schema_refuse_the_same_return(change: Change) -> None:
    data = json.loads(render_json(sample_return()))
    ExportedReturnDocument.model_validate(data)
    jsonschema.validate(data, return_schema())
    change(data)
    with pytest.raises(ValidationError):
        ExportedReturnDocument.model_validate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, return_schema())
    with pytest.raises(ValueError):
        Return.from_dict(data)


@pytest.mark.parametrize("change", MODEL_ONLY.values(), ids=MODEL_ONLY.keys())
def test_the_model_refuses_what_the_schema_cannot_express(change: Change) -> None:
    data = json.loads(render_json(sample_return()))
    change(data)
    with pytest.raises(ValidationError):
        ExportedReturnDocument.model_validate(data)


def test_older_returns_without_the_newer_keys_still_read() -> None:
    data = sample_return().to_dict()
    for key in ("due", "filing"):
        del data[key]
    del data["records"]["revision"]
    ReturnDocument.model_validate(data)
    jsonschema.validate(data, return_schema())
    older = replace(sample_return(), due=None, revision=None, filing=None)
    assert Return.from_dict(data).to_dict() == older.to_dict()


def test_a_filed_return_validates() -> None:
    data = sample_return().to_dict()
    data["due"] = "2026-10-20"
    data["records"]["revision"] = 4
    data["filing"] = {
        "version": 2,
        "amends_version": 1,
        "reason": "late records",
        "submitted_at": "2026-10-25T02:30:00+00:00",
        "late": True,
        "changes": [
            {
                "measure": "group_sessions",
                "label": "L",
                "cell": "total",
                "before": "44",
                "after": "45",
            }
        ],
    }
    ReturnDocument.model_validate(data)
    jsonschema.validate(data, return_schema())
    assert Return.from_dict(data).to_dict() == data


def test_a_manifest_validates_against_its_model_and_schema() -> None:
    bundle = bundle_bytes(sample_return(), {"r.csv": b"x\n"})
    manifest = json.loads(read_archive(bundle).entries["manifest.json"])
    ManifestDocument.model_validate(manifest)
    schema = manifest_json_schema()
    jsonschema.validate(manifest, schema)
    for change in (
        lambda m: m["files"][0].update(size=-1),
        lambda m: m.update(ledger={"seq": 1, "head": "abc"}),
        lambda m: m["return"]["records"]["counts"].update(activity=-1),
    ):
        bad = copy.deepcopy(manifest)
        change(bad)
        with pytest.raises(ValidationError):
            ManifestDocument.model_validate(bad)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
