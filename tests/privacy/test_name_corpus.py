"""Precision and recall of the name, age and address detectors over a synthetic corpus.

`corpus/names.tsv` holds sentences of the kind a coordinator writes in a log,
all made up: `flag` ones name or describe a person (a name, a title and
surname, an age, a street address), `ok` ones do not (te reo words, group,
place and programme names, age ranges, venues). Its `part` column says how
each row was used:

- `dev`: written with the detector, which was tuned until it got them right;
- `held-out`: written before the detector's code and never changed since;
  two bugs they showed (a surname such as "O'Connor", a possessive before a
  venue's name) were fixed, no rule was added for them;
- `hard`: known hard cases written after the first measurement (lower-case
  names, unlisted names with ordinary verbs, names in capitals, birds and
  characters). Measured once, then tuned by one round of general rules.

The figures go through `scan_text`, as intake does: a sentence counts as
flagged if any detector finds anything in it. Print them with

    python -m tests.privacy.test_name_corpus
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from peerreport.privacy import check_text, scan_text
from peerreport.privacy.detection import PrivacyViolation

CORPUS = Path(__file__).parent / "corpus" / "names.tsv"
PARTS = ("dev", "held-out", "hard")
# Floors: what the detector achieves now, rounded down (see the module docstring).
FLOORS = {
    "all": (0.95, 0.90),
    "dev": (0.98, 0.98),
    "held-out": (0.95, 0.95),
    "hard": (0.85, 0.70),
}


@dataclass(frozen=True)
class Row:
    """One sentence of the corpus."""

    text: str
    flag: bool
    part: str
    note: str


@dataclass(frozen=True)
class Score:
    """How the detectors did on some rows."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        """Of the sentences flagged, the share that name or describe a person."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """Of the sentences that name or describe a person, the share flagged."""
        leaks = self.true_positives + self.false_negatives
        return self.true_positives / leaks if leaks else 1.0

    def __str__(self) -> str:
        rows = self.true_positives + self.false_positives
        rows += self.false_negatives + self.true_negatives
        return (
            f"{rows:4} rows  precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"(tp {self.true_positives}, fp {self.false_positives}, "
            f"fn {self.false_negatives}, tn {self.true_negatives})"
        )


def load_corpus() -> list[Row]:
    """Every row of `corpus/names.tsv`."""
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Row(r["text"], r["expected"] == "flag", r["part"], r["note"]) for r in reader]


def score(rows: list[Row]) -> Score:
    """Count the hits and misses of `scan_text` on `rows`."""
    counts = {(True, True): 0, (False, True): 0, (True, False): 0, (False, False): 0}
    for row in rows:
        counts[(row.flag, bool(scan_text(row.text)))] += 1
    return Score(
        counts[(True, True)], counts[(False, True)], counts[(True, False)], counts[(False, False)]
    )


def scores() -> dict[str, Score]:
    """The score over the whole corpus and over each part."""
    rows = load_corpus()
    found = {"all": score(rows)}
    for part in PARTS:
        found[part] = score([r for r in rows if r.part == part])
    return found


def test_corpus_is_well_formed() -> None:
    rows = load_corpus()
    assert len(rows) >= 150
    assert {r.part for r in rows} == set(PARTS)
    texts = [r.text for r in rows]
    assert len(texts) == len(set(texts)), "a sentence is in the corpus twice"
    assert all(r.note for r in rows)
    # Both kinds, in every part.
    for part in PARTS:
        kinds = {r.flag for r in rows if r.part == part}
        assert kinds == {True, False}, part


@pytest.mark.parametrize("part", ["all", *PARTS])
def test_precision_and_recall_stay_above_their_floors(part: str) -> None:
    found = scores()[part]
    print(f"\n{part:>9}: {found}")
    precision, recall = FLOORS[part]
    assert found.precision >= precision, f"{part}: {found}"
    assert found.recall >= recall, f"{part}: {found}"


@pytest.mark.parametrize(
    "text",
    ["Aroha led the session tonight", "Mr T. Walker's medication changed"],
)
def test_the_examples_of_the_issue_are_refused_with_a_masked_message(text: str) -> None:
    with pytest.raises(PrivacyViolation) as raised:
        check_text(text)
    message = str(raised.value)
    assert "a person's name" in message
    assert "Aroha" not in message and "Walker" not in message


def main() -> None:
    """Print the figures, and the sentences the detectors get wrong."""
    for part, found in scores().items():
        print(f"{part:>9}: {found}")
    for row in load_corpus():
        flagged = bool(scan_text(row.text))
        if flagged != row.flag:
            kind = "missed" if row.flag else "flagged"
            print(f"  {kind:8} [{row.part}] {row.text}  ({row.note})")


if __name__ == "__main__":
    main()
