"""One small module per kind of identifier or clinical detail.

Every detector module exposes:

- `KIND`: a stable id ("nhi", "phone", ...), used in findings and tests;
- `LABEL`: what a coordinator reads ("an NZ NHI number");
- `TRIGGER`: a regular expression, searched in the lower-cased text, that
  matches somewhere in every text the detector could flag. The registry joins
  the triggers into a pre-filter, so an ordinary value costs two regex searches
  and no detector runs. Start a trigger with `[0-9]` when every detection
  holds a digit (look back with `(?<=...)`): those triggers are searched
  together and tried only at digits;
- `find(text)`: the detections, each with the matched text masked.

A detector whose trigger is costly (many look-behinds tried at every digit)
may also give `TRIGGER_NEEDS`: a cheap regular expression that matches every
lower-cased text its `TRIGGER` matches (a character every match holds, say).
Its trigger is then searched only in texts the cheap one matches, so an id
like "G-0000001" does not pay for an age's dozen look-behinds at each digit.
A test checks each one against its trigger.

A detector may instead (or also) give `TRIGGER_WORDS`, a set of whole words
in lower case, as they may be written (with and without macrons), and an
empty `TRIGGER`: it then runs when the text holds one of those words. The
name detector's hundreds of given names and the address detector's street
types are found this way, far more cheaply than by a regular expression.

The registry (the order in which detectors run, and which wins when two
overlap) lives in `peerreport.privacy.scan`.
"""

from __future__ import annotations

from typing import Protocol

from peerreport.privacy.detection import Detection


class Detector(Protocol):
    """What a detector module provides (modules satisfy this protocol)."""

    KIND: str
    LABEL: str
    TRIGGER: str

    def find(self, text: str) -> list[Detection]:
        """Every detection of this kind in `text`."""
        ...
