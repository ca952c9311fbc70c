"""Accounts: argon2 hashes, refusals that give nothing away, lockout, sessions and tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, select

from peerreport.errors import UsageError
from peerreport.hosted import accounts
from peerreport.hosted.accounts import (
    LoginRefused,
    account_by_id,
    authenticate,
    create_account,
    end_session,
    end_sessions_for,
    end_stale_sessions,
    issue_token,
    revoke_token,
    session_account,
    set_current_org,
    set_disabled,
    set_password,
    start_session,
    token_scope,
    tokens,
)
from peerreport.store.database import open_engine
from peerreport.store.hosted_schema import account, api_token, funder, web_session
from peerreport.store.schema import organisation

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
MINUTE = dt.timedelta(minutes=1)


def _hash_of(engine: Engine, username: str) -> str:
    with engine.connect() as conn:
        query = select(account.c.password_hash).where(account.c.username == username)
        return str(conn.execute(query).scalar_one())


def test_passwords_are_kept_as_argon2id_hashes_and_usernames_lowercased(engine: Engine) -> None:
    made = create_account(engine, "Aroha.Smith@example.org", PASSWORD, "coordinator", now=NOW)
    assert made.username == "aroha.smith@example.org"
    assert made.display_name == "aroha.smith@example.org"
    stored = _hash_of(engine, made.username)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert authenticate(engine, "AROHA.SMITH@example.org", PASSWORD, NOW) == made
    assert account_by_id(engine, made.id) == made


def test_production_hashing_uses_argon2s_recommended_defaults() -> None:
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from tests.hosted.conftest import PRODUCTION_HASHER

    assert PRODUCTION_HASHER is not accounts.HASHER, "tests hash cheaply"
    assert PRODUCTION_HASHER.time_cost == RFC_9106_LOW_MEMORY.time_cost
    assert PRODUCTION_HASHER.memory_cost == RFC_9106_LOW_MEMORY.memory_cost
    assert PRODUCTION_HASHER.parallelism == RFC_9106_LOW_MEMORY.parallelism


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("ab", PASSWORD, "admin", "3-120 letters"),
        ("has space", PASSWORD, "admin", "3-120 letters"),
        ("x" * 121, PASSWORD, "admin", "3-120 letters"),
        ("someone", "short pass", "admin", "at least 12 characters"),
        ("someone", "a" * 20, "admin", "one character repeated"),
        ("someone", PASSWORD, "superuser", "is not one of: admin, coordinator, funder, auditor"),
    ],
)
def test_bad_usernames_passwords_and_roles_are_refused_plainly(
    username: str, password: str, role: str, message: str
) -> None:
    unused = open_engine("sqlite://")  # refused before the database is asked anything
    with pytest.raises(UsageError, match=message):
        create_account(unused, username, password, role)


def test_usernames_are_unique_whatever_their_case(engine: Engine) -> None:
    create_account(engine, "mere", PASSWORD, "funder")
    with pytest.raises(UsageError, match="already an account 'mere'"):
        create_account(engine, "MERE", PASSWORD, "auditor")


def test_unknown_username_and_wrong_password_are_refused_in_the_same_words(
    engine: Engine,
) -> None:
    create_account(engine, "tama", PASSWORD, "coordinator")
    with pytest.raises(LoginRefused) as unknown:
        authenticate(engine, "nobody", PASSWORD, NOW)
    with pytest.raises(LoginRefused) as wrong:
        authenticate(engine, "tama", "not the password", NOW)
    assert str(unknown.value) == str(wrong.value) == "wrong username or password"


def test_unknown_usernames_are_checked_against_a_hash_too(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts._verifies
    monkeypatch.setattr(accounts, "_verifies", lambda h, p: checked.append(h) or real(h, p))
    with pytest.raises(LoginRefused):
        authenticate(engine, "nobody", PASSWORD, NOW)
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")


def test_an_account_locks_after_repeated_failures_and_unlocks_after_the_lockout(
    engine: Engine,
) -> None:
    create_account(engine, "tama", PASSWORD, "coordinator")
    lockout = dt.timedelta(minutes=15)
    for attempt in range(2):
        with pytest.raises(LoginRefused, match="wrong username or password"):
            authenticate(engine, "tama", f"wrong {attempt}", NOW, attempts=3, lockout=lockout)
    with pytest.raises(LoginRefused, match=r"locked .* try again in 15 minutes"):
        authenticate(engine, "tama", "wrong 3", NOW, attempts=3, lockout=lockout)
    # Locked: the right password is refused too, in words that do not say it was right.
    later = NOW + dt.timedelta(minutes=10, seconds=30)
    with pytest.raises(LoginRefused) as refused:
        authenticate(engine, "tama", PASSWORD, later, attempts=3, lockout=lockout)
    assert "try again in 5 minutes" in str(refused.value)
    with pytest.raises(LoginRefused, match="locked"):
        authenticate(engine, "tama", "wrong 4", later, attempts=3, lockout=lockout)
    released = NOW + lockout + MINUTE
    person = authenticate(engine, "tama", PASSWORD, released, attempts=3, lockout=lockout)
    assert person.locked_until is None


def test_a_success_resets_the_count_of_failures(engine: Engine) -> None:
    create_account(engine, "tama", PASSWORD, "coordinator")
    for _ in range(2):
        for wrong in ("wrong one", "wrong two"):
            with pytest.raises(LoginRefused, match="wrong username"):
                authenticate(engine, "tama", wrong, NOW, attempts=3)
        authenticate(engine, "tama", PASSWORD, NOW, attempts=3)


def test_a_new_password_lifts_the_lockout_and_ends_sessions(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    session = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    for wrong in ("wrong one", "wrong two"):
        with pytest.raises(LoginRefused):
            authenticate(engine, "tama", wrong, NOW, attempts=2)
    set_password(engine, "Tama", "another long password", now=NOW)
    assert session_account(engine, session, NOW, dt.timedelta(hours=1)) is None
    with pytest.raises(LoginRefused):
        authenticate(engine, "tama", PASSWORD, NOW)
    assert authenticate(engine, "tama", "another long password", NOW).id == made.id
    with pytest.raises(UsageError, match="no account 'nobody'"):
        set_password(engine, "nobody", "another long password")


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    session = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    set_disabled(engine, "tama", True)
    with pytest.raises(LoginRefused, match="disabled"):
        authenticate(engine, "tama", PASSWORD, NOW)
    with pytest.raises(LoginRefused, match="wrong username or password"):
        authenticate(engine, "tama", "not the password", NOW)
    assert session_account(engine, session, NOW, dt.timedelta(hours=1)) is None
    set_disabled(engine, "tama", False)
    assert authenticate(engine, "tama", PASSWORD, NOW).disabled is False


def test_a_hash_made_with_older_parameters_is_remade_at_login(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_account(engine, "tama", PASSWORD, "coordinator")
    before = _hash_of(engine, "tama")
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", older)
    authenticate(engine, "tama", PASSWORD, NOW)
    after = _hash_of(engine, "tama")
    assert after != before and "m=16,t=2" in after
    authenticate(engine, "tama", PASSWORD, NOW)
    assert _hash_of(engine, "tama") == after


def test_only_the_sha256_of_a_session_id_is_stored(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    raw = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    assert len(raw) >= 40
    with engine.connect() as conn:
        stored = conn.execute(select(web_session.c.id_hash)).scalar_one()
    assert raw not in stored and len(stored) == 64
    found = session_account(engine, raw, NOW, dt.timedelta(hours=1))
    assert found is not None
    session, person = found
    assert person == made and session.id_hash == stored
    assert session.expires_at == NOW + dt.timedelta(hours=8)
    assert session_account(engine, "not a session", NOW, dt.timedelta(hours=1)) is None
    assert session_account(engine, "", NOW, dt.timedelta(hours=1)) is None


def test_a_session_ends_at_its_fixed_end_however_busy(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    raw = start_session(engine, made.id, NOW, dt.timedelta(hours=2))
    idle = dt.timedelta(minutes=30)
    moment = NOW
    while moment < NOW + dt.timedelta(hours=2):
        assert session_account(engine, raw, moment, idle) is not None
        moment += dt.timedelta(minutes=20)
    assert session_account(engine, raw, NOW + dt.timedelta(hours=2), idle) is None
    assert session_account(engine, raw, NOW, idle) is None, "an ended session is forgotten"


def test_a_session_ends_when_left_unused(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    raw = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    idle = dt.timedelta(minutes=30)
    assert session_account(engine, raw, NOW + dt.timedelta(minutes=29), idle) is not None
    assert session_account(engine, raw, NOW + dt.timedelta(minutes=58), idle) is not None
    assert session_account(engine, raw, NOW + dt.timedelta(minutes=89), idle) is None


def test_last_seen_is_written_at_most_once_a_minute(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    raw = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    idle = dt.timedelta(hours=1)

    def seen() -> dt.datetime:
        with engine.connect() as conn:
            value = conn.execute(select(web_session.c.last_seen_at)).scalar_one()
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    session_account(engine, raw, NOW + dt.timedelta(seconds=30), idle)
    assert seen() == NOW
    session_account(engine, raw, NOW + dt.timedelta(seconds=90), idle)
    assert seen() == NOW + dt.timedelta(seconds=90)


def test_sessions_end_one_by_one_or_all_for_an_account(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    other = create_account(engine, "mere", PASSWORD, "funder")
    life, idle = dt.timedelta(hours=8), dt.timedelta(hours=1)
    first, second = (start_session(engine, made.id, NOW, life) for _ in range(2))
    theirs = start_session(engine, other.id, NOW, life)
    end_session(engine, first)
    assert session_account(engine, first, NOW, idle) is None
    assert session_account(engine, second, NOW, idle) is not None
    assert end_sessions_for(engine, made.id) == 1
    assert session_account(engine, second, NOW, idle) is None
    assert session_account(engine, theirs, NOW, idle) is not None
    assert end_stale_sessions(engine, NOW + dt.timedelta(hours=2), idle) == 1


def test_the_session_remembers_its_current_organisation(engine: Engine) -> None:
    made = create_account(engine, "tama", PASSWORD, "coordinator")
    raw = start_session(engine, made.id, NOW, dt.timedelta(hours=8))
    set_current_org(engine, raw, "HPC001")
    found = session_account(engine, raw, NOW, dt.timedelta(hours=1))
    assert found is not None and found[0].current_org == "HPC001"


def test_api_tokens_act_for_one_scope_until_revoked(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(organisation).values(org="HPC001", name="Harbour", created_at=NOW))
        conn.execute(insert(funder).values(code="TWO", name="Te Whatu Ora", created_at=NOW))
    raw = issue_token(engine, "org", "HPC001", "filing robot", now=NOW)
    other = issue_token(engine, "funder", "TWO", "dashboard export", now=NOW)
    assert raw.startswith("prt_") and len(raw) > 40
    with engine.connect() as conn:
        hashes = set(conn.execute(select(api_token.c.token_hash)).scalars())
    assert raw not in hashes and all(len(h) == 64 for h in hashes)
    scope = token_scope(engine, raw)
    assert scope is not None and (scope.kind, scope.code) == ("org", "HPC001")
    assert token_scope(engine, "prt_unknown") is None
    assert token_scope(engine, raw[4:]) is None
    revoke_token(engine, scope.id, now=NOW)
    revoke_token(engine, scope.id, now=NOW)
    assert token_scope(engine, raw) is None
    assert token_scope(engine, other) is not None
    listed = tokens(engine)
    assert [(t.kind, t.code, t.label, t.revoked_at) for t in listed] == [
        ("org", "HPC001", "filing robot", NOW),
        ("funder", "TWO", "dashboard export", None),
    ]


def test_tokens_need_a_known_scope_and_a_label(engine: Engine) -> None:
    with pytest.raises(UsageError, match="no organisation 'NOPE'"):
        issue_token(engine, "org", "NOPE", "robot")
    with pytest.raises(UsageError, match="'org' or a 'funder'"):
        issue_token(engine, "account", "NOPE", "robot")
    with engine.begin() as conn:
        conn.execute(insert(funder).values(code="TWO", name="Te Whatu Ora", created_at=NOW))
    with pytest.raises(UsageError, match="label"):
        issue_token(engine, "funder", "TWO", "  ")
    with pytest.raises(UsageError, match="no API token 99"):
        revoke_token(engine, 99)
