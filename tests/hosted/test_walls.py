"""The walled engine: its connections run as the web role, each transaction set to the reach."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import anyio
import pytest
from sqlalchemy import Engine, make_url, text
from starlette.concurrency import run_in_threadpool

from peerreport.errors import DatabaseError
from peerreport.hosted import walls
from peerreport.hosted.access import NO_REACH, Reach
from peerreport.store import row_security
from peerreport.store.database import current_revision, head_revision, open_engine, upgrade
from peerreport.store.records import prepare_period_reads, refresh_statistics
from tests.conftest import POSTGRES_URL, skip_without_postgres

REACH = Reach(frozenset({"AAA001", "BBB002"}), frozenset({"CCC003"}))
SETTINGS = text(
    "SELECT current_user, current_setting('peerreport.record_orgs', true), "
    "current_setting('peerreport.return_orgs', true)"
)


@pytest.fixture
def owner(postgres_engine: Engine) -> Engine:
    """The owner's engine on a migrated PostgreSQL schema."""
    return postgres_engine


@pytest.fixture
def walled(owner: Engine) -> Iterator[Engine]:
    engine = walls.walled_engine(owner)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_every_transaction_is_set_to_the_reach_of_the_moment(walled: Engine) -> None:
    with walls.reaching(REACH):
        with walled.connect() as conn:  # autobegin
            assert tuple(conn.execute(SETTINGS).one()) == (
                row_security.WEB_ROLE,
                "AAA001,BBB002",
                "CCC003",
            )
            conn.commit()
            with walls.reaching(NO_REACH):
                # The next transaction on the same connection is set afresh.
                assert tuple(conn.execute(SETTINGS).one())[1:] == ("", "")
        with walled.begin() as conn:
            assert tuple(conn.execute(SETTINGS).one())[1:] == ("AAA001,BBB002", "CCC003")
    with walled.connect() as conn:
        assert tuple(conn.execute(SETTINGS).one())[1:] == ("", "")


@pytest.mark.postgres
def test_the_settings_last_only_for_their_transaction(walled: Engine) -> None:
    with walled.connect() as conn:
        with walls.reaching(REACH):
            conn.execute(text("SELECT 1"))
        conn.rollback()
        # Without the begin event (raw SQL on the same connection, after the transaction).
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor:
            cursor.execute("SELECT current_setting('peerreport.record_orgs', true)")
            assert cursor.fetchone()[0] in ("", None)
        dbapi.rollback()


@pytest.mark.postgres
def test_the_web_role_may_read_a_period_without_jit_for_its_transaction(walled: Engine) -> None:
    """A build on the hosted server turns JIT off with SET LOCAL, which the walled role may."""
    setting = text("SELECT current_user, current_setting('jit')")
    with walls.reaching(REACH), walled.connect() as conn:
        default = conn.execute(setting).one()[1]
        prepare_period_reads(conn)
        assert tuple(conn.execute(setting).one()) == (row_security.WEB_ROLE, "off")
        conn.rollback()
        assert conn.execute(setting).one()[1] == default


def test_a_sync_route_sees_the_reach_set_before_it_was_handed_to_a_thread() -> None:
    async def serve() -> Reach:
        with walls.reaching(REACH):
            return await run_in_threadpool(walls.current_reach.get)

    seen: list[Reach] = []
    # In a thread of its own: another test may have left an event loop in this one.
    loop = threading.Thread(target=lambda: seen.append(anyio.run(serve)))
    loop.start()
    loop.join()
    assert seen == [REACH]


def test_on_sqlite_the_walled_engine_is_the_owners(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(engine)
    assert walls.walled_engine(engine) is engine
    engine.dispose()


@pytest.mark.postgres
def test_the_grants_are_made_again_when_they_are_missing(owner: Engine) -> None:
    with owner.begin() as conn:
        conn.execute(text(row_security.REVOKE_WEB_ROLE))
    engine = walls.walled_engine(owner)
    with walls.reaching(REACH), engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submitted_return")).scalar_one() == 0
    engine.dispose()


@pytest.mark.postgres
def test_a_missing_role_is_a_plain_refusal(owner: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_security, "WEB_ROLE", "peerreport_no_such_role")
    with pytest.raises(DatabaseError, match="role peerreport_no_such_role, and it is missing"):
        walls.walled_engine(owner)


@pytest.mark.postgres
def test_the_walled_engine_refreshes_the_record_tables_statistics(
    walled: Engine, owner: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = text("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'activity'::regclass")
    with owner.connect() as conn:
        before = conn.execute(last).scalar_one()
    refresh_statistics(walled)  # as the web role, through the owner's function
    with owner.connect() as conn:
        after = conn.execute(last).scalar_one()
    assert after is not None and after != before
    # A role that may neither analyze nor ask leaves it to autovacuum, without failing.
    monkeypatch.setattr(row_security, "ANALYZE_FUNCTION", "peerreport_no_such_function")
    refresh_statistics(walled)


@pytest.fixture
def owner_without_the_role() -> Iterator[Engine]:
    """A migrated schema owned by a user who may neither make roles nor use the web role."""
    skip_without_postgres()
    assert POSTGRES_URL is not None
    name = "t_owner_" + uuid.uuid4().hex[:10]
    admin = open_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
    url = make_url(POSTGRES_URL).set(username=name).render_as_string(hide_password=False)
    separator = "&" if "?" in url else "?"
    engine = open_engine(f"{url}{separator}options={quote(f'-csearch_path={name}')}")
    try:
        upgrade(engine)  # 0005 gives notice and goes on: the role is the administrator's to grant
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{name}"'))
        admin.dispose()


@pytest.mark.postgres
def test_an_owner_who_may_not_use_the_role_is_told_what_to_ask_for(
    owner_without_the_role: Engine,
) -> None:
    assert current_revision(owner_without_the_role) == head_revision()
    with pytest.raises(DatabaseError, match="it is not granted to t_owner_") as refused:
        walls.walled_engine(owner_without_the_role)
    assert "GRANT peerreport_web TO t_owner_" in str(refused.value)
    # The administrator grants it; the server then grants the role its tables itself.
    owner = owner_without_the_role.url.username
    assert POSTGRES_URL is not None
    admin = open_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'GRANT {row_security.WEB_ROLE} TO "{owner}"'))
    admin.dispose()
    walled = walls.walled_engine(owner_without_the_role)
    with walls.reaching(REACH), walled.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM activity")).scalar_one() == 0
        assert conn.execute(text("SELECT current_user")).scalar_one() == row_security.WEB_ROLE
    walled.dispose()


@pytest.mark.postgres
def test_a_build_s_second_connection_is_walled_to_the_same_reach(
    owner: Engine, walled: Engine
) -> None:
    """The records digest is read beside the figures on another connection, in a thread: it
    must see what the request may see, no more and no less."""
    import datetime as dt

    from peerreport.returns.record_set import digest_beside, records_digest
    from peerreport.store.records import ensure_organisation
    from peerreport.store.schema import activity

    day = dt.date(2026, 8, 1)
    with owner.begin() as conn:
        for org in ("AAA001", "ZZZ009"):
            ensure_organisation(conn, org, org)
            conn.execute(
                activity.insert(),
                {
                    "org": org,
                    "activity_id": "A1",
                    "date": day,
                    "kind": "group",
                    "attendance": 3,
                    "member_led": False,
                    "co_facilitated": False,
                    "community_session": False,
                    "digest": f"{org.lower()}digest",
                    "valid_from": 1,
                    "valid_to": None,
                },
            )
        expected = records_digest(conn, "AAA001", day, day, 1)
    assert expected[1]["activities"] == 1
    for reach, org, want in (
        (REACH, "AAA001", expected),  # its own organisation: everything the owner sees
        (REACH, "ZZZ009", None),  # another: nothing
        (NO_REACH, "AAA001", None),  # no request: nothing
    ):
        with walls.reaching(reach), walled.connect() as conn:
            got = digest_beside(walled, org, day, day, 1)(conn)
        if want is None:
            assert got[1]["activities"] == 0
        else:
            assert got == want
