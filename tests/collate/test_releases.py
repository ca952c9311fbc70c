"""Bundles built under another release of the rule file: a wording change collates with a
note, a meaning change is refused with what changed, and old bundles behave as before."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.audit import recompute
from peerreport.bundle import bundle_bytes
from peerreport.collate import collate
from peerreport.filing import file_return
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from tests.bundle.sample import ALLOW_UNSIGNED, RULES, build, load_rules, records, store

LABEL = ('label = "Warm-line calls"', 'label = "Calls to the warm line"')
FILTER = (
    "where = \"kind = 'warm_line_call'\"",
    "where = \"kind = 'warm_line_call' and mode = 'phone'\"",
)


def rules(folder: Path, version: str, *edits: tuple[str, str]) -> RuleFile:
    text = RULES.format(method="none").replace('version = "1"', f'version = "{version}"')
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audit-test.toml"
    path.write_text(text, "utf-8")
    return load_rules(path)


@pytest.fixture
def first(tmp_path: Path) -> RuleFile:
    return rules(tmp_path / "v1", "1")


@pytest.fixture
def ret(engine: Engine, first: RuleFile) -> Return:
    store(engine, records())
    return build(engine, first)


@pytest.fixture
def bundle(engine: Engine, first: RuleFile, ret: Return, tmp_path: Path) -> Path:
    """The return filed under version 1: the bundle carries the resolved rule file."""
    on_time = dt.datetime(2026, 10, 10, 9, 0, tzinfo=dt.UTC)  # FY2027-Q1 is due 2026-10-20
    filed = file_return(
        engine, ret, first, tmp_path / "inbox", formats=("json",), now=lambda: on_time
    )
    return filed.bundle_path


def test_a_label_only_edit_keeps_the_meaning_and_the_bundle_collates_with_a_note(
    first: RuleFile, ret: Return, bundle: Path, tmp_path: Path
) -> None:
    second = rules(tmp_path / "v2", "2", LABEL)
    assert second.digest != first.digest and second.meaning == first.meaning
    assert ret.rule.meaning == first.meaning
    result = collate([bundle], second, trust=ALLOW_UNSIGNED)
    assert result.rejected == ()
    [row] = result.providers
    assert row.status == "received"
    assert row.note.endswith("built under version 1: presentation differs")
    presentation = result.to_dict()["providers"][0]["presentation"]
    assert presentation == "built under version 1: presentation differs"
    calls = next(f for f in result.figures if f.id == "calls")
    assert calls.label == "Calls to the warm line"  # the new wording is the one shown
    assert calls.total.value == next(f for f in ret.figures if f.id == "calls").total.value
    same = collate([bundle], first, trust=ALLOW_UNSIGNED)
    assert "presentation" not in same.providers[0].note
    assert same.to_dict()["providers"][0]["presentation"] is None


def test_a_filter_edit_is_refused_saying_what_changed(
    first: RuleFile, ret: Return, bundle: Path, tmp_path: Path
) -> None:
    second = rules(tmp_path / "v2", "2", LABEL, FILTER)
    assert second.meaning != first.meaning
    result = collate([bundle], second, trust=ALLOW_UNSIGNED, period=ret.period)
    [rejected] = result.rejected
    assert rejected.reason.startswith("built with audit-test 1 (sha256:")
    assert rejected.reason.endswith(
        "what changed: measure calls: filter changed from \"kind = 'warm_line_call'\" to "
        "\"kind = 'warm_line_call' and mode = 'phone'\""
    )
    assert "label" not in rejected.reason  # only what changed the meaning


def test_an_old_bundle_without_the_meaning_digest_verifies_and_collates_as_before(
    first: RuleFile, ret: Return, tmp_path: Path
) -> None:
    old = replace(ret, rule=replace(ret.rule, meaning=None))
    assert "meaning" not in old.to_dict()["rule_file"]
    assert Return.from_dict(json.loads(old.to_json())) == old
    path = tmp_path / "old.zip"
    path.write_bytes(bundle_bytes(old, {"r.json": old.to_json().encode()}))
    same = collate([path], first, trust=ALLOW_UNSIGNED)
    assert same.rejected == () and "presentation" not in same.providers[0].note
    # Without a meaning digest, a wording change cannot be told from a meaning change.
    second = rules(tmp_path / "v2", "2", LABEL)
    other = collate([path], second, trust=ALLOW_UNSIGNED, period=ret.period)
    [rejected] = other.rejected
    assert rejected.reason.startswith("built with audit-test 1 (sha256:")
    assert "what changed" not in rejected.reason  # it does not carry its rule file


def test_audit_recompute_notes_a_presentation_difference_and_fails_a_meaning_one(
    engine: Engine, ret: Return, tmp_path: Path
) -> None:
    reworded = recompute(engine, ret, rules(tmp_path / "v2", "2", LABEL))
    assert reworded.ok
    codes = [f.code for f in reworded.findings]
    assert "AUD-001" not in codes and "AUD-004" in codes
    note = next(f for f in reworded.findings if f.code == "AUD-004")
    assert note.severity.value == "info"
    assert "built under version 1: presentation differs" in note.message
    refiltered = recompute(engine, ret, rules(tmp_path / "v3", "3", FILTER))
    assert not refiltered.ok
    assert next(f.code for f in refiltered.findings) == "AUD-001"
