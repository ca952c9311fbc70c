"""The shape of a detection and how values are masked."""

from __future__ import annotations

from dataclasses import dataclass


def mask(value: str) -> str:
    """Mask a detected value: keep its first character and its punctuation, star the rest.

    'ZAA0067' -> 'Z******', 'kim@example.org' -> 'k**@*******.***'.
    """
    if not value:
        return value
    return value[0] + "".join("*" if ch.isalnum() else ch for ch in value[1:])


@dataclass(frozen=True)
class Detection:
    """One identifier or clinical term found in a text value."""

    kind: str  # stable id of the detector, e.g. "nhi"
    label: str  # what people read, e.g. "NZ NHI number"
    start: int
    end: int
    masked: str  # the matched text, masked

    def describe(self) -> str:
        """A one-line description that never reveals the value."""
        return f"looks like {self.label} ({self.masked})"


class PrivacyViolation(ValueError):
    """A text value holds an identifier or a diagnosis; carries the detections."""

    def __init__(self, detections: list[Detection]) -> None:
        self.detections = detections
        kinds = "; ".join(d.describe() for d in detections)
        super().__init__(
            f"{kinds}. peerreport never stores client identifiers or clinical details: "
            "remove it from the cell"
        )
