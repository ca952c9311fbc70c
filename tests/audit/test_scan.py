"""The bundle scan's own edges: random values a bundle carries are not identifiers."""

from __future__ import annotations


def test_a_key_fingerprint_that_happens_to_hold_an_nhi_is_not_a_finding() -> None:
    """Fingerprints are base64 of a random key's hash: '+ZAC5361/' inside one is chance."""
    from peerreport.audit.scan import _scan

    body = "ab+ZAC5361/"
    fingerprint = "SHA256:" + body + "x" * (43 - len(body))
    assert _scan("signature.json", "fingerprint", f"signed by {fingerprint}", frozenset()) == []
    # The same characters outside a fingerprint are still found.
    assert _scan("return.csv", "", "note, call +ZAC5361/ today", frozenset())
