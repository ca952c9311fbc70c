"""Bundles built under another version of the funder's published rule file, on both databases.

A version that differs only in presentation (its title and version here) is
taken with collate's note, shown in the API's answers and on the funder's
submission page; one whose meaning differs (a measure added) is refused with
collate's own explanation of what changed, through the API and the upload page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.bundle.verify import Trust
from peerreport.collate import collate
from peerreport.filing import period_of
from peerreport.hosted.collation import published_rule_file
from peerreport.hosted.directory import publish_rule
from peerreport.hosted.published import write_published
from peerreport.ledger.lifecycle import record_event
from tests.hosted.helpers import (
    BASE_URL,
    FUNDER,
    FUNDER_NAME,
    ORG_A,
    PERIOD,
    RULE_ID,
    RULE_TEXT,
    Hosted,
    LocalBundles,
)
from tests.hosted.test_funder_pages import _csrf, _person

NOTE = "built under version 2026.1: presentation differs"
#: The published file reworded: a new title and version, the same meaning digest.
REWORDED = RULE_TEXT.replace('version = "2026.1"', 'version = "2026.2"').replace(
    "adult peer support, quarterly", "peer support for adults (quarterly return)"
)
#: The published file with a measure added: another meaning.
EXTENDED = (
    RULE_TEXT.replace('version = "2026.1"', 'version = "2026.2"')
    + """
[[measure]]
id = "outreach_sessions"
label = "Outreach sessions"
count = "activity"
where = "kind = 'outreach'"
"""
)
ADDED = "what changed: measure outreach_sessions: added"


def _publish(hosted: Hosted, text: str) -> None:
    """The funder publishes a new version (and the server writes it where pages load it)."""
    assert text != RULE_TEXT
    publish_rule(hosted.engine, FUNDER, text, None, None)
    write_published(hosted.config, hosted.engine, [FUNDER])


def test_a_presentation_only_change_is_taken_with_the_note_in_the_api_and_on_the_pages(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    _publish(hosted, REWORDED)
    sent = hosted.send(ORG_A, local_bundles.a_v1)  # built under 2026.1
    assert sent.status_code == 201, sent.text
    entry = sent.json()
    assert (entry["rule_version"], entry["presentation"]) == ("2026.1", NOTE)
    for who in (ORG_A, FUNDER):
        [listed] = hosted.returns(who)
        assert (listed["id"], listed["presentation"]) == (entry["id"], NOTE)
    again = hosted.send(ORG_A, local_bundles.a_v1)
    assert again.status_code == 200 and again.json()["presentation"] == NOTE
    assert hosted.stored() == (1, 1)

    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    page = funder.get(f"/funder/{FUNDER}/submissions/{entry['id']}")
    assert page.status_code == 200, page.text
    assert 'id="release-note"' in page.text and "notice-error" not in page.text
    assert f"Rule file: {NOTE} from the published version 2026.2" in page.text

    # Accepted, it is collated with the published version, with the same note.
    record_event(hosted.engine, ORG_A, entry["id"], "accepted", None, actor="funder-h")
    answer = hosted.client.get(
        f"/api/v1/funders/{FUNDER}/collations/{RULE_ID}/{PERIOD}", headers=hosted.auth(FUNDER)
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["rule_file"]["version"] == "2026.2" and done["rejected"] == []
    row = next(p for p in done["providers"] if p["code"] == ORG_A)
    assert row["status"] in ("received", "late") and row["note"].endswith(NOTE)


def test_a_bundle_built_with_the_published_version_itself_has_no_note(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    sent = hosted.send(ORG_A, local_bundles.a_v1)
    assert sent.status_code == 201 and sent.json()["presentation"] is None
    [listed] = hosted.returns(FUNDER)
    assert listed["presentation"] is None
    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    page = funder.get(f"/funder/{FUNDER}/submissions/{sent.json()['id']}")
    assert page.status_code == 200 and 'id="release-note"' not in page.text


def test_another_meaning_is_refused_with_collates_explanation(
    hosted: Hosted, local_bundles: LocalBundles, tmp_path: Path
) -> None:
    _publish(hosted, EXTENDED)
    answer = hosted.send(ORG_A, local_bundles.a_v1)
    assert answer.status_code == 422, answer.text
    reason = answer.json()["error"]
    assert reason.startswith(f"the return was built with {RULE_ID} 2026.1 (sha256:"), reason
    assert f"not the rule file {FUNDER_NAME} published (2026.2, sha256:" in reason
    assert ADDED in reason and "version changed" not in reason  # meaning changes only
    assert hosted.stored() == (0, 0)

    # Word for word what `peerreport collate` says of the same bundle and rule file.
    bundle = tmp_path / "a.bundle.zip"
    bundle.write_bytes(local_bundles.a_v1)
    published = published_rule_file(hosted.engine, tmp_path / "data", FUNDER, RULE_ID)
    trust = Trust(keys=frozenset({local_bundles.keys[ORG_A]}))
    period = period_of(published, PERIOD)
    [rejected] = collate([bundle], published, trust=trust, period=period).rejected
    assert (
        rejected.reason.replace(
            "the rule file being collated", f"the rule file {FUNDER_NAME} published"
        )
        in reason
    )

    coordinator = _person(hosted, "coord-a", "coordinator", "org", ORG_A)
    uploaded = coordinator.post(
        "/bundles",
        data={"csrf_token": _csrf(coordinator.get("/bundles").text)},
        files={"bundle": ("return.bundle.zip", local_bundles.a_v1, "application/zip")},
        headers={"origin": BASE_URL},
    )
    assert uploaded.status_code == 400 and 'id="bundle-problem"' in uploaded.text
    assert f"Not received: the return was built with {RULE_ID} 2026.1" in uploaded.text
    assert ADDED in uploaded.text and hosted.stored() == (0, 0)


def test_published_anew_after_receipt_the_same_bundle_is_still_no_error_and_the_page_warns(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    first = hosted.send(ORG_A, local_bundles.a_v1)
    assert first.status_code == 201, first.text
    _publish(hosted, EXTENDED)
    again = hosted.send(ORG_A, local_bundles.a_v1)  # a retry after a lost connection
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert hosted.stored() == (1, 1)
    amended = hosted.send(ORG_A, local_bundles.a_v2)  # a new bundle under the old meaning
    assert amended.status_code == 422 and ADDED in amended.json()["error"]

    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    page: Any = funder.get(f"/funder/{FUNDER}/submissions/{first.json()['id']}")
    assert page.status_code == 200, page.text
    assert 'class="notice notice-error" id="release-note"' in page.text
    assert "A collation with the published version 2026.2 leaves it out" in page.text
    assert ADDED in page.text


def test_publishing_a_new_version_says_whether_filed_returns_still_collate(
    hosted: Hosted,
) -> None:
    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    page = f"/funder/{FUNDER}/rules"

    def publish(text: str) -> str:
        done = funder.post(
            page,
            data={"csrf_token": _csrf(funder.get(page).text)},
            files={"rule_file": (f"{RULE_ID}.toml", text.encode())},
            headers={"origin": BASE_URL},
        )
        assert done.status_code == 303, done.text
        shown = funder.get(done.headers["location"])
        assert 'id="published-notice"' in shown.text, shown.text
        return shown.text

    reworded = publish(REWORDED)
    assert 'id="release-change"' in reworded
    assert "Only presentation changed from version 2026.1" in reworded
    assert f"with the note \u201c{NOTE}\u201d" in reworded
    extended = publish(EXTENDED.replace('version = "2026.2"', 'version = "2026.3"'))
    assert "The meaning changed from version 2026.2" in extended
    assert "bundles built under it are refused; " + ADDED in extended
    assert 'id="release-change"' not in funder.get(page).text  # only just after publishing
