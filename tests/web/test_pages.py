"""The coordinator's pages in-process, on SQLite and PostgreSQL: the path, refusals, privacy.

The browser tests (tests/web/test_coordinator_path.py) walk the same path in Chromium;
these run on both databases and check what each response says.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from peerreport.store.database import open_engine
from peerreport.store.schema import member_token
from peerreport.workspace import load_workspace, write_workspace
from tests.helpers import write_csv
from tests.web.client import ORIGIN, client, config_for, csrf

RULES = "nz-peer-support-adults"
PERIOD = "FY2026-Q4"  # April to June 2026
HEADER = ["activity_id", "date", "kind", "attendance", "mode", "member_tokens"]
#: Codes a person must never read on a page (labels are shown instead).
CODES = re.compile(r"\b(not_ethnicity|25_64|warm_line_call|check\[\d+\]|peer_support_activities)\b")


def _log(rows: int = 8, bad: bool = False) -> list[list[Any]]:
    found: list[list[Any]] = [HEADER]
    for i in range(rows):
        day = f"{3 + i:02d}/05/2026"
        found.append([f"G-{i}", day, "group", 5 + i, "in_person", "kereru7; tui42"])
    if bad:
        found[2][1] = "31/02/2026"  # no such day
        found[3][2] = "yoga"  # not a kind
    return found


@pytest.fixture(scope="module")
def sample_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's synthetic year (July 2025 to June 2026) as a workbook, written once."""
    import datetime as dt

    from peerreport.samples.generator import one_year
    from peerreport.samples.writer import write_samples

    path = tmp_path_factory.mktemp("sample") / "activity-log.xlsx"
    write_samples(path, one_year(2026, dt.date(2025, 7, 1)))
    return path


def _tokens(workbook: Path) -> set[str]:
    """The member tokens written in the sample workbook's Activities sheet."""
    book = openpyxl.load_workbook(workbook, read_only=True)
    sheet = book["Activities"]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).lower() for h in next(rows)]
    column = header.index("member_tokens")
    found = {
        token.strip()
        for row in rows
        if len(row) > column and row[column]
        for token in str(row[column]).split(";")
        if token.strip()
    }
    book.close()
    return found


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> Any:
    root = tmp_path / "ws"
    write_workspace(root, "Harbour Peer Collective", "HPC001", db_url, returns=(RULES,))
    config = config_for(tmp_path, root)
    made = client(config)
    made.config = config  # type: ignore[attr-defined]
    made.root = root  # type: ignore[attr-defined]
    return made


def _visible(html: str) -> str:
    """The text a person reads: without tags (ids and data attributes may hold codes)."""
    return re.sub(r"<[^>]+>", " ", html)


def _post(site: Any, url: str, **kwargs: Any) -> Any:
    data = {**csrf(site.config), **kwargs.pop("data", {})}
    return site.post(url, data=data, headers=ORIGIN, **kwargs)


def _upload(site: Any, path: Path) -> Any:
    kind = "text/csv" if path.suffix == ".csv" else "application/octet-stream"
    return _post(site, "/upload", files={"files": (path.name, path.read_bytes(), kind)})


def test_first_visit_makes_a_workspace(tmp_path: Path) -> None:
    config = config_for(tmp_path, None)
    site = client(config)
    assert site.get("/").headers["location"] == "/start"
    form = site.get("/start")
    assert "Create the workspace" in form.text and "Peer Support Service for Adults" in form.text
    bad = site.post(
        "/start",
        data={**csrf(config), "name": "Harbour", "provider_code": "no spaces!", "rules": RULES},
        headers=ORIGIN,
    )
    assert bad.status_code == 400 and "provider code" in bad.text.lower()
    assert not (tmp_path / "harbour").exists()
    role = {"name": "Harbour", "provider_code": "HPC001", "rules": RULES}
    named = site.post(
        "/start",
        data={**csrf(config), **role, "contact_role": "lead@harbour.example.org"},
        headers=ORIGIN,
    )
    assert named.status_code == 400 and "Contact role looks like an e-mail address" in named.text
    assert "lead@harbour" not in named.text.replace('value="lead@harbour', "")
    assert not (tmp_path / "harbour").exists()
    made = site.post(
        "/start",
        data={**csrf(config), "name": "Harbour Peer", "provider_code": "HPC001", "rules": RULES},
        headers=ORIGIN,
    )
    assert made.status_code == 303
    workspace = load_workspace(tmp_path / "harbour-peer")
    assert workspace.provider_code == "HPC001" and workspace.returns == (RULES,)
    home = site.get("/")
    assert home.status_code == 200 and "Harbour Peer" in home.text
    import datetime as dt

    from peerreport.render.words import period_words
    from peerreport.returns.periods import recent_periods

    latest = period_words(recent_periods("quarter", "07-01", dt.date.today(), 1)[0])
    assert latest in home.text  # the one period that is over, and nothing before records
    assert home.text.count('<th scope="row">') == 1
    workbook = site.get(f"/intake-workbook?rules={RULES}")
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert "Activities" in book.sheetnames


def test_upload_with_mistakes_stores_nothing_and_names_the_cells(site: Any, tmp_path: Path) -> None:
    bad = _upload(site, write_csv(tmp_path / "activities.csv", _log(bad=True)))
    assert bad.status_code == 422
    assert "Nothing was stored: 2 problems to fix" in bad.text
    assert "row 3" in bad.text and "row 4" in bad.text
    assert "yoga" in bad.text  # a value that is no identifier is shown, to find it
    assert "No activities stored yet" in site.get("/records").text
    good = _upload(site, write_csv(tmp_path / "activities.csv", _log()))
    assert good.status_code == 200 and "Stored" in good.text
    records = site.get("/records")
    assert "May 2026" in records.text and "Peer support group session" in records.text


def test_review_submit_and_amend(site: Any, sample_year: Path) -> None:
    assert _upload(site, sample_year).status_code == 200
    review = site.get(f"/returns/{RULES}/{PERIOD}")
    assert review.status_code == 200
    assert "April to June 2026" in review.text and "Submit the return" in review.text
    assert CODES.search(_visible(review.text)) is None, CODES.search(_visible(review.text))
    filed = _post(site, f"/returns/{RULES}/{PERIOD}/submit")
    assert filed.status_code == 303
    done = site.get(filed.headers["location"])
    assert "Version 1 is recorded" in done.text
    bundle = site.get(f"/returns/{RULES}/{PERIOD}/bundle/1")
    assert bundle.content[:2] == b"PK"
    again = _post(site, f"/returns/{RULES}/{PERIOD}/submit")
    assert again.status_code == 400 and "say why you are submitting it again" in again.text
    same = _post(site, f"/returns/{RULES}/{PERIOD}/submit", data={"reason": "recheck"})
    assert same.status_code == 409 and "would change no figure" in same.text
    forced = _post(
        site,
        f"/returns/{RULES}/{PERIOD}/submit",
        data={"reason": "recheck", "same_anyway": "true"},
    )
    assert forced.status_code == 303 and forced.headers["location"].endswith("/submitted/2")
    amended = site.get(forced.headers["location"])
    assert "version 2, amending version 1" in amended.text
    home = site.get("/")
    assert "Submitted" in home.text or "Amended" in home.text


def test_no_page_shows_a_member_token_or_its_hash(
    site: Any, tmp_path: Path, sample_year: Path
) -> None:
    _upload(site, write_csv(tmp_path / "activities.csv", _log()))
    assert _upload(site, sample_year).status_code == 200
    tokens = _tokens(sample_year) | {"kereru7", "tui42"}
    assert len(tokens) > 20
    engine = open_engine(load_workspace(site.root).database_url)
    with engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(select(member_token.c.token_hash))]
    engine.dispose()
    assert hashes, "the log's member tokens were stored as hashes"
    pages = [
        "/",
        "/records",
        "/records/imports/1",
        "/records/activity?id=G-0",
        "/returns",
        f"/returns/{RULES}",
        f"/returns/{RULES}/{PERIOD}",
        f"/returns/{RULES}/{PERIOD}/copy/csv",
        f"/returns/{RULES}/{PERIOD}/copy/json",
    ]
    for url in pages:
        text = site.get(url).text
        shown = [t for t in tokens if re.search(rf"\b{re.escape(t)}\b", text)]
        assert shown == [], (url, shown[:5])
        assert not any(h in text for h in hashes), url
        if not url.endswith(("csv", "json")):
            visible = _visible(text)
            assert CODES.search(visible) is None, (url, CODES.search(visible))


def test_a_mistake_is_a_page_not_a_traceback(site: Any) -> None:
    for url in (
        "/returns/no-such-return",
        f"/returns/{RULES}/not-a-period",
        "/records/imports/999",
        "/records/activity?id=NOPE",
        "/upload/20260101T000000-00000000/x.problems.xlsx",
    ):
        answer = site.get(url)
        assert answer.status_code == 400, url
        assert "Something to fix" in answer.text and "Traceback" not in answer.text, url
    missing = site.get("/no/such/page")
    assert missing.status_code == 404 and "There is no such page" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    garbled = site.get(f"/returns/{RULES}/{PERIOD}/submitted/abc")
    assert garbled.status_code == 400 and "did not understand" in garbled.text
    wrong_type = _post(site, "/upload", files={"files": ("log.txt", b"hello", "text/plain")})
    assert wrong_type.status_code == 400 and ".xlsx" in wrong_type.text


def test_an_identifier_in_an_upload_is_masked_on_every_page(site: Any, tmp_path: Path) -> None:
    """An NHI typed into a log is refused; the page and the import log show it masked."""
    nhi = "ZAA0067"  # a valid NHI number (check digit included), invented
    rows = [
        ["activity_id", "date", "kind", "attendance", "notes"],
        ["A1", "03/05/2026", "group", 5, f"Call {nhi} back"],
    ]
    refused = _upload(site, write_csv(tmp_path / "activities.csv", rows))
    assert refused.status_code == 422
    assert "Z******" in refused.text or "masked" in refused.text.lower()
    for url in ("/", "/records", "/records/imports/1", "/upload"):
        assert nhi not in site.get(url).text, url
    assert nhi not in refused.text
