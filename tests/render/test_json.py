"""The JSON: canonical bytes, the published schema, round trip, DRAFT."""

from __future__ import annotations

import json

import jsonschema
import pytest

from peerreport.render import render_json, return_schema
from peerreport.returns.model import Return
from tests.render.sample import injected_return, sample_return


@pytest.mark.parametrize("draft", [False, True])
def test_validates_against_the_schema(draft: bool) -> None:
    schema = return_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(render_json(sample_return(), draft=draft))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data.get("draft") is (True if draft else None)


def test_schema_refuses_a_value_in_a_suppressed_cell() -> None:
    data = json.loads(render_json(sample_return()))
    data["figures"][1]["cells"][2]["value"] = 4  # the suppressed 'video' cell
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, return_schema())


def test_bytes_are_canonical() -> None:
    first = render_json(sample_return())
    assert first == render_json(sample_return())
    assert first == sample_return().to_json().encode("utf-8")
    assert "Tāwharau".encode() in first  # UTF-8, not \\u escapes
    assert first.endswith(b"}\n")


@pytest.mark.parametrize("draft", [False, True])
def test_round_trip(draft: bool) -> None:
    ret = sample_return()
    back = Return.from_dict(json.loads(render_json(ret, draft=draft)))
    assert back.to_dict() == ret.to_dict()


def test_injection_text_is_kept_verbatim_in_json() -> None:
    data = json.loads(render_json(injected_return('=HYPERLINK("http://x","y")')))
    assert data["organisation"]["name"] == '=HYPERLINK("http://x","y")'
