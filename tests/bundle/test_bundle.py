"""Bundles: deterministic bytes, and any change to any byte is detected and named."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerreport.bundle import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    Trust,
    bundle_bytes,
    load_private_key,
    new_key_pair,
    public_key_fingerprint,
    read_archive,
    verify_bundle,
    write_archive,
    write_bundle,
)
from peerreport.returns.model import Return
from tests.bundle.sample import ALLOW_UNSIGNED, load_rules, published, write_rules

FILES = {
    "return.csv": b"measure,value\nsessions,23\n",
    "return.json": b'{"sessions": 23}\n',
    "review.html": "<p>Kōwhai peer network</p>\n".encode(),
}


@pytest.fixture(scope="module")
def ret(tmp_path_factory: pytest.TempPathFactory) -> Return:
    rule_file = load_rules(write_rules(tmp_path_factory.mktemp("rules")))
    return published(rule_file, "P01", {"sessions": 23, "calls": (9, {"phone": 5, "video": 4})})


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str, object, str]:
    """Two key pairs: (key, fingerprint, other key, other fingerprint)."""
    folder = tmp_path_factory.mktemp("keys")
    one, two = new_key_pair(folder, "one"), new_key_pair(folder, "two")
    return (
        load_private_key(one.private_path),
        one.fingerprint,
        load_private_key(two.private_path),
        two.fingerprint,
    )


def codes(data: bytes, trusted: tuple[str, ...] | Trust = ALLOW_UNSIGNED) -> list[str]:
    """The error codes verify reports."""
    check = verify_bundle(data, trusted)
    return [f.code for f in check.findings if f.severity.value == "error"]


def test_the_same_return_gives_the_same_bytes(ret: Return, tmp_path: Path) -> None:
    paths = []
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    first = write_bundle(ret, paths, tmp_path / "a")
    second = write_bundle(ret, list(reversed(paths)), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes() == bundle_bytes(ret, FILES)
    assert first.name == "audit-test_FY2027-Q1_P01.bundle.zip"
    names = list(read_archive(first.read_bytes()).entries)
    assert names == sorted([*FILES, MANIFEST_NAME])


def test_a_fresh_bundle_verifies_and_carries_the_return(ret: Return, keys: tuple) -> None:
    key, fingerprint = keys[0], keys[1]
    check = verify_bundle(bundle_bytes(ret, FILES, key), (fingerprint,))
    assert check.ok, check.findings
    assert [f.code for f in check.findings] == ["BUN-050"]  # info: who signed
    assert check.bundle.ret == ret
    manifest = check.bundle.manifest
    assert manifest is not None
    assert {f["name"] for f in manifest["files"]} == set(FILES)
    assert manifest["return"]["rule_file"]["digest"] == ret.rule.digest
    assert manifest["return"]["records"]["digest"] == ret.records_digest


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_changed_byte_in_any_entry_is_named(
    ret: Return, keys: tuple, data: st.DataObject
) -> None:
    """Change one byte of one entry and re-pack the zip properly: verify names the entry."""
    key, fingerprint = keys[0], keys[1]
    original = bundle_bytes(ret, FILES, key)
    archive = read_archive(original)
    name = data.draw(st.sampled_from(sorted(archive.entries)))
    content = bytearray(archive.entries[name])
    position = data.draw(st.integers(0, len(content) - 1))
    content[position] ^= data.draw(st.integers(1, 255))
    tampered = write_archive({**archive.entries, name: bytes(content)}, archive.comment)
    check = verify_bundle(tampered, (fingerprint,))
    assert not check.ok
    errors = [f for f in check.findings if f.severity.value == "error"]
    if name == SIGNATURE_NAME:
        assert {f.code for f in errors} == {"BUN-030"}
    elif name == MANIFEST_NAME:
        assert "BUN-011" in {f.code for f in errors}  # the seal no longer matches
    else:
        assert [(f.code, f.location.file) for f in errors] == [("BUN-020", name)]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_changed_byte_anywhere_in_the_file_is_detected(ret: Return, data: st.DataObject) -> None:
    """Flip any byte of the zip file itself (headers, directory and comment included)."""
    original = bytearray(bundle_bytes(ret, FILES))
    position = data.draw(st.integers(0, len(original) - 1))
    original[position] ^= data.draw(st.integers(1, 255))
    assert codes(bytes(original)), f"byte {position} changed undetected"


def test_added_and_removed_files_are_named(ret: Return) -> None:
    archive = read_archive(bundle_bytes(ret, FILES))
    added = write_archive({**archive.entries, "extra.txt": b"x"}, archive.comment)
    assert codes(added) == ["BUN-022"]
    entries = dict(archive.entries)
    del entries["return.csv"]
    removed = write_archive(entries, archive.comment)
    check = verify_bundle(removed, ALLOW_UNSIGNED)
    assert [(f.code, f.location.file) for f in check.findings if f.code != "BUN-035"] == [
        ("BUN-021", "return.csv")
    ]


def test_a_repacked_zip_is_detected_though_its_files_are_intact(ret: Return) -> None:
    import io
    import zipfile

    archive = read_archive(bundle_bytes(ret, FILES))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in archive.entries.items():
            zipped.writestr(name, content)
        zipped.comment = archive.comment
    assert codes(out.getvalue()) == ["BUN-040"]


def test_an_edited_manifest_with_a_fixed_seal_is_still_caught_by_the_signature(
    ret: Return, keys: tuple
) -> None:
    from peerreport.bundle.manifest import manifest_bytes, seal

    key, fingerprint = keys[0], keys[1]
    archive = read_archive(bundle_bytes(ret, FILES, key))
    manifest = json.loads(archive.entries[MANIFEST_NAME])
    manifest["return"]["figures"][0]["total"]["value"] = 99
    forged = manifest_bytes(manifest)
    tampered = write_archive({**archive.entries, MANIFEST_NAME: forged}, seal(forged))
    assert codes(tampered, (fingerprint,)) == ["BUN-030"]


def test_a_signature_from_another_key_is_rejected(ret: Return, keys: tuple) -> None:
    key, fingerprint, other, other_fingerprint = keys
    signed = bundle_bytes(ret, FILES, key)
    assert verify_bundle(signed, (fingerprint,)).signer == fingerprint
    assert codes(signed, (fingerprint,)) == []
    # Re-signed by someone else, with their own key inside: valid, but not trusted.
    resigned = bundle_bytes(ret, FILES, other)
    assert verify_bundle(resigned, Trust(allow_unknown_keys=True)).signer == other_fingerprint
    assert codes(resigned, (fingerprint,)) == ["BUN-031"]
    # The provider's public key, but a signature made with another key: invalid.
    archive = read_archive(signed)
    theirs = json.loads(read_archive(resigned).entries[SIGNATURE_NAME])
    mine = json.loads(archive.entries[SIGNATURE_NAME])
    mine["signature"] = theirs["signature"]
    from peerreport.bundle.signing import canonical_signature

    forged = write_archive(
        {**archive.entries, SIGNATURE_NAME: canonical_signature(mine)}, archive.comment
    )
    assert codes(forged, (fingerprint,)) == ["BUN-030"]
    # Unsigned, when a key is required.
    assert codes(bundle_bytes(ret, FILES), (fingerprint,)) == ["BUN-032"]
    # A provider whose key is known must sign: --allow-unsigned does not excuse it.
    known = Trust(frozenset({fingerprint}), allow_unsigned=True)
    assert codes(bundle_bytes(ret, FILES), known) == ["BUN-032"]


def test_an_unsigned_bundle_is_refused_by_default_and_accepted_when_allowed(ret: Return) -> None:
    unsigned = bundle_bytes(ret, FILES)
    check = verify_bundle(unsigned)
    assert not check.ok and check.unverified_origin
    assert [f.code for f in check.findings] == ["BUN-032"]
    assert "UNVERIFIED ORIGIN" in check.findings[0].message
    allowed = verify_bundle(unsigned, ALLOW_UNSIGNED)
    assert allowed.ok
    assert [(f.code, f.severity.value) for f in allowed.findings] == [("BUN-035", "warning")]
    assert "UNVERIFIED ORIGIN" in allowed.findings[0].message


def test_a_bundle_signed_by_an_unknown_key_is_refused_unless_allowed(
    ret: Return, keys: tuple
) -> None:
    key, fingerprint = keys[0], keys[1]
    signed = bundle_bytes(ret, FILES, key)
    assert codes(signed, ()) == ["BUN-033"]
    allowed = verify_bundle(signed, Trust(allow_unknown_keys=True))
    assert allowed.ok and allowed.signer == fingerprint
    assert [f.code for f in allowed.findings] == ["BUN-035"]


def test_a_bundle_claiming_another_provider_signed_with_a_known_key_is_refused(
    ret: Return, keys: tuple
) -> None:
    key, fingerprint, other, other_fingerprint = keys
    trust = Trust(
        providers={
            ret.organisation: frozenset({fingerprint}),
            "OTHER1": frozenset({other_fingerprint}),
        },
        allow_unsigned=True,
        allow_unknown_keys=True,
    )
    assert codes(bundle_bytes(ret, FILES, key), trust) == []
    check = verify_bundle(bundle_bytes(ret, FILES, other), trust)
    assert [f.code for f in check.findings] == ["BUN-034"]
    assert "OTHER1's key" in check.findings[0].message


def test_not_a_zip_is_reported_not_raised() -> None:
    assert codes(b"PK\x03\x04 not really a zip") == ["BUN-001"]
    assert codes(b"") == ["BUN-001"]


def test_keys_new_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from peerreport.cli.keys_cmd import keys

    result = CliRunner().invoke(keys, ["new", "--out", str(tmp_path / "k"), "--name", "harbour"])
    assert result.exit_code == 0, result.output
    private, public = tmp_path / "k" / "harbour.key", tmp_path / "k" / "harbour.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    fingerprint = public_key_fingerprint(public)
    assert f"fingerprint: {fingerprint}" in result.output
    assert public_key_fingerprint(private) == fingerprint
    again = CliRunner().invoke(keys, ["new", "--out", str(tmp_path / "k"), "--name", "harbour"])
    assert again.exit_code != 0  # never overwrites a key
