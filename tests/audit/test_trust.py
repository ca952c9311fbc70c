"""Trust by default: init makes a key, submit signs, verify trusts only keys it knows."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import Engine

from peerreport.bundle import public_key_fingerprint
from tests.audit.conftest import Run
from tests.bundle.sample import PERIOD, records, store, write_rules
from tests.helpers import make_workspace


def test_init_makes_a_signing_key_only_its_owner_can_read(run: Run, tmp_path: Path) -> None:
    made = run("init", tmp_path / "ws", "--name", "Harbour", "--provider-code", "HPC001")
    assert made.exit_code == 0, made.output
    key = tmp_path / "ws" / "peerreport.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "*.key" in (tmp_path / "ws" / ".gitignore").read_text("utf-8")
    fingerprint = public_key_fingerprint(key)
    assert f"fingerprint:  {fingerprint}" in made.output
    shown = run("keys", "show", "--workspace", tmp_path / "ws")
    assert shown.exit_code == 0, shown.output
    assert f"fingerprint: {fingerprint}" in shown.output
    assert "BEGIN PUBLIC KEY" in shown.output and "PRIVATE" not in shown.output


def test_submit_signs_by_default_and_makes_a_key_for_an_older_workspace(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    workspace.key_path.unlink()  # a workspace made before init made keys
    workspace.public_key_path.unlink()
    rules = write_rules(tmp_path / "rules")
    store(engine, records())
    ws = ["--workspace", workspace.root]
    filed = run("submit", rules, "--period", PERIOD, "--format", "csv,json", *ws)
    assert filed.exit_code == 0, filed.output
    assert "This workspace had no signing key: made" in filed.output
    assert stat.S_IMODE(workspace.key_path.stat().st_mode) == 0o600
    fingerprint = public_key_fingerprint(workspace.key_path)
    assert "(signed)" in filed.output and f"signed with key {fingerprint}" in filed.output
    assert "Give your funder this key fingerprint once" in filed.output
    (bundle,) = (workspace.root / "submissions").glob("*.zip")
    # Inside its own workspace, the workspace's key is trusted, and verify says why.
    own = run("audit", "verify", bundle, *ws)
    assert own.exit_code == 0, own.output
    assert "this workspace's own key, trusted automatically for TEST01" in own.output
    # Outside it, nobody vouched for the key: refused unless the funder gives it.
    alone = run("audit", "verify", bundle, "--no-recompute")
    assert alone.exit_code == 1 and "UNVERIFIED ORIGIN" in alone.output
    given = run("audit", "verify", bundle, "--no-recompute", "--fingerprint", fingerprint)
    assert given.exit_code == 0, given.output
    listing = tmp_path / "providers.csv"
    listing.write_text(f"code,name,fingerprint\nTEST01,Test,{fingerprint}\n", "utf-8")
    listed = run("audit", "verify", bundle, "--no-recompute", "--providers", listing)
    assert listed.exit_code == 0 and "TEST01's key on the provider list" in listed.output
    # A second submission uses the same key, and says nothing about making one.
    again = run("submit", rules, "--period", PERIOD, "--reason", "again", "--yes", *ws)
    assert again.exit_code == 0, again.output
    assert "had no signing key" not in again.output
    assert f"signed with key {fingerprint}" in again.output


def test_the_demo_bundle_verifies_inside_the_demo_workspace(run: Run, tmp_path: Path) -> None:
    demo = run("demo", "--out", tmp_path / "demo")
    assert demo.exit_code == 0, demo.output
    (bundle,) = (tmp_path / "demo" / "submissions").glob("*.zip")
    printed = f"audit verify {bundle.relative_to(tmp_path / 'demo')}"
    assert printed in demo.output
    verified = run("audit", "verify", bundle, "--workspace", tmp_path / "demo")
    assert verified.exit_code == 0, verified.output
    assert "\nVERIFIED" in verified.output and "this workspace's own key" in verified.output


def test_keys_rotate_keeps_old_bundles_verifiable_and_signs_with_the_new_key(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    rules = write_rules(tmp_path / "rules")
    store(engine, records())
    ws = ["--workspace", workspace.root]
    assert run("submit", rules, "--period", PERIOD, "--format", "json", *ws).exit_code == 0
    (old_bundle,) = (workspace.root / "submissions").glob("*.zip")
    old = public_key_fingerprint(workspace.key_path)

    rotated = run("keys", "rotate", *ws)
    assert rotated.exit_code == 0, rotated.output
    new = public_key_fingerprint(workspace.key_path)
    assert new != old and public_key_fingerprint(workspace.public_key_path) == new
    assert f"new key:      {new}" in rotated.output
    assert f"retired key:  {old}" in rotated.output
    assert f"Give the new fingerprint {new} to each funder" in rotated.output
    assert f"peerreport admin key add TEST01 {new}" in rotated.output
    assert f"peerreport admin key retire TEST01 {old}" in rotated.output
    (kept,) = workspace.retired_keys_dir.glob("*.pub")
    assert public_key_fingerprint(kept) == old and b"PRIVATE" not in kept.read_bytes()
    assert stat.S_IMODE(workspace.key_path.stat().st_mode) == 0o600
    assert not (workspace.root / ".rotating-key").exists()

    # Inside the workspace the bundle signed before still verifies, with the retired key.
    own = run("audit", "verify", old_bundle, "--no-recompute", *ws)
    assert own.exit_code == 0, own.output
    assert "this workspace's retired key" in own.output
    # A funder given only the new key refuses the old bundle; one given both takes it.
    alone = run("audit", "verify", old_bundle, "--no-recompute", "--fingerprint", new)
    assert alone.exit_code == 1 and "UNVERIFIED ORIGIN" in alone.output
    both = run(
        "audit", "verify", old_bundle, "--no-recompute", "--fingerprint", new, "--fingerprint", old
    )
    assert both.exit_code == 0, both.output

    again = run("submit", rules, "--period", PERIOD, "--reason", "again", "--yes", *ws)
    assert again.exit_code == 0 and f"signed with key {new}" in again.output

    workspace.key_path.unlink()
    missing = run("keys", "rotate", *ws)
    assert missing.exit_code == 2 and "no key to rotate" in missing.output
