"""`access.reach`: what the database shows a request, by role: never more than the role sees."""

from __future__ import annotations

import pytest

from peerreport.hosted import access
from peerreport.hosted.access import Decision, Principal, Reach

PROVIDERS = {"FUND": frozenset({"P1", "P2"}), "OTHER": frozenset({"P3"})}


class Facts:
    """Two funders' providers."""

    def providers(self, funder: str) -> frozenset[str]:
        return PROVIDERS.get(funder, frozenset())

    def rule_ids(self, funder: str) -> frozenset[str]:
        return frozenset()

    def submission(self, ident: int) -> tuple[str, str] | None:
        return None


ALLOWED = Decision(True)


def _reach(principal: Principal, decision: Decision = ALLOWED) -> Reach:
    return access.reach(principal, decision, Facts())


def test_a_coordinator_reaches_the_organisation_they_work_on_and_no_other() -> None:
    two = Principal(access.COORDINATOR, "c", 1, frozenset({"A", "B"}), current_org="B")
    assert _reach(two) == Reach(frozenset({"B"}), frozenset({"B"}))
    assert _reach(two, Decision(True, org="B")) == Reach(frozenset({"B"}), frozenset({"B"}))
    undecided = Principal(access.COORDINATOR, "c", 1, frozenset({"A", "B"}))
    assert _reach(undecided) == access.NO_REACH
    only = Principal(access.COORDINATOR, "c", 1, frozenset({"A"}))
    assert _reach(only) == Reach(frozenset({"A"}), frozenset({"A"}))


@pytest.mark.parametrize("role", [access.FUNDER, access.FUNDER_TOKEN])
def test_a_funder_reaches_its_providers_returns_and_no_records(role: str) -> None:
    funder = Principal(role, funders=frozenset({"FUND", "OTHER"}))
    assert _reach(funder) == Reach(frozenset(), frozenset({"P1", "P2", "P3"}))


def test_an_auditor_reaches_the_organisations_assigned_and_their_funders_providers() -> None:
    auditor = Principal(access.AUDITOR, "a", 2, frozenset({"X"}), frozenset({"OTHER"}))
    assert _reach(auditor) == Reach(frozenset({"X", "P3"}), frozenset({"X", "P3"}))


def test_an_organisations_token_reaches_its_own() -> None:
    token = Principal(access.ORG_TOKEN, orgs=frozenset({"A"}))
    assert _reach(token) == Reach(frozenset({"A"}), frozenset({"A"}))


@pytest.mark.parametrize("role", [access.ADMIN, access.ANONYMOUS])
def test_an_admin_or_nobody_reaches_nothing(role: str) -> None:
    someone = Principal(role, "x", 3, frozenset({"A"}), frozenset({"FUND"}))
    assert _reach(someone) == access.NO_REACH
