"""A figure a return would hide that returns filed before already publish is published.

Found by the reliability suite (tests/reliability/test_release_demo.py, seed
287939173339647981729939967477400686049): every shipped quarterly return of
FY2027-Q1 filed in turn for a small organisation. nz-peer-core publishes
`direct_attendances` (in_person) = 8 (not small); peer-values counts the same
attendances as `attendances` (in_person), and its own table hid that cell as a
secondary suppression (the cells beside it are small). Earlier returns give
the hidden cell exactly, so the independent attacker pins it to 8..8. The audit
saw it but only warned (RET-042, "returns filed before already let these hidden
figures be worked out"), as if an earlier return had given a hidden figure
away: in fact it had simply published the same count. Hiding it protects
nothing (the cells beside it are protected against the published 8 either way,
which the audit checks), so the audit now publishes it, with no warning.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from peerreport.filing import file_return
from peerreport.returns.build import build_return
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import RuleFile, load
from tests.bundle.sample import ORG_NAME, store
from tests.disclosure.attacker import attack
from tests.disclosure.test_release import SHIPPED_QUARTERLY

# (date, kind, mode, attendance, member_led): the reliability suite's failing example.
EVERY_SHIPPED = [
    ("2026-08-24", "community_event", "video", 1, True),
    ("2026-09-05", "outreach", "phone", 1, False),
    ("2026-07-30", "one_to_one", "in_person", 2, False),
    ("2026-09-24", "education", "phone", 3, True),
    ("2026-08-07", "individual_advocacy", "in_person", 4, True),
    ("2026-09-15", "drop_in", "text_online", 1, False),
    ("2026-07-27", "individual_advocacy", "phone", 1, False),
    ("2026-08-12", "warm_line_call", "in_person", 2, True),
]
# The same, cut down by hand to two returns: peer-values hides its attendances total (6:
# phone 5 and text_online 1 are small), which nz-peer-core publishes (all_attendances).
PAIR = [
    ("2026-09-05", "outreach", "phone", 1, False),
    ("2026-09-24", "education", "phone", 3, True),
    ("2026-09-15", "drop_in", "text_online", 1, False),
    ("2026-07-27", "individual_advocacy", "phone", 1, False),
]


def _file_in_turn(
    engine: Engine,
    org: str,
    rows: list[tuple[str, str, str, int, bool]],
    idents: tuple[str, ...],
    out: Path,
) -> tuple[list[tuple[Return, RuleFile]], list[str]]:
    """File a return under each rule file in turn (unless its own checks fail); what was
    filed, and every RET-042 message."""
    store(
        engine,
        [
            {
                "activity_id": f"X-{i}",
                "date": d,
                "kind": k,
                "mode": m,
                "attendance": a,
                "member_led": led,
            }
            for i, (d, k, m, a, led) in enumerate(rows)
        ],
        org,
    )
    released = []
    warnings: list[str] = []
    for ident in idents:
        rule_file = load(ident)
        ret = build_return(engine, org, ORG_NAME, rule_file, parse_period("FY2027-Q1"))
        # It can be made safe; a warning that earlier returns gave a figure away is kept.
        assert not [f.message for f in ret.findings if f.code == "RET-041"]
        warnings.extend(f.message for f in ret.findings if f.code == "RET-042")
        if ret.has_errors:
            continue  # a rule file's own check failed on these records: not filed
        filed = file_return(engine, ret, rule_file, out, formats=("json",))
        released.append((filed.ret, rule_file))
    return released, warnings


def _cell(ret: Return, measure: str, key: tuple[str | None, ...]) -> tuple[str, object]:
    figure = next(f for f in ret.figures if f.id == measure)
    cell = next(c for c in (figure.total, *figure.cells) if c.key == key)
    return cell.status, cell.value


def test_a_count_another_return_publishes_is_not_hidden_again(
    engine: Engine, tmp_path: Path
) -> None:
    released, warnings = _file_in_turn(
        engine, "PUB0001", PAIR, ("nz-peer-core", "peer-values"), tmp_path
    )
    assert attack(engine, "PUB0001", released) == []
    # Nothing was given away before peer-values: no warning says so.
    assert warnings == []
    core, values = released[0][0], released[1][0]
    assert _cell(core, "all_attendances", ()) == ("exact", 6)
    assert _cell(values, "attendances", ()) == ("exact", 6)
    # The small cells beside it stay hidden.
    assert _cell(values, "attendances", ("phone",)) == ("suppressed", None)
    assert _cell(values, "attendances", ("text_online",)) == ("suppressed", None)


def test_every_shipped_quarterly_return_of_the_reliability_example_gives_nothing_away(
    engine: Engine, tmp_path: Path
) -> None:
    released, warnings = _file_in_turn(
        engine, "PUB0002", EVERY_SHIPPED, SHIPPED_QUARTERLY, tmp_path
    )
    assert attack(engine, "PUB0002", released) == []
    assert warnings == []
    # nz-peer-support-adults and -youth fail their own checks on these records.
    assert len(released) == len(SHIPPED_QUARTERLY) - 2
    values = next(ret for ret, rule_file in released if rule_file.id == "peer-values")
    assert _cell(values, "attendances", ("in_person",)) == ("exact", 8)
