"""A manifest that is sealed but malformed is a finding naming the bad key, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from peerreport.bundle import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    bundle_bytes,
    load_private_key,
    new_key_pair,
    read_archive,
    verify_bundle,
    write_archive,
)
from peerreport.bundle.manifest import parse_manifest, seal
from peerreport.returns.model import Return
from tests.bundle.sample import ALLOW_UNSIGNED, load_rules, published, resealed, write_rules

FILES = {"return.csv": b"measure,value\nsessions,23\n"}
SUBMITTED = {
    "version": 1,
    "supersedes_version": None,
    "reason": None,
    "submitted_at": "2026-10-12T09:00:00+00:00",
}


@pytest.fixture(scope="module")
def ret(tmp_path_factory: pytest.TempPathFactory) -> Return:
    rule_file = load_rules(write_rules(tmp_path_factory.mktemp("rules")))
    return published(rule_file, "P01", {"sessions": 23, "calls": (9, {"phone": 5, "video": 4})})


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change setting one key path (dots and [index]) of the manifest to `value`."""

    def change(manifest: dict[str, Any]) -> None:
        keys: list[Any] = [
            int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")
        ]
        target: Any = manifest
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _error_finding(manifest: dict[str, Any]) -> None:
    manifest["return"]["findings"].append(
        {
            "code": "X-1",
            "severity": "error",
            "message": "m",
            "hint": "",
            "location": {},
            "details": {},
        }
    )


MALFORMED = [
    ("submission.submitted_at", _set("submission.submitted_at", "yesterday")),
    ("submission.submitted_at", _set("submission.submitted_at", "2026-10-12T09:00:00")),
    ("submission.submitted_at", _set("submission.submitted_at", "2026-02-30T09:00:00+00:00")),
    ("submission.version", _set("submission.version", 0)),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", "lots")),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", [1, 2])),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", 10**30)),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", float("inf"))),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", -4)),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", 2.5)),
    ("return.figures[0].total.value", _set("return.figures[0].total.value", "2026-07-01")),
    ("return.figures[1].cells[0].value", _set("return.figures[1].cells[0].status", "suppressed")),
    ("return.figures[1].cells[0].key", _set("return.figures[1].cells[0].key", ["phone", "x"])),
    ("return.figures[0].total.key", _set("return.figures[0].total.key", ["phone"])),
    ("return.records.counts.activities", _set("return.records.counts.activities", -1)),
    ("return.records.counts.activities", _set("return.records.counts.activities", True)),
    ("return.period", _set("return.period.start", "2026-12-01")),
    ("return.status", _error_finding),
    ("return.organisation.name", _set("return.organisation.name", None)),
    (
        "return.filing.submitted_at",
        _set(
            "return.filing",
            {
                **SUBMITTED,
                "amends_version": None,
                "submitted_at": "soon",
                "late": False,
                "changes": [],
            },
        ),
    ),
    ("files[0].sha256", _set("files[0].sha256", "not a digest")),
    ("files[0].size", _set("files[0].size", -1)),
    ("files[1].name", lambda m: m["files"].append(dict(m["files"][0]))),
    ("unexpected", _set("unexpected", 1)),
    ("return", lambda m: m.update(ret=m.pop("return"))),  # only ever under its JSON name
    ("rule_file.resolved", _set("rule_file", {"id": "a", "version": "1", "digest": "d"})),
    ("ledger.head", _set("ledger", {"seq": 1, "head": "sha256:abc"})),
    ("ledger.seq", _set("ledger", {"seq": 0, "head": "sha256:" + "0" * 64})),
]


@pytest.mark.parametrize(("path", "change"), MALFORMED)
def test_a_malformed_manifest_is_a_finding_naming_the_key(
    ret: Return, path: str, change: Callable[[dict[str, Any]], None]
) -> None:
    bundle = resealed(bundle_bytes(ret, FILES, submission=SUBMITTED), change)
    check = verify_bundle(bundle, ALLOW_UNSIGNED)
    assert not check.ok
    problems = [f for f in check.findings if f.code == "BUN-010"]
    assert len(problems) == 1, check.findings
    assert problems[0].message.startswith(f"manifest.json: {path}: "), problems[0].message
    assert check.bundle.manifest is None  # nothing reads the malformed data
    assert check.bundle.ret is None


def test_the_message_says_what_is_wrong(ret: Return) -> None:
    bundle = resealed(bundle_bytes(ret, FILES), _set("return.figures[0].total.value", [1, 2]))
    message = next(
        f.message for f in verify_bundle(bundle, ALLOW_UNSIGNED).findings if f.code == "BUN-010"
    )
    assert message == (
        "manifest.json: return.figures[0].total.value: must be a number, a date or null, "
        "not a list (found [1, 2])"
    )


def test_a_number_too_long_to_read_is_not_a_traceback(ret: Return) -> None:
    archive = read_archive(bundle_bytes(ret, FILES))
    manifest = archive.entries[MANIFEST_NAME].replace(b'"value": 23', b'"value": ' + b"9" * 5000)
    damaged = write_archive({**archive.entries, MANIFEST_NAME: manifest}, seal(manifest))
    check = verify_bundle(damaged, ALLOW_UNSIGNED)
    assert [f.code for f in check.findings if f.severity.value == "error"] == ["BUN-010"]
    assert "not readable JSON" in check.findings[0].message


def test_deep_nesting_is_not_a_traceback() -> None:
    manifest, problem = parse_manifest(b"[" * 100_000 + b"]" * 100_000)
    assert manifest is None and problem and "not readable JSON" in problem


@pytest.mark.parametrize(
    "extra",
    [
        {"rule_file": None, "ledger": None},
        {
            "rule_file": {
                "id": "audit-test",
                "version": "1",
                "digest": "d",
                "resolved": '{"a": 1}',
            },
            "ledger": {"seq": 3, "head": "sha256:" + "ab" * 32},
        },
    ],
)
def test_the_rule_file_and_ledger_keys_may_be_given(ret: Return, extra: dict[str, Any]) -> None:
    check = verify_bundle(
        resealed(bundle_bytes(ret, FILES), lambda m: m.update(extra)), ALLOW_UNSIGNED
    )
    assert check.ok, check.findings
    assert check.bundle.ret == ret


def test_a_submission_may_say_when_it_was_due_and_whether_it_was_late(ret: Return) -> None:
    submission = {**SUBMITTED, "due": "2026-10-20", "late": False}
    check = verify_bundle(bundle_bytes(ret, FILES, submission=submission), ALLOW_UNSIGNED)
    assert check.ok, check.findings
    assert check.bundle.submission == submission


def test_an_unreadable_signature_is_not_a_traceback(
    ret: Return, tmp_path_factory: pytest.TempPathFactory
) -> None:
    key = new_key_pair(tmp_path_factory.mktemp("keys"), "k")
    archive = read_archive(bundle_bytes(ret, FILES, load_private_key(key.private_path)))
    damaged = write_archive(
        {**archive.entries, SIGNATURE_NAME: b'{"a": ' + b"9" * 5000 + b"}"}, archive.comment
    )
    check = verify_bundle(damaged, ALLOW_UNSIGNED)
    assert [f.code for f in check.findings if f.severity.value == "error"] == ["BUN-030"]
