"""The shipped rule files' meaning digests, pinned.

Bundles carry the meaning digest of the rule file they were built under, and
`collate` accepts a bundle built under a presentation-only change of it. So
a shipped file's meaning digest changes only when what it counts changes: a
refactor (a repeated expression moved into `[define]`, a label, a comment)
must keep it. When a file's figures change on purpose, update its digest here
and say why in CHANGELOG.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.meaning import meaning_digest

RULES = Path(__file__).resolve().parents[2] / "rules"

#: The meaning digests (hex, after "sha256:").
MEANING = {
    "au-community-sessions": "33c447aea7991798d4c137d0d6f8d94563859758f5a660041fd62baeb2024818",
    "example-peer-core": "8305c32a7e666b5ec9eac897c0abc72b9b0267c0fbcb4573aa16bb5678279734",
    "example-peer-support": "4a090046a0cfce2ac0b4ea0d7d31ed6a8a83b5b8c99e1b58f132a9be2129e437",
    "example-regional-peer-support": (
        "d6bc014c26867784a5ed8b7ba6f99ea5a05195519e43a03206b4a73c57792404"
    ),
    "example-tailored": "7507ce6b97917d5d3ce1b4ec124029d990b751af72ed19c9c85a2e7ad4b9776c",
    "nz-consumer-advocacy": "890bc482efe2db3ea96622a5f6faa51e7cc3d7137b953da265ad2d1cd48e5e53",
    "nz-consumer-leadership": "3a359a0f6bb3dab56b52a543155793016a1b65c7da537d559971017be5224ed2",
    "nz-consumer-phone-service": "07dcafdf708c37493618d1ec0f2d2e460714a0acbbcce8c3a778e9655dd6b71f",
    "nz-consumer-resource-information": (
        "40b1d98ac1c87d17aa3e40360810572297a89a4945d3c790eee7d5188ae15f3e"
    ),
    "nz-peer-core": "6f12f0a389b6ea78cb9f7db93e3df6fb4912d0617ea4b020d6812339dd65b7cb",
    "nz-peer-support-adults-service": (
        "10af6baa84e2cf8b55603c182209e615ce23d0f7d81f6858b27fa70f5acb4e26"
    ),
    "nz-peer-support-adults": "eefe1653f7b32e73a2c04b36bcd86aa3707f20b0253735ad703ae063e5d5255f",
    "nz-peer-support-youth-service": (
        "3a76a9b8e0c74a0bbd298cec7029f32e49808c60f43a11adaf383b3430b59fe4"
    ),
    "nz-peer-support-youth": "d6168d79a8224b6f0d993aedcbae389eb5ca652e001f40b28d4b8bdbb74092ba",
    "peer-values": "896aadcefc2e3c11c0675ce70ac1e60641c9f04a6835d10ad58435ea159526e3",
    "peer-workforce": "5b866949cbe9d71a2cdce28c5b120a4231cd629ddcddfee2ed0ca6c7c0b9ce43",
}


def test_every_shipped_file_is_pinned() -> None:
    assert {p.stem for p in RULES.glob("*.toml")} == set(MEANING)


@pytest.mark.parametrize("name", sorted(MEANING))
def test_meaning_digest_is_pinned(name: str) -> None:
    rule_file = load(RULES / f"{name}.toml", Catalogue([RULES]))
    assert rule_file.meaning == "sha256:" + MEANING[name]


#: Release 2026.2 of the NZ peer support returns counts only the records of their purchase
#: units (`[counting]`), and the youth return reports people linked to community resources
#: (`people_linked_to_resources`): their meaning changed, on purpose. These are their meaning
#: digests before (2026.1); without those two additions they must be the same, so the
#: `[define]` refactor of the same release changed nothing else.
BEFORE_PURCHASE_UNITS = {
    "example-regional-peer-support": (
        "4eecd5c220ed76e1f5d16431fc7196bbcca5f5db557c1560aeb125f1677a7f79"
    ),
    "nz-peer-support-adults-service": (
        "6a575d91df95fc30cd5e1c8e0b9d9d08f86365750ff4a6164b6347be4df18558"
    ),
    "nz-peer-support-adults": "e5826ffab90b16d6a4785368167e7dbfdad096c67b01bae576fcdb3b785c7fe7",
    "nz-peer-support-youth-service": (
        "b6a416d3ff56b279a9bece799a120e4c75846d8107c4c4daf7c7532b46fcb295"
    ),
    "nz-peer-support-youth": "ef46134579072a7593126181f582435ef8e05736f1dd341cac866ab1123c4d72",
}


@pytest.mark.parametrize("name", sorted(BEFORE_PURCHASE_UNITS))
def test_purchase_units_are_the_only_change_of_meaning(name: str) -> None:
    rule_file = load(RULES / f"{name}.toml", Catalogue([RULES]))
    assert rule_file.model.counting is not None
    assert rule_file.model.counting.purchase_units == "only"
    assert rule_file.model.counting.unassigned == "include"  # today's figures without units
    without = rule_file.model.model_copy(
        update={
            "counting": None,
            "measure": [m for m in rule_file.model.measure if m.id != "people_linked_to_resources"],
        }
    )
    assert rule_file.meaning != "sha256:" + BEFORE_PURCHASE_UNITS[name]
    assert meaning_digest(without) == "sha256:" + BEFORE_PURCHASE_UNITS[name]


#: example-tailored's meaning before it gained its cross-tabulation (issue 14,
#: `attendances_by_ethnicity_and_age`): without that measure it must be the same, so adding
#: the `cross_breakdown` source changed nothing else it counts.
BEFORE_CROSS_TAB = "ae75878a51899f25ab985f0da41cd7e148677536bc12625d30168e691f1cd1c0"


def test_the_cross_tabulation_is_the_only_change_of_the_tailored_example() -> None:
    rule_file = load(RULES / "example-tailored.toml", Catalogue([RULES]))
    added = "attendances_by_ethnicity_and_age"
    without = rule_file.model.model_copy(
        update={"measure": [m for m in rule_file.model.measure if m.id != added]}
    )
    assert rule_file.meaning != "sha256:" + BEFORE_CROSS_TAB
    assert meaning_digest(without) == "sha256:" + BEFORE_CROSS_TAB
