"""The auditor's desk on a hosted server, on SQLite and PostgreSQL, signed in for real.

An auditor assigned organisation A reads A's returns, verdicts, traces,
samples and audit report; every page about organisation B, or one of B's
returns, is refused and shows nothing of B. No page shows a member token, a
token hash or an identifier intake refused.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from peerreport.hosted import access
from tests.hosted.auditor_fixtures import (
    A_NAME,
    B_NAME,
    NHI,
    A,
    B,
    Server,
    hosted_server,  # noqa: F401  (the `server` fixture)
)


def _visible(html: str) -> str:
    """What a person reads: the page without tags."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _a_pages(site: Server) -> list[str]:
    kept, unkept = site.a_kept, site.a_unkept
    return [
        "/audit",
        f"/audit/orgs/{A}",
        f"/audit/orgs/{A}/sample",
        f"/audit/orgs/{A}/sample?submission={kept}&size=25&seed=20261012",
        f"/audit/orgs/{A}/sample?submission={kept}&size=5&seed=7&figure=PSA4",
        f"/audit/submissions/{kept}",
        f"/audit/submissions/{unkept}",
        f"/audit/submissions/{kept}/trace",
        f"/audit/submissions/{kept}/trace?line=PSA4",
        f"/audit/submissions/{kept}/trace?line=PSA6",
        f"/audit/submissions/{kept}/trace?line=C5",
        f"/audit/submissions/{kept}/trace?line=C10",
        f"/audit/submissions/{unkept}/trace?line=PSA4",
        f"/audit/submissions/{kept}/report",
        f"/audit/submissions/{unkept}/report",
    ]


def _b_pages(site: Server) -> list[str]:
    return [
        f"/audit/orgs/{B}",
        f"/audit/orgs/{B}/sample",
        f"/audit/orgs/{B}/sample?submission={site.b_kept}&size=5&seed=1",
        f"/audit/submissions/{site.b_kept}",
        f"/audit/submissions/{site.b_kept}/trace?line=PSA4",
        f"/audit/submissions/{site.b_kept}/report",
        f"/audit/submissions/{site.b_kept}/report?download=1",
    ]


def test_every_route_of_the_desk_has_a_rule_and_none_changes_anything(server: Server) -> None:
    from peerreport.hosted.routes import auditor

    for route in auditor.router.routes:
        path = getattr(route, "path", "")
        for method in getattr(route, "methods", ()):
            assert method == "GET", f"{method} {path}: the desk only reads"
            rule = access.rule_for(method, path)
            assert rule is not None and rule.roles == {access.AUDITOR}, path


def test_every_page_works_for_the_assigned_organisation(server: Server) -> None:
    browser = server.client("auditor-a")
    for url in _a_pages(server):
        page = browser.get(url)
        assert page.status_code == 200, (url, page.text[:2000])
        assert B_NAME not in page.text and B not in page.text, url


def test_the_desk_lists_what_is_assigned_and_nothing_else(server: Server) -> None:
    desk = _visible(server.client("auditor-a").get("/audit").text)
    assert A_NAME in desk and f"/audit/orgs/{A}" in server.client("auditor-a").get("/audit").text
    assert "April to June 2026" in desk
    assert "Superseded" in desk and "Amended" in desk  # both versions, with their states
    assert "Two group sessions were missed" in desk
    assert B_NAME not in desk
    nobody = _visible(server.client("auditor-none").get("/audit").text)
    assert "Nothing is assigned to you yet" in nobody and A_NAME not in nobody


def test_an_auditor_of_a_funder_audits_its_providers(server: Server) -> None:
    browser = server.client("auditor-fund")
    desk = _visible(browser.get("/audit").text)
    assert "Northern Regional Funder" in desk and A_NAME in desk and "through a funder" in desk
    assert browser.get(f"/audit/submissions/{server.a_kept}").status_code == 200
    assert browser.get(f"/audit/orgs/{B}").status_code == 403


def test_the_organisation_page(server: Server) -> None:
    text = _visible(server.client("auditor-a").get(f"/audit/orgs/{A}").text)
    assert "INTACT" in text and "4 entries" in text  # two revisions, two submissions
    # The import log: stored and refused files, newest first.
    assert text.index("activities-late.csv") < text.index("activity-log-2026.xlsx")
    assert "activities-nhi.csv" in text and "Refused: 1 problem, nothing stored" in text
    # What is stored now, by month and kind in words.
    assert "Peer support group session" in text and "May 2026" in text and "Total" in text


def test_a_return_with_its_bundle_kept_is_verified(server: Server) -> None:
    page = server.client("auditor-a").get(f"/audit/submissions/{server.a_kept}")
    text = _visible(page.text)
    assert "VERIFIED" in text and "NOT VERIFIED" not in text
    assert "INTACT — every file matches the manifest" in text
    assert "MATCH the records as they were when the return was built at revision 2" in text
    assert "The records since" in text and "unchanged" in text
    assert "version 2, the current version; its hash chain is intact" in text
    assert "the key HPC001 signs with on this server" in text
    assert "nz-peer-support-adults_FY2026-Q4_HPC001_v2.bundle.zip" in text
    # The trace form: one option per figure, by line code and label.
    assert 'name="line"' in page.text and "PSA4: Peer support group sessions" in text
    assert f'action="/audit/submissions/{server.a_kept}/trace"' in page.text
    assert 'method="post"' not in page.text.split("</header>", 1)[1]  # only sign-out posts


def test_a_return_without_its_bundle_is_recomputed_from_the_ledger(server: Server) -> None:
    browser = server.client("auditor-a")
    text = _visible(browser.get(f"/audit/submissions/{server.a_unkept}").text)
    assert "no bundle was kept" in text and "not kept on this server" in text
    assert "MATCH the records as they were when the return was built at revision 1" in text
    # Records added since (for version 2) are named, and version 2 includes them.
    assert "2 record(s) of the period changed; version 2 includes the change" in text
    assert "LATE-1" in text and "superseded by version 2" in text
    report = _visible(browser.get(f"/audit/submissions/{server.a_unkept}/report").text)
    assert "No bundle to report on" in report


def test_trace_lists_the_records_behind_a_figure_with_labels(server: Server) -> None:
    browser = server.client("auditor-a")
    page = browser.get(f"/audit/submissions/{server.a_kept}/trace?line=PSA4")
    text = _visible(page.text)
    published = re.search(r"Published: (\d+) \. The records give: (\d+) \((\d+) activity", text)
    assert published is not None, text[:3000]
    assert published[1] == published[2] == published[3]
    rows = re.findall(r"<tr><th scope=\"row\">", page.text)
    assert len(rows) == int(published[3])
    for heading in ("Activity ID", "Date", "Kind of activity", "File", "Row"):
        assert f">{heading}</th>" in page.text
    assert "Peer support group session" in text and "activity_id" not in text
    assert "LATE-1" in text  # added for version 2, which is built from revision 2
    older = _visible(browser.get(f"/audit/submissions/{server.a_unkept}/trace?line=PSA4").text)
    assert "LATE-1" not in older  # version 1 is traced as it was built
    derived = _visible(browser.get(f"/audit/submissions/{server.a_kept}/trace?line=PSA6").text)
    assert "Worked out as" in derived and "PSA5" in derived
    members = _visible(browser.get(f"/audit/submissions/{server.a_kept}/trace?line=C5").text)
    assert "member tokens are never listed" in members
    wrong = browser.get(f"/audit/submissions/{server.a_kept}/trace?line=NOPE99")
    assert wrong.status_code == 400 and "no measure, line code or label" in wrong.text


def test_a_sample_is_drawn_again_by_its_seed_and_downloads_as_csv(server: Server) -> None:
    browser = server.client("auditor-a")
    base = f"/audit/orgs/{A}/sample?submission={server.a_kept}"
    form = browser.get(f"/audit/orgs/{A}/sample")
    assert 'name="seed"' in form.text and 'method="get"' in form.text
    first = browser.get(f"{base}&size=10&seed=20261012")
    again = browser.get(f"{base}&size=10&seed=20261012")
    more = browser.get(f"{base}&size=12&seed=20261012")

    def drawn(html: str) -> list[str]:
        return re.findall(
            r'<tr><th scope="row" class="num">\d+</th><td>[^<]*</td><td>([^<]*)</td>', html
        )

    assert len(drawn(first.text)) == 10
    assert drawn(first.text) == drawn(again.text) == drawn(more.text)[:10]
    assert "drawn with seed 20261012" in first.text
    download = browser.get(f"{base}&size=10&seed=20261012&download=csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][-3:] == ["document seen", "agrees", "notes"] and len(rows) == 11
    one = browser.get(f"{base}&size=5&seed=7&figure=PSA4")
    assert "behind Peer support group sessions" in _visible(one.text)
    assert browser.get(f"{base}&size=0&seed=7").status_code == 400


def test_the_audit_report_prints_and_downloads(server: Server) -> None:
    browser = server.client("auditor-a")
    page = browser.get(f"/audit/submissions/{server.a_kept}/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = _visible(page.text)
    assert "Every check passed" in text and "this server's database" in text
    assert "postgresql" not in text and "sqlite" not in text  # never the database's address
    download = browser.get(f"/audit/submissions/{server.a_kept}/report?download=1")
    disposition = download.headers["content-disposition"]
    assert 'filename="nz-peer-support-adults_FY2026-Q4_HPC001_v2.audit.html"' in disposition


def test_nothing_of_another_organisation_is_shown(server: Server) -> None:
    browser = server.client("auditor-a")
    for url in _b_pages(server):
        page = browser.get(url)
        assert page.status_code == 403, url
        assert B_NAME not in page.text and B not in page.text, url
    # A's sample page does not draw from B's return, whatever the address names.
    crossed = browser.get(f"/audit/orgs/{A}/sample?submission={server.b_kept}&size=5&seed=1")
    assert crossed.status_code == 400
    assert B_NAME not in crossed.text and B not in crossed.text
    assert "no such return of this organisation" in crossed.text
    # A return that does not exist is refused as one that is not yours.
    assert browser.get("/audit/submissions/999999").status_code == 403
    assert browser.get("/audit/submissions/not-a-number").status_code in (403, 422)


def test_others_cannot_use_the_desk(server: Server) -> None:
    stranger = server.client()
    first = stranger.get(f"/audit/submissions/{server.a_kept}")
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    coordinator = server.client("coord-a")
    for url in _a_pages(server)[:6]:
        assert coordinator.get(url).status_code == 403, url


def test_no_page_shows_tokens_hashes_or_refused_identifiers(server: Server) -> None:
    browser = server.client("auditor-a")
    pages = [browser.get(url).text for url in _a_pages(server)]
    pages.append(
        browser.get(
            f"/audit/orgs/{A}/sample?submission={server.a_kept}&size=25&seed=1&download=csv"
        ).text
    )
    assert server.tokens and server.token_hashes
    words = {w for page in pages for w in re.findall(r"[\w-]+", page)}
    assert not (server.tokens & words), sorted(server.tokens & words)[:5]
    for page in pages:
        assert NHI not in page
        assert not any(h in page for h in server.token_hashes)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_desk_changes_nothing(server: Server, method: str) -> None:
    browser = server.client("auditor-a")
    found = browser.request(method, f"/audit/submissions/{server.a_kept}")
    assert found.status_code in (403, 405)
