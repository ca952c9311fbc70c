"""The JSON API fuzzed from its own OpenAPI description: no request makes it answer with a 5xx.

schemathesis generates requests for every operation (bodies, query strings,
path parameters) that fit the description, sent with an organisation's token
and, separately, a funder's, to a server holding an accepted return.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from peerreport.ledger.lifecycle import record_event
from tests.hosted.helpers import FUNDER, ORG_A, RULE_ID, Hosted, LocalBundles

EXAMPLES = 25


@pytest.mark.parametrize("who", [ORG_A, FUNDER])
def test_no_request_makes_the_api_fail(
    hosted: Hosted, local_bundles: LocalBundles, who: str
) -> None:
    sent = hosted.send(ORG_A, local_bundles.a_v1)
    assert sent.status_code == 201, sent.text
    record_event(hosted.engine, ORG_A, sent.json()["id"], "accepted")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", hosted.client.app)
    # A funder's token reaches the collation only for its own funder and rule file: fix those
    # two, so the period label and the collation itself are what gets fuzzed.
    fixed = {"funder": FUNDER, "rule_id": RULE_ID} if who == FUNDER else None
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3

    for operation in operations:
        collation = "{funder}" in operation.path
        strategy = operation.as_strategy(path_parameters=fixed if collation else None)

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(headers=hosted.auth(who))
            statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error])

        run()

    assert not [s for s in statuses if s >= 500], statuses
    assert any(200 <= s < 300 for s in statuses), statuses  # the requests reached the routes
