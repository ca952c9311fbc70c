"""Run every detector over a text value (placeholder registry; detectors fill it)."""

from __future__ import annotations

from peerreport.privacy.detection import Detection, PrivacyViolation


def scan_text(text: str) -> list[Detection]:
    """Every detection in `text`, in order of position."""
    return []


def check_text(text: str) -> None:
    """Raise `PrivacyViolation` if `text` holds an identifier or a diagnosis."""
    found = scan_text(text)
    if found:
        raise PrivacyViolation(found)


def mask_text(text: str) -> str:
    """`text` with every detected span masked (for rejects files and logs)."""
    out = text
    for d in sorted(scan_text(text), key=lambda d: d.start, reverse=True):
        out = out[: d.start] + d.masked + out[d.end :]
    return out
