"""IHE ADX export: a return and a collation, checked against the profile's structure."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.bundle import bundle_bytes, read_archive
from peerreport.cli.main import cli
from peerreport.errors import UsageError
from peerreport.filing import file_return
from peerreport.render import export_return
from peerreport.render.adx import ADX_NS, PEERREPORT_NS, adx_period, render_adx
from peerreport.returns.periods import Period, parse_period
from peerreport.rulebook import RuleFile
from tests.bundle.sample import activity, build, load_rules, published, store, write_rules

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("adx_profile.xsd"))
MODES = ("in_person", "phone", "video", "text_online")
ADX = """
[export.adx]
data_set = "PEER_Q"
[export.adx.data_elements]
sessions = "SESSIONS"
calls = "CALLS"
[export.adx.totals]
calls = "CALLS_TOTAL"
[export.adx.categories]
mode = "MODE"
[export.adx.options.mode]
phone = "PHONE"
text_online = "TEXT"
"-" = "UNKNOWN"
"""


def rules(folder: Path, method: str = "suppress", adx: str = ADX) -> RuleFile:
    path = write_rules(folder, method=method)
    path.write_text(path.read_text("utf-8") + adx, "utf-8")
    return load_rules(path)


def values(document: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, str]]:
    """(data element, categories) -> (value, annotation), from the XML."""
    root = ET.fromstring(document)
    found = {}
    for item in root.iter(f"{{{ADX_NS}}}dataValue"):
        attributes = dict(item.attrib)
        element, value = attributes.pop("dataElement"), attributes.pop("value")
        note = item.find(f"{{{ADX_NS}}}annotation")
        key = (element, tuple(sorted(attributes.items())))
        assert key not in found, key
        found[key] = (value, "" if note is None else str(note.text))
    return found


def _records(phone: int) -> list[dict[str, Any]]:
    rows = [activity(f"G{i}", 1 + i, attendance=5, mode="in_person") for i in range(8)]
    rows += [
        activity(f"P{i}", 2 + i, kind="warm_line_call", attendance=1, mode="phone")
        for i in range(phone)
    ]
    rows += [
        activity(f"T{i}", 3 + i, kind="warm_line_call", attendance=1, mode="text_online")
        for i in range(9)
    ]
    return rows


def test_a_filed_return_as_adx_validates_and_holds_every_shown_figure(
    engine: Engine, tmp_path: Path
) -> None:
    rule_file = rules(tmp_path / "rules")
    store(engine, _records(phone=3))
    done = file_return(
        engine, build(engine, rule_file), rule_file, tmp_path / "out", formats=("json", "adx")
    )
    filed = done.ret
    entries = read_archive(done.bundle_path.read_bytes()).entries
    text = next(data for name, data in entries.items() if name.endswith(".adx.xml"))
    SCHEMA.validate(text)  # raises when the document does not fit the profile
    root = ET.fromstring(text)
    assert root.tag == f"{{{ADX_NS}}}adx"
    assert root.get("exported") == filed.filing.submitted_at.replace("+00:00", "Z")  # type: ignore[union-attr]
    group = root.find(f"{{{ADX_NS}}}group")
    assert group is not None
    assert group.get("orgUnit") == "TEST01" and group.get("dataSet") == "PEER_Q"
    assert group.get("period") == "2026-07-01/P3M"
    assert group.get("completeDate") == filed.filing.submitted_at[:10]  # type: ignore[union-attr]
    calls = filed.figure("calls")
    cells = {c.key: c for c in calls.cells}
    # 3 phone calls are hidden, and so (secondary) is another cell: neither is written.
    assert cells[("phone",)].status == "suppressed"
    shown = values(text)
    hidden_names = str(group.get(f"{{{PEERREPORT_NS}}}hidden")).split()
    assert "CALLS(MODE=PHONE)" in hidden_names
    assert ("CALLS", (("MODE", "PHONE"),)) not in shown
    for key, cell in cells.items():
        option = {"phone": "PHONE", "text_online": "TEXT", None: "UNKNOWN"}.get(key[0], key[0])
        where = ("CALLS", (("MODE", str(option)),))
        if cell.status == "suppressed":
            assert where not in shown and f"CALLS(MODE={option})" in hidden_names
        else:
            assert shown[where] == (str(cell.value), "")
    assert shown[("SESSIONS", ())] == (str(filed.figure("sessions").total.value), "")
    total = calls.total
    assert shown[("CALLS_TOTAL", ())][0] == str(total.value) or total.status == "suppressed"
    # Measures the mapping leaves out are not written.
    assert {element for element, _ in shown} <= {"SESSIONS", "CALLS", "CALLS_TOTAL"}


def test_rounded_figures_say_so(engine: Engine, tmp_path: Path) -> None:
    rule_file = rules(tmp_path / "rules", method="rr3")
    store(engine, _records(phone=4))
    ret = build(engine, rule_file)
    assert rule_file.model.export is not None and rule_file.model.export.adx is not None
    text = render_adx(ret, rule_file.model.export.adx)
    SCHEMA.validate(text)
    notes = {note for _, note in values(text).values()}
    assert "rounded to protect small counts (rr3)" in notes


def test_a_mapping_that_does_not_fit_is_refused_with_every_problem(
    engine: Engine, tmp_path: Path
) -> None:
    wrong = (
        ADX.replace('sessions = "SESSIONS"', 'sesions = "SESSIONS"')
        .replace('phone = "PHONE"', 'phon = "PHONE"')
        .replace('mode = "MODE"\n', "")
    )
    rule_file = rules(tmp_path / "rules", adx=wrong)
    store(engine, _records(phone=7))
    ret = build(engine, rule_file)
    with pytest.raises(UsageError) as caught:
        export_return(ret, tmp_path / "out", ["adx"], rule_file=rule_file)
    problems = str(caught.value).splitlines()[1:]
    assert [p.strip() for p in problems] == [
        "export.adx.data_elements.\"sesions\": the return has no measure 'sesions'. "
        "Did you mean 'sessions'?",
        "export.adx.categories: measure calls is broken down by mode; give its category "
        'code (mode = "CODE")',
        "export.adx.options.\"mode\".\"phon\": mode has no code 'phon'. Did you mean 'phone'?",
    ]
    assert not list((tmp_path / "out").glob("*.xml"))  # nothing half-written


def test_category_codes_must_be_attribute_names(tmp_path: Path) -> None:
    from peerreport.errors import RuleFileError

    with pytest.raises(RuleFileError, match="XML attribute name"):
        rules(tmp_path / "rules", adx=ADX.replace('mode = "MODE"', 'mode = "two words"'))


def test_export_adx_from_the_command_line(tmp_path: Path) -> None:
    """Refusals are plain sentences with exit code 2, never a traceback."""
    rule_file = rules(tmp_path / "rules")
    runner = CliRunner()
    workspace = tmp_path / "ws"
    done = runner.invoke(
        cli, ["init", str(workspace), "--provider-code", "TEST01", "--name", "Test"]
    )
    assert done.exit_code == 0, done.output
    rows = tmp_path / "log.csv"
    rows.write_text(
        "activity_id,date,kind,attendance,mode\n"
        + "".join(f"C{i},2026-08-{i + 1:02d},warm_line_call,1,text_online\n" for i in range(9)),
        "utf-8",
    )
    base = ["--workspace", str(workspace)]
    assert runner.invoke(cli, ["import", str(rows), *base]).exit_code == 0
    command = ["export", str(rule_file.path), "--period", "FY2027-Q1", "--out", str(tmp_path / "o")]
    done = runner.invoke(cli, [*command, "--format", "adx", *base])
    assert done.exit_code == 0, done.output
    SCHEMA.validate(next((tmp_path / "o").glob("*.adx.xml")).read_bytes())
    draft = runner.invoke(cli, [*command, "--format", "json,adx", "--draft", *base])
    assert draft.exit_code == 2 and "has no way to say DRAFT" in draft.output
    assert not list((tmp_path / "o").glob("*DRAFT*"))  # refused before anything was written
    plain = write_rules(tmp_path / "plain", method="suppress")
    other = ["export", str(plain), "--period", "FY2027-Q1", "--out", str(tmp_path / "p")]
    missing = runner.invoke(cli, [*other, "--format", "adx", *base])
    assert missing.exit_code == 2 and "no [export.adx] table" in missing.output
    assert "Traceback" not in draft.output + missing.output


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("FY2027-Q1", "2026-07-01/P3M"),
        ("FY2027", "2026-07-01/P1Y"),
        ("2026-08", "2026-08-01/P1M"),
        ("FY2027-H2", "2027-01-01/P6M"),
    ],
)
def test_periods_are_start_and_duration(period: str, expected: str) -> None:
    assert adx_period(parse_period(period)) == expected


def test_a_period_of_days() -> None:
    span = Period(dt.date(2026, 7, 3), dt.date(2026, 7, 16), "fortnight", "custom")
    assert adx_period(span) == "2026-07-03/P14D"


cell_value = st.one_of(st.none(), st.integers(0, 10_000))


@settings(max_examples=60, deadline=None)
@given(
    sessions=st.integers(0, 500),
    total=cell_value,
    cells=st.fixed_dictionaries({m: cell_value for m in MODES}),
)
def test_any_return_gives_a_valid_document_with_exactly_its_shown_values(
    tmp_path_factory: pytest.TempPathFactory, sessions: int, total: Any, cells: dict[str, Any]
) -> None:
    rule_file = _cached_rules(tmp_path_factory)
    ret = published(rule_file, "TEST01", {"sessions": sessions, "calls": (total, cells)})
    assert rule_file.model.export is not None and rule_file.model.export.adx is not None
    mapping = rule_file.model.export.adx
    text = render_adx(ret, mapping, exported=dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    SCHEMA.validate(text)
    shown = values(text)
    expected: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {("SESSIONS", ()): str(sessions)}
    if total is not None:
        expected[("CALLS_TOTAL", ())] = str(total)
    options = {"phone": "PHONE", "text_online": "TEXT"}
    for mode, value in cells.items():
        if value is not None:
            expected[("CALLS", (("MODE", options.get(mode, mode)),))] = str(value)
    assert {k: v for k, (v, _) in shown.items()} == expected


_RULES: dict[str, RuleFile] = {}


def _cached_rules(factory: pytest.TempPathFactory) -> RuleFile:
    if "r" not in _RULES:
        _RULES["r"] = rules(factory.mktemp("adx-rules"))
    return _RULES["r"]


def test_a_collation_as_adx(tmp_path: Path) -> None:
    """Collated values, a lower bound annotated, for the region's organisation unit."""
    rule_file = rules(tmp_path / "rules")
    paths = []
    for org, phone in (("P01", None), ("P02", 12)):
        ret = published(
            rule_file,
            org,
            {
                "sessions": 20,
                "calls": (30, {"in_person": 0, "phone": phone, "video": 0, "text_online": 10}),
            },
        )
        paths.append(tmp_path / f"{org}.zip")
        paths[-1].write_bytes(bundle_bytes(ret, {"r.json": ret.to_json().encode()}))
    out = tmp_path / "region.xlsx"
    done = CliRunner().invoke(
        cli,
        [
            "collate",
            *map(str, paths),
            "--rules",
            str(rule_file.path),
            "--out",
            str(out),
            "--allow-unsigned",
            "--adx",
            str(tmp_path / "region.xml"),
            "--org-unit",
            "REGION-1",
        ],
    )
    assert done.exit_code == 0, done.output
    text = (tmp_path / "region.xml").read_bytes()
    SCHEMA.validate(text)
    group = ET.fromstring(text).find(f"{{{ADX_NS}}}group")
    assert group is not None and group.get("orgUnit") == "REGION-1"
    shown = values(text)
    assert shown[("SESSIONS", ())] == ("40", "")
    phone_cell = shown[("CALLS", (("MODE", "PHONE"),))]
    assert phone_cell[0] == "12" and "1 provider(s) hid their figure" in phone_cell[1]
    missing = CliRunner().invoke(
        cli,
        [
            "collate",
            *map(str, paths),
            "--rules",
            str(rule_file.path),
            "--out",
            str(out),
            "--allow-unsigned",
            "--adx",
            str(tmp_path / "r2.xml"),
        ],
    )
    assert missing.exit_code == 2 and "--adx needs --org-unit" in missing.output
