"""`peerreport rules review`: which figures small-count protection hides at a volume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from peerreport.cli.main import cli
from peerreport.rule_review import _judge, review
from peerreport.rulebook import Catalogue, load

SHIPPED = sorted(Catalogue().index().items())


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["rules", "review", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _json(*args: str) -> tuple[int, dict[str, Any]]:
    code, output = _run(*args, "--json")
    return code, json.loads(output)


def test_a_small_organisation_sees_the_breakdown_of_direct_activities_mostly_hidden() -> None:
    code, data = _json("nz-peer-core", "--volume", "20")
    assert code == 1
    assert data["flagged"] == ["direct_activities"]
    item = next(i for i in data["items"] if i["measure"] == "direct_activities")
    assert (item["verdict"], item["cells"], item["per_cell"]) == ("mostly hidden", 6, 3.33)
    assert item["fields"] == {"activities": ["kind", "community_session"]}


def test_below_the_threshold_every_count_is_never_shown() -> None:
    rule_file = load("nz-peer-core")
    code, data = _json("nz-peer-core", "--volume", "5")
    counts = [m.id for m in rule_file.model.measure if m.kind == "count"]
    assert code == 1
    assert data["flagged"] == counts
    assert {i["verdict"] for i in data["items"] if i["measure"] in counts} == {"never shown"}
    others = [i for i in data["items"] if i["measure"] not in counts]
    assert others and {i["verdict"] for i in others} == {"not judged"}


def test_a_large_organisation_has_nothing_flagged() -> None:
    code, data = _json("nz-peer-core", "--volume", "400")
    assert code == 0
    assert data["flagged"] == []
    code, output = _run("nz-peer-core", "--volume", "400")
    assert code == 0
    assert "At this volume no count of records is hidden for being small." in output


def test_the_json_shape() -> None:
    _, data = _json("example-peer-core", "--volume", "40")
    assert set(data) == {
        "rule_id",
        "title",
        "version",
        "digest",
        "volume",
        "disclosure",
        "flagged",
        "items",
        "nothing",
    }
    assert data["disclosure"] == {"method": "suppress", "threshold": 6}
    assert data["nothing"]["judged"] is False
    derived = next(i for i in data["items"] if i["measure"] == "average_group_size")
    assert set(derived) == {
        "measure",
        "label",
        "kind",
        "source",
        "cells",
        "per_cell",
        "verdict",
        "why",
        "fields",
        "worked_out_from",
    }
    assert derived["worked_out_from"] == ["group_attendances", "group_sessions"]
    assert derived["fields"] == {}


def test_the_text_names_each_flagged_figure_and_what_it_needs() -> None:
    code, output = _run("nz-peer-core", "--volume", "20")
    assert code == 1
    assert "Figures that will be mostly hidden at this volume (1):" in output
    assert (
        "Direct activities delivered, by service family (direct_activities): 20 records" in output
    )
    assert "(average_attendance): worked out from direct_attendances, direct_activities" in output
    assert "a `nothing` key" in output


def test_rounding_hides_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rounded.toml"
    path.write_text(
        'id = "rounded"\ntitle = "R"\nversion = "1"\nextends = ["nz-peer-core"]\n'
        '[disclosure]\nmethod = "rr3"\n',
        "utf-8",
    )
    code, data = _json(str(path), "--volume", "1")
    assert code == 0
    assert data["flagged"] == []


@pytest.mark.parametrize("volume", ["-1", "many"])
def test_a_volume_that_is_not_a_count_is_a_usage_error(volume: str) -> None:
    code, output = _run("nz-peer-core", "--volume", volume)
    assert code == 2
    assert "--volume" in output


@pytest.mark.parametrize(("rule_id", "path"), SHIPPED, ids=[r for r, _ in SHIPPED])
def test_every_shipped_file_small_flags_more_than_large(rule_id: str, path: Path) -> None:
    rule_file = load(path)
    small, large = review(rule_file, 2), review(rule_file, 10_000)
    counts = [m.id for m in rule_file.model.measure if m.kind == "count"]
    assert [i.measure for i in small.flagged] == counts
    assert large.flagged == []


@given(
    cells=st.integers(1, 50),
    volume=st.integers(0, 500),
    smaller=st.integers(0, 500),
    threshold=st.integers(1, 20),
)
def test_a_figure_hidden_at_a_volume_is_hidden_at_any_smaller_one(
    cells: int, volume: int, smaller: int, threshold: int
) -> None:
    low = min(volume, smaller)
    verdict = _judge("count", cells, volume, "suppress", threshold)[0]
    if verdict != "shown":
        assert _judge("count", cells, low, "suppress", threshold)[0] != "shown"
    if verdict == "never shown":
        assert volume < threshold
