"""Audit in Python: recompute from the records, trace figures to records, scan for leaks."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from peerreport.audit import Trace, recompute, scan_bundle, trace
from peerreport.audit.chain_check import check_chain
from peerreport.bundle import bundle_bytes, read_archive
from peerreport.errors import UsageError
from peerreport.render import render_csv, render_xlsx
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from peerreport.store.history import changes_between
from peerreport.store.schema import member_token
from tests.bundle.sample import activity, build, load_rules, records, store, write_rules

NHI = "ZAC5361"  # a valid NHI number (test value)


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    return load_rules(write_rules(tmp_path / "rules"))


@pytest.fixture
def ret(engine: Engine, rule_file: RuleFile) -> Return:
    store(engine, records())
    return build(engine, rule_file)


def codes(findings: object) -> list[str]:
    return [f.code for f in findings]  # type: ignore[attr-defined]


def test_recompute_uses_the_records_as_they_were_and_names_what_changed_since(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    assert codes(recompute(engine, ret, rule_file).findings) == ["AUD-030"]
    store(engine, [activity("G-03", 4, attendance=40, mode="in_person")])  # was 6
    # Rebuilt at the revision it names, the return is still right, byte for byte.
    found = recompute(engine, ret, rule_file)
    assert found.ok and codes(found.findings) == ["AUD-030"]
    assert "at revision 1" in found.findings[0].message
    assert "rebuilt byte for byte" in found.findings[0].message
    changes = changes_between(engine, ret.organisation, ret.period.start, ret.period.end, 1, 2)
    assert [str(c) for c in changes] == ["activity G-03 changed in revision 2: attendance: 6 -> 40"]


def test_recompute_of_a_return_without_a_revision_compares_with_the_records_now(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    unversioned = replace(ret, revision=None)  # as returns made before history was kept
    store(engine, [activity("G-03", 4, attendance=40, mode="in_person")])  # was 6
    found = recompute(engine, unversioned, rule_file)
    assert not found.ok
    assert codes(found.findings) == ["AUD-002", "AUD-010", "AUD-010", "AUD-010"]
    messages = [f.message for f in found.findings]
    assert "the records changed since the return was built" in messages[0]
    assert "same counts, changed contents" in messages[0]
    assert "Attendances at groups: the return says 84, the records give 118" in messages[1]
    assert "Attendances at groups [in_person]: the return says 31" in messages[2]
    assert "Average attendance per session" in messages[3]
    store(engine, [activity("NEW-1", 20)])
    assert "activities 23 -> 24" in recompute(engine, unversioned, rule_file).findings[0].message


def test_a_record_edited_in_place_behind_the_triggers_is_caught(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE activity DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER activity_versions"))
        conn.execute(text("UPDATE activity SET attendance = 60 WHERE activity_id = 'G-03'"))
    found = recompute(engine, ret, rule_file)
    assert not found.ok
    assert "AUD-010" in codes(found.findings)
    # The stored digest was left as it was; the ledger check re-hashes the content.
    chain = check_chain(engine, ret.organisation)
    assert codes(chain.findings) == ["LED-021"]
    assert "(first: G-03 / 1): edited in place" in chain.findings[0].message


def test_recompute_says_when_the_rule_file_is_not_the_one_used(
    engine: Engine, ret: Return, tmp_path: Path
) -> None:
    edited = load_rules(write_rules(tmp_path / "edited", method="suppress", version="2"))
    found = recompute(engine, ret, edited)
    assert codes(found.findings)[0] == "AUD-001"
    assert "is not the one the return was built with" in found.findings[0].message


def test_trace_gives_exactly_the_records_each_figure_counts(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    for figure in ret.figures:
        if figure.kind == "expr":
            continue
        for cell in (figure.total, *figure.cells):
            text = (
                None
                if not cell.key
                else ",".join(
                    f"{f}={'-' if c is None else c}"
                    for f, c in zip(figure.by, cell.key, strict=True)
                )
            )
            found = trace(engine, ret, rule_file, figure.id, text)
            assert isinstance(found, Trace)
            assert found.value == cell.value, (figure.id, cell.key)
            if figure.kind == "count":
                assert len(found.rows) == cell.value
            if figure.kind == "sum":
                assert sum(row[-1] for row in found.rows) == cell.value
    sessions = trace(engine, ret, rule_file, "sessions")
    assert isinstance(sessions, Trace)
    assert "OLD-1" not in {row[0] for row in sessions.rows}  # outside the period
    assert len({row[0] for row in sessions.rows}) == 23
    assert "activity.date" in sessions.sql or "date" in sessions.sql
    calls = trace(engine, ret, rule_file, "calls", "phone")
    assert isinstance(calls, Trace)
    assert [row[0] for row in calls.rows] == ["W-00", "W-02", "W-04", "W-06", "W-08"]
    assert trace(engine, ret, rule_file, "calls", "mode=phone").rows == calls.rows


def test_trace_of_member_tokens_lists_activities_never_tokens(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    found = trace(engine, ret, rule_file, "people")
    assert isinstance(found, Trace)
    assert found.value == ret.figure("people").total.value == 7
    assert found.columns == ("activity_id", "date", "kind", "file", "row")
    assert all(row[0].startswith("G-") for row in found.rows)
    assert not any(isinstance(v, str) and len(v) == 64 for row in found.rows for v in row)


def test_trace_explains_what_it_cannot_trace(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    with pytest.raises(UsageError, match="is derived and has no breakdown"):
        trace(engine, ret, rule_file, "average_group_size", "phone")
    with pytest.raises(UsageError, match="its cells: in_person, phone"):
        trace(engine, ret, rule_file, "calls", "carrier_pigeon")
    with pytest.raises(UsageError, match="no measure, line code or label 'nope'"):
        trace(engine, ret, rule_file, "nope")


def _bundle_entries(ret: Return, tmp_path: Path) -> dict[str, bytes]:
    xlsx = tmp_path / "r.xlsx"
    render_xlsx(ret, xlsx)
    files = {"r.csv": render_csv(ret), "r.xlsx": xlsx.read_bytes()}
    return dict(read_archive(bundle_bytes(ret, files)).entries)


def test_scan_finds_nothing_in_a_real_bundle(ret: Return, tmp_path: Path) -> None:
    assert scan_bundle(_bundle_entries(ret, tmp_path)) == []


def test_scan_finds_an_identifier_planted_in_any_file(ret: Return, tmp_path: Path) -> None:
    entries = _bundle_entries(ret, tmp_path)
    csv = entries["r.csv"] + f"note,seen {NHI} today\r\n".encode()
    found = scan_bundle({**entries, "r.csv": csv})
    assert codes(found) == ["SCN-001"]
    assert found[0].location.file == "r.csv"
    assert NHI not in found[0].message  # the value is masked, never repeated
    assert found[0].details["kind"] == "nhi"
    # Inside the workbook: a changed shared string or inline cell of any sheet.
    inner = zipfile.ZipFile(io.BytesIO(entries["r.xlsx"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rebuilt:
        for info in inner.infolist():
            data = inner.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"Provider code", f"Contact {NHI}".encode(), 1)
            rebuilt.writestr(info, data)
    found = scan_bundle({**entries, "r.xlsx": out.getvalue()})
    assert [(f.code, f.location.file, f.location.key) for f in found] == [
        ("SCN-001", "r.xlsx", "xl/worksheets/sheet1.xml")
    ]


def test_scan_finds_a_member_token_hash(engine: Engine, ret: Return, tmp_path: Path) -> None:
    with engine.connect() as conn:
        hashes = frozenset(conn.execute(select(member_token.c.token_hash)).scalars())
    entries = _bundle_entries(ret, tmp_path)
    assert scan_bundle(entries, hashes) == []
    leaked = entries["r.csv"] + f"token,{sorted(hashes)[0]}\r\n".encode()
    assert codes(scan_bundle({**entries, "r.csv": leaked}, hashes)) == ["SCN-002"]


def test_a_return_built_by_another_version_is_flagged_when_recomputed(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    older = replace(ret, tool_version="0.0.1")
    found = recompute(engine, older, rule_file)
    assert found.ok  # a warning: the figures still match
    assert codes(found.findings) == ["AUD-003", "AUD-030"]
    assert "built by peerreport 0.0.1" in found.findings[0].message
