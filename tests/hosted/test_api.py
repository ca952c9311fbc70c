"""The JSON API on both databases: bundles from local installs in, returns listed, collated."""

from __future__ import annotations

from typing import Any

import pytest

from peerreport.hosted.accounts import revoke_token, token_scope
from peerreport.hosted.directory import bundle_of
from peerreport.hosted.keys import retire_key
from peerreport.ledger.lifecycle import record_event
from tests.hosted.helpers import (
    FUNDER,
    ORG_A,
    ORG_B,
    OTHER_FUNDER,
    PERIOD,
    RULE_ID,
    Hosted,
    LocalBundles,
    forged,
    resigned,
    tampered,
    unsigned,
)

COLLATION = f"/api/v1/funders/{FUNDER}/collations/{RULE_ID}/{PERIOD}"


def _refusal(answer: Any, status: int, *words: str) -> str:
    """The refusal's JSON reason, checked for its status and words."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    reason = answer.json()["error"]
    assert isinstance(reason, str)
    for word in words:
        assert word in reason, reason
    return reason


def test_a_bundle_from_a_local_install_is_received_and_listed(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    sent = hosted.send(ORG_A, local_bundles.a_v1)
    assert sent.status_code == 201, sent.text
    entry = sent.json()
    assert (
        entry["organisation"] == ORG_A and entry["organisation_name"] == "Harbour Peer Collective"
    )
    assert (entry["rule_id"], entry["period_label"], entry["version"]) == (RULE_ID, PERIOD, 1)
    assert entry["state"] == "submitted" and entry["created"] is True
    assert entry["signer"].startswith("SHA256:")
    assert bundle_of(hosted.engine, entry["id"]) == local_bundles.a_v1
    assert hosted.stored() == (1, 1)

    for who in (ORG_A, FUNDER):
        listed = hosted.returns(who)
        assert [(r["id"], r["state"]) for r in listed] == [(entry["id"], "submitted")]
    assert hosted.returns(ORG_B) == [] and hosted.returns(OTHER_FUNDER) == []

    again = hosted.send(ORG_A, local_bundles.a_v1, "application/octet-stream")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == entry["id"] and hosted.stored() == (1, 1)

    amended = hosted.send(ORG_A, local_bundles.a_v2)
    assert amended.status_code == 201, amended.text
    assert (amended.json()["version"], amended.json()["state"]) == (2, "amended")
    states = {r["version"]: r["state"] for r in hosted.returns(FUNDER)}
    assert states == {1: "superseded", 2: "amended"}
    assert [r["version"] for r in hosted.returns(ORG_A, state="superseded")] == [1]
    assert hosted.returns(ORG_A, period_label="FY2026-Q3") == []
    assert len(hosted.returns(FUNDER, rule_id=RULE_ID, period_label=PERIOD)) == 2


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("tampered", tampered, ("does not verify", "was altered")),
        ("forged", forged, ("does not verify", "signature")),
        ("garbage", lambda _: b"PK\x03\x04 certainly not a bundle", ("does not verify", "zip")),
    ],
)
def test_a_bundle_that_does_not_verify_is_refused_and_nothing_stored(
    hosted: Hosted, local_bundles: LocalBundles, name: str, make: Any, words: tuple[str, ...]
) -> None:
    _refusal(hosted.send(ORG_A, make(local_bundles.a_v1)), 422, *words)
    assert hosted.stored() == (0, 0), name


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("unsigned", unsigned, ("is not signed", "peerreport keys show")),
        ("signed by a key no one registered", resigned, ("is not registered for", "key add")),
    ],
)
def test_a_bundle_of_unverified_origin_is_refused_with_403_and_nothing_stored(
    hosted: Hosted, local_bundles: LocalBundles, name: str, make: Any, words: tuple[str, ...]
) -> None:
    answer = hosted.send(ORG_A, make(local_bundles.a_v1))
    _refusal(answer, 403, "UNVERIFIED ORIGIN", f"admin key add {ORG_A}", *words)
    body = answer.json()
    assert body["unverified_origin"] is True, name
    if name == "unsigned":
        assert body["fingerprint"] is None
    else:
        assert body["fingerprint"].startswith("SHA256:") and body["fingerprint"] in body["error"]
        assert body["fingerprint"] != local_bundles.keys[ORG_A]
    assert hosted.stored() == (0, 0), name


def test_a_bundle_signed_with_a_retired_key_is_refused(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    key = local_bundles.keys[ORG_A]
    assert hosted.send(ORG_A, local_bundles.a_v1).status_code == 201
    retire_key(hosted.engine, ORG_A, key)
    answer = hosted.send(ORG_A, local_bundles.a_v2)
    _refusal(answer, 403, "UNVERIFIED ORIGIN", key, "was retired on", "peerreport keys show")
    assert answer.json()["fingerprint"] == key
    assert hosted.stored() == (1, 1)


def test_another_organisations_bundle_is_refused(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    _refusal(hosted.send(ORG_A, local_bundles.b_v1), 422, f"{ORG_B}'s return", f"not {ORG_A}'s")
    assert hosted.stored() == (0, 0)
    assert hosted.send(ORG_B, local_bundles.b_v1).status_code == 201
    assert [r["organisation"] for r in hosted.returns(ORG_B)] == [ORG_B]
    assert hosted.returns(ORG_A) == [] and hosted.returns(FUNDER) == []  # B reports elsewhere
    assert [r["organisation"] for r in hosted.returns(OTHER_FUNDER)] == []  # not its rule file


def test_versions_must_arrive_in_order(hosted: Hosted, local_bundles: LocalBundles) -> None:
    _refusal(hosted.send(ORG_A, local_bundles.a_v2), 422, "version 2", "send version 1 first")
    assert hosted.stored() == (0, 0)
    assert hosted.send(ORG_A, local_bundles.a_v1).status_code == 201
    assert hosted.send(ORG_A, local_bundles.a_v2).status_code == 201


def test_bodies_that_are_no_bundle_are_refused_plainly(hosted: Hosted) -> None:
    _refusal(hosted.send(ORG_A, b""), 400, "empty")
    _refusal(hosted.send(ORG_A, b"{}", "application/json"), 415, "application/zip")
    _refusal(hosted.send(ORG_A, b"\x00" * 5000), 422, "does not verify")
    assert hosted.stored() == (0, 0)


def test_tokens_reach_only_their_own(hosted: Hosted, local_bundles: LocalBundles) -> None:
    client = hosted.client
    _refusal(hosted.send(FUNDER, local_bundles.a_v1), 403)  # a funder sends no bundles
    _refusal(client.get(COLLATION, headers=hosted.auth(ORG_A)), 403)  # nor does an org collate
    _refusal(client.get(COLLATION, headers=hosted.auth(OTHER_FUNDER)), 403)
    _refusal(client.get("/api/v1/returns"), 401)
    _refusal(client.get("/api/v1/returns", headers={"Authorization": "Bearer prt_nope"}), 401)
    token_id = token_scope(hosted.engine, hosted.tokens[ORG_A])
    assert token_id is not None
    revoke_token(hosted.engine, token_id.id)
    _refusal(hosted.send(ORG_A, local_bundles.a_v1), 401)
    _refusal(client.get("/api/v1/returns", headers=hosted.auth(ORG_A)), 401)
    assert hosted.stored() == (0, 0)


def test_refusals_on_api_addresses_are_json(hosted: Hosted) -> None:
    client, auth = hosted.client, hosted.auth(FUNDER)
    _refusal(client.get("/api/v1/nothing-here", headers=auth), 403)
    _refusal(client.get("/api/v1/returns", params={"state": "lost"}, headers=auth), 422, "state")
    _refusal(
        client.get(f"/api/v1/funders/{FUNDER}/collations/nz-peer-core/{PERIOD}", headers=auth),
        404,
        "has not published",
    )
    _refusal(
        client.get(f"/api/v1/funders/{FUNDER}/collations/{RULE_ID}/2026-13", headers=auth),
        422,
        "2026-13",
    )
    _refusal(
        client.get(f"/api/v1/funders/{FUNDER}/collations/{RULE_ID}/2026-05", headers=auth), 422
    )
    _refusal(client.get("/api/v1/returns", headers={**auth, "Host": "elsewhere"}), 421)
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert set(schema.json()["paths"]) == {
        "/api/v1/bundles",
        "/api/v1/returns",
        "/api/v1/funders/{funder}/collations/{rule_id}/{period_label}",
    }


def test_a_funder_collates_the_returns_it_accepted(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    auth = hosted.auth(FUNDER)
    empty = hosted.client.get(COLLATION, headers=auth)
    assert empty.status_code == 200, empty.text
    assert [(p["code"], p["status"]) for p in empty.json()["providers"]] == [(ORG_A, "missing")]

    entry = hosted.send(ORG_A, local_bundles.a_v1).json()
    waiting = hosted.client.get(COLLATION, headers=auth).json()
    row = waiting["providers"][0]
    assert row["status"] == "missing" and "only accepted returns are collated" in row["note"]

    record_event(hosted.engine, ORG_A, entry["id"], "accepted", actor="funder")
    done = hosted.client.get(COLLATION, headers=auth)
    assert done.status_code == 200, done.text
    collation = done.json()
    assert collation["rule_file"]["id"] == RULE_ID and collation["period"]["label"] == PERIOD
    row = collation["providers"][0]
    assert (row["code"], row["version"], row["signer"]) == (ORG_A, 1, entry["signer"])
    assert row["status"] in ("received", "late") and collation["rejected"] == []
    assert row["file"] == "harbour-adults_FY2026-Q4_HPC001_v1.bundle.zip"
    assert collation["figures"] and all(f["total"]["providers"] <= 1 for f in collation["figures"])
    assert [r["state"] for r in hosted.returns(FUNDER)] == ["accepted"]
