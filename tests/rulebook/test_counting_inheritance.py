"""A file that extends one counting only its purchase units, and lists none of its own,
counts its parent's: without them it would silently count only the records with none."""

from __future__ import annotations

from pathlib import Path

from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.counting import rule_of

RULES = Path(__file__).resolve().parents[2] / "rules"


def _child(folder: Path, extra: str = "") -> Path:
    path = folder / "district-adults.toml"
    path.write_text(
        'id = "district-adults"\ntitle = "District adults"\nversion = "1"\n'
        f'extends = ["nz-peer-support-adults"]\n{extra}',
        "utf-8",
    )
    return path


def test_a_tailoring_without_purchase_units_counts_its_parents(tmp_path: Path) -> None:
    child = load(_child(tmp_path), Catalogue([tmp_path, RULES]))
    assert child.model.purchase_units == ["MHC36F"]
    rule = rule_of(child.model)
    assert rule.counts("MHC36F") and rule.counts(None)
    assert not rule.counts("MHCI37F")
    parent = load(RULES / "nz-peer-support-adults.toml", Catalogue([RULES]))
    assert rule_of(parent.model) == rule


def test_a_tailoring_that_lists_its_own_purchase_units_counts_those(tmp_path: Path) -> None:
    child = load(_child(tmp_path, 'purchase_units = ["MHC36S"]\n'), Catalogue([tmp_path, RULES]))
    assert child.model.purchase_units == ["MHC36S"]
    assert rule_of(child.model).counts("MHC36S") and not rule_of(child.model).counts("MHC36F")


def test_a_file_counting_every_record_inherits_no_purchase_units(tmp_path: Path) -> None:
    # Only where they decide the figures: other files' digests stay as they were.
    path = tmp_path / "tailored.toml"
    path.write_text(
        'id = "tailored"\ntitle = "T"\nversion = "1"\nextends = ["example-peer-support"]\n',
        "utf-8",
    )
    child = load(path, Catalogue([tmp_path, RULES]))
    assert child.model.purchase_units == []
