"""Who may see or do what on a hosted server: every access decision, in one place.

Each route of the hosted application has exactly one `Rule` in `ROUTES`,
keyed by its method and path template; the guard (`peerreport.hosted.guard`)
looks the route up before it runs and calls `decide`. A route with no rule is
refused (and a test enumerates the application's routes, so a new route
without a rule fails it). Routes never check access themselves.

- A coordinator works on one of their organisations at a time (the one they
  chose); the coordinator's pages read only that organisation. They never see
  another organisation's records, returns or name.
- A funder user sees the returns filed to their funder's published rule files
  by their funder's providers, and never records.
- An auditor reads (never changes) the organisations assigned to them and the
  providers of the funders assigned to them.
- An admin manages organisations, funders, users and assignments; an admin
  does not read records or returns.
- API tokens belong to one organisation (submit its bundles, list its returns)
  or one funder (list returns filed to it, fetch collations).

Each allowed request also has a `Reach`: the organisations whose records and
returns the database shows it (`reach`). The guard hands it to every
transaction of the request, and PostgreSQL's row-level security hides every
other organisation's rows (`peerreport.store.row_security`), so a route that
forgot a check still cannot read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

ADMIN, COORDINATOR, FUNDER, AUDITOR = "admin", "coordinator", "funder", "auditor"
ORG_TOKEN, FUNDER_TOKEN, ANONYMOUS = "org-token", "funder-token", "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in account, an API token, or nobody."""

    role: str
    username: str = ""
    account_id: int | None = None
    orgs: frozenset[str] = field(default_factory=frozenset)
    funders: frozenset[str] = field(default_factory=frozenset)
    #: The organisation a coordinator chose to work on (one of `orgs`).
    current_org: str | None = None

    @property
    def signed_in(self) -> bool:
        """Whether this is a person with an account (not a token, not anonymous)."""
        return self.account_id is not None

    @property
    def working_org(self) -> str | None:
        """The organisation a coordinator's pages read: the chosen one, or their only one."""
        if self.role != COORDINATOR:
            return None
        if self.current_org in self.orgs:
            return self.current_org
        if len(self.orgs) == 1:
            return next(iter(self.orgs))
        return None


NOBODY_ASKING = Principal(ANONYMOUS)


class Facts(Protocol):
    """What a decision may need to look up (the guard answers from the database)."""

    def providers(self, funder: str) -> frozenset[str]:
        """The organisations that report to `funder`."""
        ...

    def rule_ids(self, funder: str) -> frozenset[str]:
        """The rule file ids `funder` has published."""
        ...

    def submission(self, ident: int) -> tuple[str, str] | None:
        """(organisation, rule id) of submitted return `ident`, or None."""
        ...


@dataclass(frozen=True)
class Rule:
    """Who may use a route, and what its path parameters must name."""

    name: str
    #: Roles (or token kinds) allowed at all; empty for public routes.
    roles: frozenset[str]
    #: Which path parameter is checked against the principal's scope, if any.
    scope: str | None = None
    description: str = ""

    @property
    def public(self) -> bool:
        """Whether anyone, signed in or not, may use the route."""
        return self.name == "anyone"


def _rule(name: str, roles: tuple[str, ...], scope: str | None, description: str) -> Rule:
    return Rule(name, frozenset(roles), scope, description)


ANYONE = _rule("anyone", (), None, "anyone, signed in or not")
NOBODY = _rule("nobody", ("-",), None, "no one on a hosted server (a local-only page)")
SIGNED_IN = _rule("signed-in", (ADMIN, COORDINATOR, FUNDER, AUDITOR), None, "any signed-in person")
COORDINATING = _rule(
    "coordinator", (COORDINATOR,), "working-org", "a coordinator, on their chosen organisation"
)
CHOOSING = _rule(
    "coordinator-choose",
    (COORDINATOR,),
    None,
    "a coordinator choosing one of their organisations (`may_work_on`)",
)
HOME = _rule(
    "home",
    (ADMIN, COORDINATOR, FUNDER, AUDITOR),
    "home",
    "any signed-in person: each role's own home",
)
FUNDING = _rule("funder", (FUNDER,), "funder", "a user of the funder in the address")
FUNDED_SUBMISSION = _rule(
    "funder-submission",
    (FUNDER,),
    "funder-submission",
    "a user of the funder, for a return filed to that funder's rule files by its providers",
)
FUNDER_ANY = _rule("funder-any", (FUNDER,), None, "a funder user (their funders are listed)")
AUDITING = _rule("auditor", (AUDITOR,), None, "an auditor")
AUDITED_ORG = _rule(
    "auditor-org", (AUDITOR,), "audited-org", "an auditor assigned the organisation"
)
AUDITED_SUBMISSION = _rule(
    "auditor-submission",
    (AUDITOR,),
    "audited-submission",
    "an auditor assigned the return's organisation (or its funder)",
)
ADMINISTERING = _rule("admin", (ADMIN,), None, "an admin")
API_ORG = _rule("api-org", (ORG_TOKEN,), None, "an organisation's API token")
API_FUNDER = _rule("api-funder", (FUNDER_TOKEN,), None, "a funder's API token")
API_EITHER = _rule(
    "api-any", (ORG_TOKEN, FUNDER_TOKEN), None, "an organisation's or funder's API token"
)
API_FUNDED = _rule(
    "api-funder-path", (FUNDER_TOKEN,), "funder", "the API token of the funder in the address"
)

#: Every route of the hosted application: (method, path template) -> rule.
ROUTES: dict[tuple[str, str], Rule] = {
    # Signing in and out, and static files.
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/static"): ANYONE,
    ("GET", "/review.css"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/choose"): CHOOSING,
    ("POST", "/choose"): CHOOSING,
    # The coordinator's pages (the local application's), on the chosen organisation.
    ("GET", "/"): HOME,
    ("GET", "/start"): COORDINATING,
    ("POST", "/start"): NOBODY,  # organisations are made by an admin on a hosted server
    ("GET", "/intake-workbook"): COORDINATING,
    ("GET", "/upload"): COORDINATING,
    ("POST", "/upload"): COORDINATING,
    ("GET", "/upload/{batch}/{name}"): COORDINATING,
    ("GET", "/records"): COORDINATING,
    ("GET", "/records/imports/{ident}"): COORDINATING,
    ("GET", "/records/activity"): COORDINATING,
    ("POST", "/records/activity/withdraw"): COORDINATING,
    ("GET", "/returns"): COORDINATING,
    ("GET", "/returns/{rule_id}"): COORDINATING,
    ("POST", "/returns/{rule_id}/add"): COORDINATING,
    ("GET", "/returns/{rule_id}/{period_label}"): COORDINATING,
    ("POST", "/returns/{rule_id}/{period_label}/submit"): COORDINATING,
    ("GET", "/returns/{rule_id}/{period_label}/submitted/{version}"): COORDINATING,
    ("GET", "/returns/{rule_id}/{period_label}/bundle/{version}"): COORDINATING,
    ("GET", "/returns/{rule_id}/{period_label}/copy/{fmt}"): COORDINATING,
    ("POST", "/returns/{rule_id}/{period_label}/reply"): COORDINATING,
    ("GET", "/bundles"): COORDINATING,
    ("POST", "/bundles"): COORDINATING,
    # The funder's pages: its dashboard, the returns filed to it, its rule files, collation.
    ("GET", "/funder"): FUNDER_ANY,
    ("GET", "/funder/{funder}"): FUNDING,
    ("GET", "/funder/{funder}/dashboard.xlsx"): FUNDING,
    ("GET", "/funder/{funder}/submissions/{ident}"): FUNDED_SUBMISSION,
    ("POST", "/funder/{funder}/submissions/{ident}/accept"): FUNDED_SUBMISSION,
    ("POST", "/funder/{funder}/submissions/{ident}/query"): FUNDED_SUBMISSION,
    ("GET", "/funder/{funder}/submissions/{ident}/bundle"): FUNDED_SUBMISSION,
    ("GET", "/funder/{funder}/rules"): FUNDING,
    ("POST", "/funder/{funder}/rules"): FUNDING,
    ("GET", "/funder/{funder}/collate/{rule_id}/{period_label}"): FUNDING,
    ("GET", "/funder/{funder}/collate/{rule_id}/{period_label}/workbook"): FUNDING,
    # The JSON API (peerreport.hosted.routes.api): programs with an API token.
    ("GET", "/api/openapi.json"): ANYONE,  # the API's description holds no data
    ("POST", "/api/v1/bundles"): API_ORG,
    ("GET", "/api/v1/returns"): API_EITHER,
    ("GET", "/api/v1/funders/{funder}/collations/{rule_id}/{period_label}"): API_FUNDED,
    # The auditor's desk: read-only, on the organisations assigned (directly or as providers
    # of an assigned funder); a submission by its ledger id, of one of those organisations.
    ("GET", "/audit"): AUDITING,
    ("GET", "/audit/orgs/{org}"): AUDITED_ORG,
    ("GET", "/audit/orgs/{org}/sample"): AUDITED_ORG,
    ("GET", "/audit/submissions/{ident}"): AUDITED_SUBMISSION,
    ("GET", "/audit/submissions/{ident}/trace"): AUDITED_SUBMISSION,
    ("GET", "/audit/submissions/{ident}/report"): AUDITED_SUBMISSION,
    # The admin's overview (changes are made with `peerreport admin` on the server).
    ("GET", "/admin"): ADMINISTERING,
}


@dataclass(frozen=True)
class Decision:
    """Whether a request may go on; if not, the status and a plain reason."""

    allowed: bool
    status: int = 200
    reason: str = ""
    #: The organisation the coordinator's pages work on, when the rule is one of theirs.
    org: str | None = None


SIGN_IN = "Sign in to use peerreport."
NOT_YOURS = "You do not have access to that page."
NO_RULE = "This page has no access rule, so no one may use it."
CHOOSE = "Choose the organisation to work on."


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of the route (`path` is its template, e.g. '/returns/{rule_id}')."""
    if method == "HEAD":
        method = "GET"
    return ROUTES.get((method, path))


def decide(
    principal: Principal,
    method: str,
    path: str,
    params: Mapping[str, str],
    facts: Facts,
) -> Decision:
    """May `principal` use the route `method path` with these path parameters?

    Refusals say 401 (sign in first), 403 (not yours) or 409 (a coordinator
    with several organisations must choose one).
    """
    rule = rule_for(method, path)
    if rule is None:
        return Decision(False, 403, NO_RULE)
    if rule.public:
        return Decision(True)
    if principal.role == ANONYMOUS:
        return Decision(False, 401, SIGN_IN)
    if principal.role not in rule.roles:
        return Decision(False, 403, NOT_YOURS)
    return _in_scope(rule, principal, params, facts)


def may_work_on(principal: Principal, org: str) -> bool:
    """Whether a coordinator may choose `org` to work on (the choose form's check)."""
    return principal.role == COORDINATOR and org in principal.orgs


def _in_scope(
    rule: Rule, principal: Principal, params: Mapping[str, str], facts: Facts
) -> Decision:
    yes, no = Decision(True), Decision(False, 403, NOT_YOURS)
    scope = rule.scope
    if scope is None:
        return yes
    if scope == "working-org":
        org = principal.working_org
        if org is None:
            return Decision(False, 409, CHOOSE)
        return Decision(True, org=org)
    if scope == "home":
        if principal.role != COORDINATOR:
            return yes
        org = principal.working_org
        return Decision(True, org=org) if org is not None else Decision(False, 409, CHOOSE)
    if scope == "funder":
        return yes if params.get("funder") in principal.funders else no
    if scope == "funder-submission":
        funder = params.get("funder", "")
        if funder not in principal.funders:
            return no
        found = _submission(facts, params)
        if found is None:
            return no
        org, rule_id = found
        filed_here = org in facts.providers(funder) and rule_id in facts.rule_ids(funder)
        return yes if filed_here else no
    if scope == "audited-org":
        return yes if audits(principal, params.get("org", ""), facts) else no
    if scope == "audited-submission":
        found = _submission(facts, params)
        return yes if found is not None and audits(principal, found[0], facts) else no
    return no


@dataclass(frozen=True)
class Reach:
    """The organisations whose rows one request may read or write, by kind of row."""

    #: Whose records (and their revisions and imports).
    records: frozenset[str] = frozenset()
    #: Whose submitted returns (their events, hash chain and bundles).
    returns: frozenset[str] = frozenset()


NO_REACH = Reach()


def reach(principal: Principal, decision: Decision, facts: Facts) -> Reach:
    """What the database shows a request `decide` allowed: no more than the role sees.

    A coordinator: the organisation they work on, both kinds. A funder (user or
    token): the returns of its providers, no records. An auditor: both kinds,
    of the organisations assigned and the providers of the funders assigned.
    An organisation's token: its own. An admin, or nobody signed in: nothing.
    """
    role = principal.role
    if role == COORDINATOR:
        org = decision.org or principal.working_org
        return Reach(frozenset({org}), frozenset({org})) if org else NO_REACH
    if role == ORG_TOKEN:
        return Reach(principal.orgs, principal.orgs)
    funded = frozenset(org for funder in principal.funders for org in facts.providers(funder))
    if role in (FUNDER, FUNDER_TOKEN):
        return Reach(returns=funded)
    if role == AUDITOR:
        audited = audited_orgs(principal, facts)
        return Reach(audited, audited)
    return NO_REACH


def audits(principal: Principal, org: str, facts: Facts) -> bool:
    """Whether an auditor is assigned `org` (directly, or as a provider of an assigned funder)."""
    if principal.role != AUDITOR:
        return False
    if org in principal.orgs:
        return True
    return any(org in facts.providers(funder) for funder in principal.funders)


def audited_orgs(principal: Principal, facts: Facts) -> frozenset[str]:
    """Every organisation an auditor is assigned (what `audits` allows), for their desk's list."""
    if principal.role != AUDITOR:
        return frozenset()
    providers = (org for funder in principal.funders for org in facts.providers(funder))
    return frozenset({*principal.orgs, *providers})


def _submission(facts: Facts, params: Mapping[str, str]) -> tuple[str, str] | None:
    ident = params.get("ident", "")
    if not ident.isdigit() or len(ident) > 12:
        return None
    return facts.submission(int(ident))


__all__ = [
    "ROUTES",
    "Decision",
    "Principal",
    "Reach",
    "Rule",
    "audited_orgs",
    "audits",
    "decide",
    "may_work_on",
    "reach",
    "rule_for",
]
