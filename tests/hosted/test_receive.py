"""receive_bundle, the step the API and the coordinator's upload page share."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from peerreport.hosted.receive import BundleRefused, receive_bundle
from peerreport.store.hosted_schema import received_bundle
from peerreport.store.times import as_utc
from tests.hosted.helpers import ORG_A, ORG_B, Hosted, LocalBundles

WHEN = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def test_a_received_bundle_is_recorded_as_it_came(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    got = receive_bundle(hosted.engine, ORG_A, local_bundles.a_v1, "upload", WHEN)
    assert got.created and got.via == "upload" and got.submission.version == 1
    assert got.submission.bundle_sha256 == got.to_dict()["bundle_sha256"]
    with hosted.engine.connect() as conn:
        row = conn.execute(select(received_bundle)).one()
    assert (row.via, bytes(row.data)) == ("upload", local_bundles.a_v1)
    assert as_utc(row.received_at) == WHEN
    again = receive_bundle(hosted.engine, ORG_A, local_bundles.a_v1, "api")
    assert not again.created and again.submission.id == got.submission.id


def test_refusals_are_usage_errors_naming_the_problem(
    hosted: Hosted, local_bundles: LocalBundles
) -> None:
    with pytest.raises(BundleRefused, match=f"not {ORG_B}'s"):
        receive_bundle(hosted.engine, ORG_B, local_bundles.a_v1, "api")
    with pytest.raises(BundleRefused, match="send version 1 first"):
        receive_bundle(hosted.engine, ORG_A, local_bundles.a_v2, "api")
    assert hosted.stored() == (0, 0)
