"""The audit report page: each check's verdict in plain words, with and without a database."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import re
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.audit.report import FAILED, NOT_CHECKED, PASSED, audit_report
from peerreport.audit.report_page import render_report
from peerreport.bundle import bundle_bytes, new_key_pair, read_archive, write_archive
from peerreport.workspace import Workspace
from tests.audit.conftest import Run
from tests.bundle.sample import (
    ALLOW_UNSIGNED,
    PERIOD,
    build,
    load_rules,
    records,
    store,
    write_rules,
)
from tests.helpers import ACTIVITY_HEADER, make_workspace, run_import, write_csv

REASON = "G-03 attendance <mistyped>"
SECTIONS = ("verification", "recomputation", "scan", "ledger", "imports")


class PageText(HTMLParser):
    """The text of each <section id=...> of the page, the overall verdict, and what it loads."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, str] = {}
        self.overall = ""
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self._open: list[str | None] = []
        self._in_overall = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "section":
            self._open.append(found.get("id"))
        self._in_overall = self._in_overall or found.get("id") == "overall"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._open.pop()
        if tag == "p":
            self._in_overall = False

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not text:
            return
        if self._in_overall:
            self.overall += text
        for ident in self._open:
            if ident:
                self.sections[ident] = f"{self.sections.get(ident, '')} {text}".strip()

    def verdict(self, section: str) -> str:
        """The section's text, from its title on."""
        return self.sections[section]


def _import(engine: Engine, workspace: Workspace, folder: Path, name: str, ident: str) -> Path:
    path = write_csv(folder / name, [ACTIVITY_HEADER, [ident, "2026-08-03", "group", 6, "", ""]])
    report = run_import(engine, workspace, path)
    assert report.stored, [str(p) for f in report.files for p in f.problems]
    return path


@pytest.fixture
def timeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports and submissions happen a minute apart, so 'after submission' is unambiguous.

    (Both record whole seconds; without this, an import and a submission made in the
    same second could not be told apart.)
    """
    start = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
    ticks = itertools.count()

    class Ticking(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return start + dt.timedelta(minutes=next(ticks))

    clock = types.SimpleNamespace(**{n: getattr(dt, n) for n in dir(dt) if n[0] != "_"})
    clock.datetime = Ticking
    for name in ("peerreport.intake.reports", "peerreport.ledger.submit"):
        monkeypatch.setattr(importlib.import_module(name), "dt", clock)


@pytest.fixture
def submitted(
    run: Run, engine: Engine, db_url: str, tmp_path: Path, timeline: None
) -> tuple[Workspace, Path, Path, str]:
    """A workspace whose return was submitted (signed) and amended: (workspace, v1, v2, key).

    log-july.csv is imported before version 1, log-august.csv between 1 and 2.
    """
    workspace = make_workspace(tmp_path / "ws", db_url)
    rules = write_rules(tmp_path / "rules")
    key = new_key_pair(tmp_path / "keys")
    store(engine, records())
    _import(engine, workspace, tmp_path, "log-july.csv", "X-1")
    submit = ["submit", rules, "--period", PERIOD, "--format", "csv,json,html"]
    submit += ["--workspace", workspace.root, "--sign", key.private_path]
    assert run(*submit).exit_code == 0
    _import(engine, workspace, tmp_path, "log-august.csv", "X-2")
    assert run(*submit, "--reason", REASON).exit_code == 0
    folder = workspace.root / "submissions"
    v1, v2 = (folder / f"audit-test_{PERIOD}_TEST01_v{n}.bundle.zip" for n in (1, 2))
    return workspace, v1, v2, key.fingerprint


def test_the_report_of_a_sound_bundle_says_every_check_passed(
    engine: Engine, submitted: tuple[Workspace, Path, Path, str], tmp_path: Path
) -> None:
    _, _, v2, fingerprint = submitted
    rules = tmp_path / "rules" / "audit-test.toml"
    found = audit_report(v2, engine, trusted={fingerprint}, rules=rules)
    assert [s.state for s in found.sections] == [PASSED, PASSED, PASSED, PASSED, "info"]
    assert found.ok and found.summary == "Every check passed."
    assert [s.version for s in found.history] == [1, 2]
    assert [r.file_name for r in found.import_log] == ["log-july.csv", "log-august.csv"]

    page = PageText(render_report(found))
    assert page.overall == "Every check passed."
    assert "Intact: every file matches the manifest" in page.verdict("verification")
    assert f"signed with key {fingerprint}" in page.verdict("verification")
    html_file = next(f for f in found.files if str(f["name"]).endswith(".html"))
    assert f"{html_file['size']:,} {html_file['sha256'][:32]}" in page.verdict("verification")
    assert "The figures match: rebuilding the return from the 25 records" in (
        page.verdict("recomputation")
    )
    assert "Clean: no identifier, diagnosis or member token" in page.verdict("scan")
    ledger = page.verdict("ledger")
    assert "Matches the ledger: version 2" in ledger and "the current version" in ledger
    assert "current · this bundle" in ledger and REASON in ledger  # escaped, read back as text
    imports = page.verdict("imports")
    assert "2 imports recorded, from 2026-10-12 to 2026-10-12" in imports
    assert "log-august.csv" in imports
    assert found.import_log[0].file_sha256 in imports.replace(" ", "")
    assert "after submission" not in imports


def test_the_report_says_what_differs_in_a_stale_or_altered_bundle(
    engine: Engine,
    submitted: tuple[Workspace, Path, Path, str],
    tmp_path: Path,
) -> None:
    _, v1, _, _ = submitted
    rules = tmp_path / "rules" / "audit-test.toml"
    page = PageText(render_report(audit_report(v1, engine, rules=rules)))
    # Version 1 was right for the records it was built from; the report says what
    # changed since and that version 2 covers it.
    recomputation = page.verdict("recomputation")
    assert "The figures match" in recomputation
    assert "as they were when it was built (revision 2)" in recomputation
    assert "Since then, 1 record of the period changed (activity X-2 added in revision 3)" in (
        recomputation
    )
    assert f"version 2 ({REASON}) includes the change" in recomputation
    assert f"superseded by version 2 ({REASON})" in page.verdict("ledger")
    assert "hash chain is intact" in page.verdict("ledger")
    assert "1 import came after this return was built" in page.verdict("imports")
    assert "after submission" in page.verdict("imports")

    archive = read_archive(v1.read_bytes())
    csv = next(n for n in archive.entries if n.endswith(".csv"))
    changed = archive.entries[csv] + b"note,call ZAC5361\r\n"  # a valid NHI (test value)
    tampered = tmp_path / "tampered.bundle.zip"
    tampered.write_bytes(write_archive({**archive.entries, csv: changed}, archive.comment))
    found = audit_report(tampered, engine, rules=rules)
    assert found.verification.state == FAILED and found.scan.state == FAILED
    assert found.ledger.state == FAILED
    page = PageText(render_report(found))
    assert page.overall == (
        "Attention needed: bundle verification, identifier scan and ledger history did not pass."
    )
    assert f"Altered: {csv} was changed" in page.verdict("verification")
    assert "Found 1 identifier" in page.verdict("scan") and "ZAC5361" not in page.verdict("scan")
    assert "This is not the bundle that was submitted" in page.verdict("ledger")


def test_the_report_renders_without_a_database(
    submitted: tuple[Workspace, Path, Path, str],
) -> None:
    _, _, v2, fingerprint = submitted
    found = audit_report(
        v2,
        None,
        trusted=(fingerprint,),
        no_database="no database was given",
        now=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
    )
    assert [s.state for s in found.sections] == [
        PASSED,
        NOT_CHECKED,
        PASSED,
        NOT_CHECKED,
        NOT_CHECKED,
    ]
    html = render_report(found)
    page = PageText(html)
    assert "3 of the 5 checks could not be run" in page.overall
    assert "Intact" in page.verdict("verification")
    assert "Clean" in page.verdict("scan")
    assert "Member-token hashes were not looked for: no database was given" in page.verdict("scan")
    for key in ("recomputation", "ledger", "imports"):
        assert "Not checked: no database was given." in page.verdict(key), key
    assert "Sessions delivered" in page.verdict("recomputation")  # the figures, as published
    assert re.search(r"version 2 \(amends version 1\), 2026-10-12 09:\d\d UTC", html)
    assert "2026-11-02 09:30 UTC" in html
    # Self-contained and printable: no scripts, no external resources.
    assert not page.tags & {"script", "img", "link", "iframe", "object"}
    assert page.urls == [] and "@media print" in html


def test_a_bundle_without_a_readable_manifest_still_gets_a_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bundle.zip"
    broken.write_bytes(write_archive({"r.csv": b"a,b\r\n"}, b""))
    found = audit_report(broken, None)
    assert found.verification.state == FAILED and found.ret is None
    page = PageText(render_report(found))
    assert "Altered: manifest.json is missing or was edited" in page.verdict("verification")
    assert "the bundle's manifest cannot be read" in page.verdict("recomputation")


def test_audit_report_command_writes_the_page_and_exits_1_on_failure(
    run: Run, submitted: tuple[Workspace, Path, Path, str], tmp_path: Path
) -> None:
    workspace, v1, v2, fingerprint = submitted
    rules = tmp_path / "rules" / "audit-test.toml"
    ws = ["--workspace", workspace.root, "--rules", rules]
    out = tmp_path / "papers" / "v2.html"
    out.parent.mkdir()
    good = run("audit", "report", v2, "--out", out, "--fingerprint", fingerprint, *ws)
    assert good.exit_code == 0, good.output
    assert "PASSED       Bundle verification: Intact" in good.output
    assert f"written to {out}" in good.output
    assert "Every check passed." in PageText(out.read_text("utf-8")).overall
    stale = run("audit", "report", v1, "--fingerprint", fingerprint, *ws)
    assert stale.exit_code == 0, stale.output
    assert "PASSED       Recomputation: The figures match" in stale.output
    assert (tmp_path / f"audit-test_{PERIOD}_TEST01_v1.audit.html").is_file()  # the default name
    bare = run("audit", "report", v2, "--out", tmp_path / "bare.html", "--fingerprint", fingerprint)
    assert bare.exit_code == 0
    assert "NOT CHECKED  Recomputation: Not checked: no database was given" in bare.output


def test_an_exported_bundle_is_not_in_the_ledger_and_the_report_says_so(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    make_workspace(tmp_path / "ws", db_url)
    rules = write_rules(tmp_path / "rules")
    store(engine, records())
    # A bundle made by an earlier peerreport's `export`: sealed, but never submitted.
    ret = build(engine, load_rules(rules))
    exported = tmp_path / "exported.bundle.zip"
    exported.write_bytes(bundle_bytes(ret, {"return.json": ret.to_json().encode()}))
    found = audit_report(exported, engine, rules=rules, trusted=ALLOW_UNSIGNED)
    assert found.ledger.state == "warning" and found.ok and found.state == "warning"
    assert found.summary == (
        "No check failed; see the notes on bundle verification, ledger history and import log."
    )  # the note on verification: UNVERIFIED ORIGIN, accepted on request
    page = PageText(render_report(found))
    assert "This bundle was exported, not submitted" in page.verdict("ledger")
    assert "No imports are recorded for this organisation" in page.verdict("imports")
