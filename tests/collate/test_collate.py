"""Collation: verify, reject with reasons, flag missing and late providers, add up, protect."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from peerreport.bundle import (
    bundle_bytes,
    load_private_key,
    new_key_pair,
    read_archive,
    write_archive,
)
from peerreport.collate import (
    CollatedFigure,
    Collation,
    collate,
    read_providers,
    render_summary,
    write_workbook,
)
from peerreport.errors import InputFileError
from peerreport.returns.model import NOT_COLLECTED, Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import RuleFile
from tests.bundle.sample import ALLOW_UNSIGNED, load_rules, published, write_rules

ON_TIME = dt.datetime(2026, 10, 10, 9, 0, tzinfo=dt.UTC)  # FY2027-Q1 is due 2026-10-20


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    return load_rules(write_rules(tmp_path / "rules", method="suppress"))


def attendance(in_person: int | None, phone: int | None, video: int | None) -> tuple[Any, ...]:
    cells = {"in_person": in_person, "phone": phone, "video": video, "text_online": 0, None: 0}
    total = sum(v for v in cells.values() if v is not None)
    return total if None not in (in_person, phone, video) else total + 4, cells


def provider(
    rule_file: RuleFile,
    org: str,
    sessions: int,
    groups: tuple[Any, ...],
    calls: Mapping[str | None, int | None] | None = None,
    **kwargs: Any,
) -> Return:
    call_cells = dict(calls or {"in_person": 0, "phone": 10, "video": 0, "text_online": 8, None: 0})
    values = {
        "sessions": sessions,
        "group_attendance": groups,
        "people": 12,
        "calls": (sum(v or 0 for v in call_cells.values()), call_cells),
        "average_group_size": None,
    }
    return published(rule_file, org, values, **kwargs)


def save(
    folder: Path,
    name: str,
    ret: Return,
    when: dt.datetime = ON_TIME,
    submission: dict[str, Any] | None = None,
    key: Any = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(
        bundle_bytes(ret, {"r.json": ret.to_json().encode()}, key, submission=submission)
    )
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def figure(collation: Collation, ident: str) -> CollatedFigure:
    return next(f for f in collation.figures if f.id == ident)


def test_figures_are_added_up_and_derived_ones_computed_again(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    paths = [
        save(tmp_path, "a.zip", provider(rule_file, "P01", 20, attendance(30, 40, 50))),
        save(tmp_path, "b.zip", provider(rule_file, "P02", 10, attendance(10, None, 20))),
    ]
    result = collate(paths, rule_file, trust=ALLOW_UNSIGNED)
    assert result.rejected == ()
    assert [(p.code, p.status) for p in result.providers] == [
        ("P01", "received"),
        ("P02", "received"),
    ]
    sessions = figure(result, "sessions").total
    assert (sessions.value, sessions.status, sessions.providers) == (30, "exact", 2)
    groups = figure(result, "group_attendance")
    assert groups.total.value == 154  # 120 + 34 (P02's total includes its hidden phone cell)
    cells = {c.key: c for c in groups.cells}
    assert cells[("in_person",)].value == 40 and cells[("video",)].value == 70
    assert cells[("phone",)].value == 40 and cells[("phone",)].incomplete == 1  # at least 40
    people = figure(result, "people")
    assert people.total.value == 24 and "counted once for each" in people.note
    average = figure(result, "average_group_size").total
    assert average.value == round(154 / 30, 1)  # from the totals, not an average of averages


def test_small_collated_sums_are_protected_again(rule_file: RuleFile, tmp_path: Path) -> None:
    """Two providers' exact 2 and 1 phone calls make 3, below the threshold of 6."""
    calls_a = {"in_person": 0, "phone": 2, "video": 0, "text_online": 9, None: 0}
    calls_b = {"in_person": 0, "phone": 1, "video": 0, "text_online": 8, None: 0}
    paths = [
        save(tmp_path, "a.zip", provider(rule_file, "P01", 20, attendance(30, 40, 50), calls_a)),
        save(tmp_path, "b.zip", provider(rule_file, "P02", 10, attendance(10, 9, 20), calls_b)),
    ]
    calls = figure(collate(paths, rule_file, trust=ALLOW_UNSIGNED), "calls")
    cells = {c.key: c for c in calls.cells}
    assert (cells[("phone",)].value, cells[("phone",)].status) == (None, "suppressed")
    assert cells[("text_online",)].status == "suppressed"  # secondary: else 20 - 17 = 3
    assert calls.total.value == 20


def _not_collected(ret: Return, ident: str) -> Return:
    """`ret` with figure `ident` not collected (as a provider's build publishes it)."""
    figures = []
    for f in ret.figures:
        if f.id == ident:
            blank = [replace(c, value=None, status=NOT_COLLECTED) for c in (f.total, *f.cells)]
            f = replace(f, total=blank[0], cells=tuple(blank[1:]))
        figures.append(f)
    return replace(ret, figures=tuple(figures))


def test_a_figure_no_provider_collected_is_not_collected_for_the_region(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    one = provider(rule_file, "P01", 20, attendance(30, 40, 50))
    two = provider(rule_file, "P02", 10, attendance(10, 9, 20))
    paths = [
        save(tmp_path, "a.zip", _not_collected(one, "sessions")),
        save(tmp_path, "b.zip", _not_collected(two, "sessions")),
    ]
    collation = collate(paths, rule_file, trust=ALLOW_UNSIGNED)
    sessions = figure(collation, "sessions").total
    assert (sessions.value, sessions.status) == (None, "not_collected")  # never a 0
    out = tmp_path / "region.xlsx"
    write_workbook(collation, out)
    rows = list(openpyxl.load_workbook(out)["Providers"].iter_rows(values_only=True))
    header = next(row for row in rows if "Sessions delivered (sessions)" in row)
    column = header.index("Sessions delivered (sessions)")
    shown = {row[0]: row[column] for row in rows if row[0] in ("P01", "P02", "TOTAL")}
    assert shown == {"P01": "not collected", "P02": "not collected", "TOTAL": "not collected"}
    assert "not collected" in render_summary(collation)
    # One provider collected it: the region's figure is that provider's (not a lower bound).
    mixed = [save(tmp_path, "c.zip", _not_collected(one, "sessions")), save(tmp_path, "d.zip", two)]
    sessions = figure(collate(mixed, rule_file, trust=ALLOW_UNSIGNED), "sessions").total
    assert (sessions.value, sessions.status, sessions.incomplete) == (10, "exact", 0)


def test_bundles_that_do_not_belong_are_rejected_with_the_reason(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    good = save(tmp_path, "p01.zip", provider(rule_file, "P01", 20, attendance(30, 40, 50)))
    other_period = save(
        tmp_path,
        "p02.zip",
        provider(rule_file, "P02", 10, attendance(10, 9, 20), span=parse_period("FY2027-Q2")),
    )
    other_rules = load_rules(write_rules(tmp_path / "v2", method="suppress", version="2"))
    old_version = save(tmp_path, "p03.zip", provider(other_rules, "P03", 10, attendance(10, 9, 20)))
    archive = read_archive(
        save(
            tmp_path, "p05.zip", provider(rule_file, "P05", 10, attendance(10, 9, 20))
        ).read_bytes()
    )
    tampered = tmp_path / "p05.zip"
    tampered.write_bytes(
        write_archive(
            {**archive.entries, "r.json": archive.entries["r.json"].replace(b"10", b"11")},
            archive.comment,
        )
    )
    result = collate(
        [good, other_period, old_version, tampered],
        rule_file,
        period=parse_period("FY2027-Q1"),
        trust=ALLOW_UNSIGNED,
    )
    reasons = {Path(r.file).name: r.reason for r in result.rejected}
    assert reasons["p02.zip"] == "for period FY2027-Q2, not FY2027-Q1"
    assert reasons["p03.zip"].startswith("built with audit-test 2 (sha256:")
    assert reasons["p05.zip"].startswith("verification failed: r.json was altered")
    assert [p.code for p in result.providers] == ["P01"]
    assert figure(result, "sessions").total.value == 20


def test_missing_late_and_amended_providers_are_flagged(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    key = new_key_pair(tmp_path / "keys")
    listing = tmp_path / "providers.csv"
    listing.write_text(
        "Provider code,Name,Due date,Fingerprint\n"
        "P01,Harbour Peers,,\n"
        f"P02,Hill Peers,2026-10-31,{key.fingerprint}\n"
        "P03,River Peers,,\n"
        "P04,Coast Peers,,\n",
        "utf-8",
    )
    ret1 = provider(rule_file, "P01", 20, attendance(30, 40, 50))
    amended = provider(rule_file, "P01", 21, attendance(31, 40, 50))
    signed_late = provider(rule_file, "P02", 10, attendance(10, 9, 20))

    def submitted(version: int, day: int) -> dict[str, Any]:
        return {
            "version": version,
            "supersedes_version": version - 1 or None,
            "reason": None if version == 1 else "fixed",
            "submitted_at": dt.datetime(2026, 10, day, 8, 0, tzinfo=dt.UTC).isoformat(),
        }

    paths = [
        save(tmp_path, "p01-v1.zip", ret1, submission=submitted(1, 5)),
        save(tmp_path, "p01-v2.zip", amended, submission=submitted(2, 25)),
        save(
            tmp_path,
            "p02.zip",
            signed_late,
            dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
            key=load_private_key(key.private_path),
        ),
        save(tmp_path, "p03.zip", provider(rule_file, "P03", 5, attendance(10, 9, 20))),
        save(tmp_path, "p99.zip", provider(rule_file, "P99", 5, attendance(10, 9, 20))),
    ]
    result = collate(paths, rule_file, read_providers(listing), trust=ALLOW_UNSIGNED)
    rows = {p.code: p for p in result.providers}
    assert rows["P01"].status == "late"  # version 2 was submitted after the 20th
    assert rows["P01"].received is not None and rows["P01"].received.version == 2
    assert rows["P02"].status == "late" and "due 2026-10-31" in rows["P02"].note
    assert rows["P03"].status == "received"
    assert rows["P04"].status == "missing"
    reasons = {Path(r.file).name: r.reason for r in result.rejected}
    assert reasons["p01-v1.zip"].startswith("superseded by version 2")
    assert reasons["p99.zip"] == "provider P99 (Provider P99) is not on the provider list"
    assert figure(result, "sessions").total.value == 21 + 10 + 5
    # P03's bundle is not signed: once the list names its key, it is rejected.
    listing.write_text(
        listing.read_text("utf-8").replace(
            "P03,River Peers,,", f"P03,River Peers,,{key.fingerprint}"
        )
    )
    again = collate(paths, rule_file, read_providers(listing), trust=ALLOW_UNSIGNED)
    assert {p.code: p.status for p in again.providers}["P03"] == "rejected"


def test_a_malformed_provider_list_names_the_row(tmp_path: Path) -> None:
    listing = tmp_path / "providers.csv"
    listing.write_text("code,name,due\nP01,One,31/10/2026\n", "utf-8")
    with pytest.raises(InputFileError, match=r'row 2, column "due": .* write YYYY-MM-DD'):
        read_providers(listing)


def test_the_collate_command_writes_a_workbook_and_a_summary(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from peerreport.cli.collate_cmd import collate as command

    inbox = tmp_path / "inbox"
    save(
        inbox,
        "a.bundle.zip",
        provider(rule_file, "P01", 20, attendance(30, 40, 50), name='=HYPERLINK("x")'),
    )
    save(inbox, "b.bundle.zip", provider(rule_file, "P02", 10, attendance(10, 9, 20)))
    save(
        inbox,
        "c.bundle.zip",
        provider(rule_file, "P03", 10, attendance(10, 9, 20), span=parse_period("FY2027-Q2")),
    )
    listing = tmp_path / "providers.csv"
    listing.write_text("code,name\nP01,One\nP02,Two\nP04,Four\n", "utf-8")
    out = tmp_path / "region.xlsx"
    result = CliRunner().invoke(
        command,
        [
            str(inbox),
            "--rules",
            str(rule_file.path),
            "--providers",
            str(listing),
            "--out",
            str(out),
            "--allow-unsigned",
        ],
    )
    assert result.exit_code == 1, result.output  # a bundle was rejected
    assert "MISSING  P04 Four" in result.output
    assert "NOT COLLATED c.bundle.zip: for period FY2027-Q2" in result.output
    sheet = load_workbook(out)["Providers"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == ["P01", "P02", "P04", "TOTAL"]
    header = [c.value for c in sheet[4]]
    assert rows[-1][header.index("Sessions delivered (sessions)")] == 30
    html = out.with_suffix(".html").read_text("utf-8")
    assert "2 received" in html and "1 missing" in html and "FY2027-Q2" in html


def test_lateness_is_judged_against_the_rule_files_due_date(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from peerreport.cli.collate_cmd import collate as command

    path = write_rules(tmp_path / "rules", method="suppress")
    path.write_text(path.read_text("utf-8") + "\n[due]\ndays_after_end = 10\n", "utf-8")
    rules = load_rules(path)  # FY2027-Q1 ends 30 September: due 10 October, not the 20th
    inbox = tmp_path / "inbox"
    for code, day in (("P01", 9), ("P02", 12), ("P03", 12)):
        when = dt.datetime(2026, 10, day, 9, 0, tzinfo=dt.UTC)
        save(inbox, f"{code}.zip", provider(rules, code, 10, attendance(10, 9, 20)), when)
    listing = tmp_path / "providers.csv"
    listing.write_text(
        "code,name,due\nP01,One,\nP02,Two,\nP03,Three,2026-10-31\nP04,Four,\n", "utf-8"
    )
    result = collate(sorted(inbox.iterdir()), rules, read_providers(listing), trust=ALLOW_UNSIGNED)
    assert (result.due, result.due_from_rules) == (dt.date(2026, 10, 10), True)
    rows = {p.code: p for p in result.providers}
    assert rows["P01"].status == "received" and rows["P01"].due == dt.date(2026, 10, 10)
    assert rows["P02"].status == "late" and "due 2026-10-10" in rows["P02"].note
    assert rows["P03"].status == "received"  # the list's own date for P03 (an extension) wins
    assert rows["P03"].due == dt.date(2026, 10, 31)
    assert (
        rows["P04"].status == "missing"
        and rows["P04"].note == "no bundle received (due 2026-10-10)"
    )
    assert result.to_dict()["due"] == {"date": "2026-10-10", "from_rule_file": True}

    out = tmp_path / "region.xlsx"
    args = [str(inbox), "--rules", str(path), "--providers", str(listing), "--out", str(out)]
    args.append("--allow-unsigned")
    ran = CliRunner().invoke(command, args)
    assert ran.exit_code == 0, ran.output
    assert "FY2027-Q1, due 10 October 2026: 3 bundle(s); 2 received, 1 late" in ran.output
    assert "LATE     P02 Two: received 2026-10-12 (file date), due 2026-10-10" in ran.output
    sheet = load_workbook(out)["Providers"]
    assert str(sheet["A1"].value).endswith("(2026-07-01 to 2026-09-30), due 2026-10-10")
    header = [c.value for c in sheet[4]]
    due_column = {r[0].value: r[header.index("Due")].value for r in sheet.iter_rows(min_row=5)}
    assert due_column["P02"] == "2026-10-10" and due_column["P03"] == "2026-10-31"
    html = out.with_suffix(".html").read_text("utf-8")
    assert "Due 10 October 2026; a bundle received after" in html
    assert "1 late" in html


def test_without_a_due_date_in_the_rule_file_the_20th_is_assumed_and_said(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    late = dt.datetime(2026, 10, 21, 9, 0, tzinfo=dt.UTC)
    paths = [
        save(tmp_path, "a.zip", provider(rule_file, "P01", 20, attendance(30, 40, 50))),
        save(tmp_path, "b.zip", provider(rule_file, "P02", 10, attendance(10, 9, 20)), late),
    ]
    result = collate(paths, rule_file, trust=ALLOW_UNSIGNED)
    assert (result.due, result.due_from_rules) == (dt.date(2026, 10, 20), False)
    assert {p.code: p.status for p in result.providers} == {"P01": "received", "P02": "late"}
    assert "20 October 2026 (the rule file sets no due date" in render_summary(result)


def test_collate_refuses_bundles_of_unverified_origin_by_default(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    from peerreport.cli.collate_cmd import collate as command

    a, b, stranger = (new_key_pair(tmp_path / "keys", name) for name in ("a", "b", "x"))
    listing = tmp_path / "providers.csv"
    listing.write_text(
        f"code,name,fingerprint\nP01,One,{a.fingerprint}\nP02,Two,{b.fingerprint}\nP03,Three,\n",
        "utf-8",
    )
    inbox = tmp_path / "inbox"
    groups = attendance(10, 9, 20)
    save(
        inbox,
        "p01.zip",
        provider(rule_file, "P01", 10, groups),
        key=load_private_key(a.private_path),
    )
    # Claims to be P02, but is signed with P01's key: a forgery, whatever is allowed.
    save(
        inbox,
        "p02.zip",
        provider(rule_file, "P02", 99, groups),
        key=load_private_key(a.private_path),
    )
    save(inbox, "p03.zip", provider(rule_file, "P03", 5, groups))  # unsigned, no key listed
    save(
        inbox,
        "p04.zip",
        provider(rule_file, "P03", 6, groups),
        key=load_private_key(stranger.private_path),
    )

    def collated(*flags: str) -> tuple[int, str]:
        out = tmp_path / f"region{len(flags)}.xlsx"
        args = [str(inbox), "--rules", str(rule_file.path), "--providers", str(listing)]
        ran = CliRunner().invoke(command, [*args, "--out", str(out), *flags])
        return ran.exit_code, ran.output

    code, output = collated()
    assert code == 1, output
    assert "received" in output and "NOT COLLATED p01.zip" not in output  # properly signed
    assert (
        "NOT COLLATED p02.zip: UNVERIFIED ORIGIN: the bundle says it is from provider P02, "
        "but it is signed with P01's key" in output
    )
    assert "NOT COLLATED p03.zip: UNVERIFIED ORIGIN: the bundle is not signed" in output
    assert "NOT COLLATED p04.zip: UNVERIFIED ORIGIN: signed by key" in output

    # The JSON lists origin refusals as `unverified`, apart from other rejections.
    (inbox / "p05.zip").write_bytes(b"PK\x03\x04 not a bundle at all")
    code, output = collated("--json")
    assert code == 1
    found = json.loads(output)
    unverified = {Path(r["file"]).name: r for r in found["unverified"]}
    assert sorted(unverified) == ["p02.zip", "p03.zip", "p04.zip"]
    assert all(r["reason"].startswith("UNVERIFIED ORIGIN") for r in unverified.values())
    assert unverified["p02.zip"]["provider"] == "P02"
    assert [Path(r["file"]).name for r in found["rejected"]] == ["p05.zip"]
    assert found["rejected"][0]["reason"].startswith("verification failed")
    (inbox / "p05.zip").unlink()

    code, output = collated("--allow-unsigned", "--allow-unknown-keys")
    assert code == 1, output  # p02 is still refused, and one of p03/p04 replaces the other
    assert "NOT COLLATED p02.zip: UNVERIFIED ORIGIN" in output
    assert "NOT COLLATED p03.zip: UNVERIFIED ORIGIN" not in output
    assert "WARNING P03 collated with UNVERIFIED ORIGIN, accepted because --allow-" in output
