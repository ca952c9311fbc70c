"""The review page: content, disclosure display, findings, DRAFT, escaping, inline SVG charts."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerreport.findings import Finding, Location, Severity
from peerreport.render import render_html
from peerreport.render.html import page_context
from tests.render.sample import ORG_NAME, earlier_return, sample_return

HISTORY = (
    earlier_return("FY2026-Q3", dt.date(2026, 1, 1), dt.date(2026, 3, 31), 38),
    earlier_return("FY2026-Q4", dt.date(2026, 4, 1), dt.date(2026, 6, 30), None, "suppressed"),
)


class _Text(HTMLParser):
    """The page's visible text (outside <style>), and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._skip = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_header_figures_and_disclosure() -> None:
    page = render_html(sample_return())
    text = _text(page)
    assert page.startswith("<!DOCTYPE html>")
    assert f"<title>Peer support service for adults: {ORG_NAME}, FY2027-Q1</title>" in page
    assert "Te Whare Tāwharau peer collective (ORG-01)" in text
    assert "July to September 2026 (FY2027-Q1)" in text
    assert "Status: has errors" in text
    assert "MHC36F, MHC37" in text
    for line in ("PS-02", "PS-05", "PS-03", "PS-07"):
        assert line in text
    assert "Peer support group sessions delivered" in text
    assert "group_sessions" not in text  # measure ids are for machines: a data attribute only
    assert 'data-measure="group_sessions"' in render_html(sample_return())
    assert "45" in text and "6.4" in text and "-3" in text and "2026-07-02" in text
    assert 'class="badge badge-suppressed">suppressed' in page
    assert 'class="badge badge-rounded">rounded' in page
    assert "counts below 6 are suppressed and shown as 'S'" in page.replace("&#39;", "'")
    # the legend explains the symbol
    assert re.search(r"<dt>S</dt><dd><span class=\"badge badge-suppressed\">", page)


def test_due_date_is_shown_beside_the_period() -> None:
    page = render_html(sample_return())
    subtitle = re.search(r'<p class="subtitle">(.*?)</p>', page, re.S)
    assert subtitle is not None
    assert "July to September 2026 (FY2027-Q1)" in subtitle.group(1)
    assert "due 20 October 2026" in _text(subtitle.group(1))
    assert page_context(sample_return())["due"] == "20 October 2026"
    assert "Due" not in [f["label"] for f in page_context(sample_return())["facts"]]


def test_no_due_date_says_nothing_about_one() -> None:
    page = render_html(sample_return(due=None))
    assert "due " not in _text(page).lower().replace("overdue", "")
    assert 'class="due"' not in page


def test_breakdown_tables_show_symbols_and_not_recorded() -> None:
    text = _text(render_html(sample_return()))
    # Categories in words, never codes; every hidden cell points to why it is hidden.
    assert "Warm-line calls answered by delivery mode" in text
    assert "Video S 1 suppressed" in text
    assert "Not recorded 3 rounded" in text
    assert "Pacific Peoples S 1 suppressed" in text
    assert "In person Peer support group session 33 exact" in text
    assert "1. Hidden to protect people: it is fewer than" in text or (
        "Hidden to protect people: it is fewer than" in text
    )
    for code in ("in_person", "pacific", "not_recorded", "warm_line_calls"):
        assert code not in text, code


def test_findings_grouped_by_severity_with_hints() -> None:
    text = _text(render_html(sample_return()))
    errors, warnings, info = (
        text.index(h) for h in ("Errors (1)", "Warnings (1)", "Information (1)")
    )
    assert errors < warnings < info
    assert "NZPS-010 45 group sessions but only 0 attendances" in text
    assert "How to fix: A group session needs at least one attendee" in text
    assert 'Where: activities.xlsx, row 14, column "notes"' in text
    assert "No findings" in _text(render_html(sample_return(findings=())))


def test_draft_banner_and_title() -> None:
    page = render_html(sample_return(), draft=True)
    assert "<title>DRAFT — " in page
    assert 'class="draft-banner"' in page and "DRAFT — not for submission" in page
    assert "Status: DRAFT (has errors)" in _text(page)
    plain = render_html(sample_return())
    assert "DRAFT" not in plain


def test_breakdown_chart_is_inline_svg_without_hidden_values() -> None:
    page = render_html(sample_return())
    assert page.count("<svg") == 3  # warm-line calls, attendances, sessions by mode and kind
    assert (
        '<title id="by-warm_line_calls-title">Warm-line calls answered by delivery mode</title>'
        in page
    )
    context = page_context(sample_return())
    calls = next(f for f in context["figures"] if f["id"] == "warm_line_calls")
    video = next(b for b in calls["breakdown_chart"]["bars"] if b["label"] == "Video")
    assert video["width"] == 0 and video["text"] == "S"


def test_history_charts() -> None:
    page = render_html(sample_return(), history=HISTORY)
    assert "This period compared with earlier periods" in page
    assert "Earlier periods: January to March 2026, April to June 2026" in page
    context = page_context(sample_return(), history=HISTORY)
    sessions = next(f for f in context["figures"] if f["id"] == "group_sessions")
    bars = sessions["history_chart"]["bars"]
    assert [b["label"] for b in bars] == ["Jan–Mar 2026", "Apr–Jun 2026", "Jul–Sep 2026"]
    assert [b["text"] for b in bars] == ["38", "S", "45"]
    assert bars[1]["height"] == 0 and bars[2]["current"]
    assert '<title id="trend-group_sessions-title">' in page
    assert page.count("<svg") > 3
    # later periods and other organisations are not "earlier"
    later = earlier_return("FY2027-Q2", dt.date(2026, 10, 1), dt.date(2026, 12, 31), 50)
    assert "compared with earlier" not in render_html(sample_return(), history=(later,))


def test_self_contained() -> None:
    page = render_html(sample_return(), history=HISTORY, draft=True)
    parser = _Text()
    parser.feed(page)
    assert not {"script", "link", "img", "iframe", "object"} & set(parser.tags)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "@media print" in page


def test_script_in_an_organisation_name_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    page = render_html(sample_return(organisation_name=evil), draft=True)
    assert "<script" not in page
    assert "&lt;script&gt;" in page


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(), message=st.text(), hint=st.text(), label=st.text())
def test_no_text_can_open_a_script(name: str, message: str, hint: str, label: str) -> None:
    payload = "<script>x</script>"
    finding = Finding(
        "X-1", Severity.ERROR, message + payload, hint + payload, Location(file=label)
    )
    ret = sample_return(organisation_name=name + payload, findings=(finding,))
    page = render_html(ret, draft=True)
    assert "<script" not in page.lower()
