"""The hosted server's register of signing keys (`hosted.keys`, `peerreport admin key`), on both
databases: what is registered, what is refused, and what `receive_bundle` then takes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.bundle import new_key_pair
from peerreport.errors import UsageError
from peerreport.hosted.keys import (
    add_key,
    keys_of,
    origin_problem,
    register_server_key,
    retire_key,
    trusted_keys,
)
from peerreport.hosted.receive import UnverifiedOrigin, receive_bundle
from peerreport.store.database import open_engine
from tests.hosted.helpers import ORG_A, ORG_B, Hosted, LocalBundles, populate, unsigned
from tests.hosted.test_admin_cmd import _engine, _ok, _refused, server  # noqa: F401
from tests.migrated import migrate

WHEN = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
KEY = "SHA256:" + "A" * 43
OTHER = "SHA256:" + "B" * 42 + "+"


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    migrate(empty_db_url)
    found = open_engine(empty_db_url)
    populate(found)
    yield found
    found.dispose()


def test_a_key_is_registered_once_for_one_organisation(engine: Engine) -> None:
    key, created = add_key(engine, ORG_A, KEY, now=WHEN)
    assert created and (key.org, key.state, key.added_by, key.added_at) == (
        ORG_A,
        "active",
        "admin",
        WHEN,
    )
    again, created = add_key(engine, ORG_A, f"  {KEY} ")
    assert not created and again.id == key.id
    with pytest.raises(UsageError, match=f"registered for {ORG_A}, not {ORG_B}"):
        add_key(engine, ORG_B, KEY)
    with pytest.raises(UsageError, match="no organisation 'NOPE'"):
        add_key(engine, "NOPE", OTHER)
    for bad in ("SHA256:short", "MD5:" + "A" * 43, "SHA256:" + "A" * 42 + "=", ""):
        with pytest.raises(UsageError, match="not a key fingerprint"):
            add_key(engine, ORG_A, bad)
    with pytest.raises(UsageError, match="added_by"):
        add_key(engine, ORG_A, OTHER, added_by="someone")
    assert [k.fingerprint for k in keys_of(engine)] == [KEY]


def test_retired_and_revoked_keys_are_refused_and_never_taken_back(engine: Engine) -> None:
    add_key(engine, ORG_A, KEY)
    add_key(engine, ORG_A, OTHER)
    assert origin_problem(engine, ORG_A, KEY) is None
    assert trusted_keys(engine, ORG_A) == {KEY, OTHER}

    retired = retire_key(engine, ORG_A, KEY, now=WHEN)
    assert (retired.state, retired.retired_at, retired.revoked_at) == ("retired", WHEN, None)
    problem = origin_problem(engine, ORG_A, KEY)
    assert problem is not None
    assert problem.startswith("UNVERIFIED ORIGIN") and "was retired on 01 December 2026" in problem
    assert trusted_keys(engine, ORG_A) == {KEY, OTHER}  # what it signed before is still A's
    with pytest.raises(UsageError, match="never taken back"):
        add_key(engine, ORG_A, KEY)

    revoked = retire_key(engine, ORG_A, OTHER, revoked=True, now=WHEN)
    assert revoked.state == "revoked" and revoked.retired_at == WHEN
    assert trusted_keys(engine, ORG_A) == {KEY}
    assert "was revoked on" in (origin_problem(engine, ORG_A, OTHER) or "")
    assert retire_key(engine, ORG_A, OTHER).state == "revoked"  # nothing undone
    with pytest.raises(UsageError, match=f"{ORG_B} has no registered key"):
        retire_key(engine, ORG_B, KEY)


def test_the_origin_problem_names_the_key_and_what_to_do(engine: Engine) -> None:
    add_key(engine, ORG_A, KEY)
    unsigned_problem = origin_problem(engine, ORG_B, None)
    assert unsigned_problem is not None and "is not signed" in unsigned_problem
    unknown = origin_problem(engine, ORG_B, OTHER)
    assert unknown is not None
    assert f"{OTHER}, which is not registered for {ORG_B}" in unknown
    assert "peerreport keys show" in unknown and f"admin key add {ORG_B} FINGERPRINT" in unknown
    theirs = origin_problem(engine, ORG_B, KEY)
    assert theirs is not None and f"registered for {ORG_A}, not {ORG_B}" in theirs


def test_receive_refuses_an_unregistered_key_and_stores_nothing(
    empty_db_url: str, local_bundles: LocalBundles
) -> None:
    migrate(empty_db_url)
    engine = open_engine(empty_db_url)
    populate(engine)
    with pytest.raises(UnverifiedOrigin, match="UNVERIFIED ORIGIN") as refused:
        receive_bundle(engine, ORG_A, local_bundles.a_v1, "api")
    assert refused.value.fingerprint == local_bundles.keys[ORG_A]
    assert local_bundles.keys[ORG_A] in str(refused.value)
    with pytest.raises(UnverifiedOrigin) as bare:
        receive_bundle(engine, ORG_A, unsigned(local_bundles.a_v1), "api")
    assert bare.value.fingerprint is None
    # A's key registered for B: B's install did not sign A's bundle, and A's own key is not B's.
    add_key(engine, ORG_B, local_bundles.keys[ORG_A])
    with pytest.raises(UnverifiedOrigin, match=f"registered for {ORG_B}, not {ORG_A}"):
        receive_bundle(engine, ORG_A, local_bundles.a_v1, "api")
    from peerreport.ledger import submissions

    assert submissions(engine) == []
    engine.dispose()


def test_the_servers_own_desk_key_is_registered_and_its_bundles_taken(
    hosted: Hosted, tmp_path: Path
) -> None:
    from peerreport.hosted.orgs import ensure_org_workspace

    workspace = ensure_org_workspace(hosted.config, ORG_A, "Harbour Peer Collective")
    own = workspace.own_fingerprint()
    assert own is not None
    assert register_server_key(hosted.engine, ORG_A, workspace.root) == own
    assert register_server_key(hosted.engine, ORG_A, workspace.root) == own  # once
    [key] = keys_of(hosted.engine, ORG_A)
    assert (key.fingerprint, key.added_by) == (own, "server")
    assert key.public_key is not None and "PUBLIC KEY" in key.public_key
    assert origin_problem(hosted.engine, ORG_A, own) is None
    assert register_server_key(hosted.engine, ORG_A, tmp_path / "nothing") is None


def test_admin_key_commands(server: Path, tmp_path: Path) -> None:  # noqa: F811
    _ok(server, "init", "--admin", "ops", input="a long enough password\n" * 2)
    out = _ok(server, "org", "add", "HPC001", "Harbour Peer Collective")
    engine = _engine(server)
    [own] = keys_of(engine, "HPC001")
    assert own.added_by == "server" and f"key:        {own.fingerprint}" in out
    pair = new_key_pair(tmp_path / "provider")

    out = _ok(server, "key", "add", "HPC001", "--public-key", str(pair.public_path))
    assert f"Registered key {pair.fingerprint} for HPC001" in out
    assert "already registered" in _ok(server, "key", "add", "HPC001", pair.fingerprint)
    [_, added] = keys_of(engine, "HPC001")
    assert added.public_key == pair.public_path.read_text("ascii")

    assert "PRIVATE key" in _refused(
        server, "key", "add", "HPC001", "--public-key", str(pair.private_path)
    )
    assert "one of them" in _refused(server, "key", "add", "HPC001")
    assert "not a key fingerprint" in _refused(server, "key", "add", "HPC001", "SHA256:x")
    assert "no organisation 'ZZZ'" in _refused(server, "key", "add", "ZZZ", KEY)

    listed = json.loads(_ok(server, "key", "list", "--org", "HPC001", "--json"))
    assert [(k["fingerprint"], k["state"]) for k in listed] == [
        (own.fingerprint, "active"),
        (pair.fingerprint, "active"),
    ]
    out = _ok(server, "key", "retire", "HPC001", pair.fingerprint, "--revoked")
    assert f"Key {pair.fingerprint} of HPC001 is revoked" in out
    table = _ok(server, "key", "list")
    assert pair.fingerprint in table and "revoked 20" in table and "active" in table
    assert "no registered key" in _refused(server, "key", "retire", "HPC001", KEY)
    engine.dispose()
