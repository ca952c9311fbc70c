"""Every file peerreport writes: no formulas from data, no secrets (issue 15).

One workspace goes through the demo's steps on the command line (import with
member tokens, an import whose refused row carries an identifier, build,
export, submit, audit verify/report/sample, collate), with formula payloads
in the organisation's name and in programme and topic texts. Then every file
it wrote is read back: no XLSX cell is a formula and no CSV cell starts with
an unneutralised formula character; and no file or `--json` output holds a
member token, its hash, the workspace secret or the refused identifier.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook

from peerreport.store.records import hash_token

pytestmark = pytest.mark.reliability

PEERREPORT = str(Path(sys.executable).parent / "peerreport")
RULES, PERIOD = "nz-peer-support-adults", "FY2027-Q1"
PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "  +1+1",
    "\u00a0=1+1",
    "\u00a0 @SUM(A1)",
    "＝1+1",
]
ORG_NAME = "=1+1 Peer Collective"
TOKENS = ["kereru-7781", "tui-5523", "moa-0042"]
REFUSED = "ZAA0067"  # an NHI number, refused by the privacy guard
HOSTILE_RULES = """
id = "hostile-labels"
title = "=1+1 return"
funder = "@SUM(A1) funder"
spec = "MHC36F"
purchase_units = ["MHC36F"]
version = "2026.1"
extends = ["nz-peer-support-adults"]
description = "Formula payloads in labels."

[[measure]]
id = "marae_based_activities"
label = "\u00a0=1+1 marae"
count = "activity"
where = "not community_session and setting = 'marae'"
unit = "activities"
"""
_DANGER = "=+-@＝＋－＠"


@dataclass
class Scenario:
    ws: Path
    inputs: set[Path]
    json_outputs: list[str] = field(default_factory=list)


def _cli(ws: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([PEERREPORT, *args], cwd=ws, capture_output=True, text=True, timeout=300)
    assert done.returncode in ok, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("outputs")
    ws = root / "ws"
    _cli(root, "init", str(ws), "--name", ORG_NAME, "--provider-code", "INJ01")
    log = ws / "in" / "log.csv"
    _cli(ws, "samples", "generate", "--records", "600", "--start", "2026-07-01", "--out", str(log))
    rows = list(csv.reader(io.StringIO(log.read_text("utf-8-sig"))))
    header = rows[0]
    col = {name: header.index(name) for name in ("programme", "topic", "member_tokens")}
    for number, row in enumerate(rows[1:]):
        payload = PAYLOADS[number % len(PAYLOADS)]
        if number < 4 * len(PAYLOADS):
            row[col["programme" if number % 2 else "topic"]] = payload + " group"
        row[col["member_tokens"]] = TOKENS[number % len(TOKENS)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    log.write_text(buffer.getvalue(), "utf-8")
    inputs = set((ws / "in").glob("*.csv"))
    _cli(ws, "import", *sorted(inputs, key=lambda p: p.name != "log.csv"), ok=(0,))
    # A file whose rows are refused: one carries an identifier in its notes.
    bad = ws / "in2" / "bad.csv"
    bad.parent.mkdir()
    refused_rows = []
    for number, payload in enumerate(PAYLOADS):
        row = list(rows[1])
        row[0] = f"R-{number}"
        row[header.index("notes")] = f"called back on {REFUSED}"
        row[col["programme"]] = payload
        row[col["topic"]] = payload + " group"
        refused_rows.append(row)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *refused_rows])
    bad.write_text(buffer.getvalue(), "utf-8")
    inputs.add(bad)
    _cli(ws, "import", str(bad), "--skip-invalid", ok=(0, 1))
    _cli(ws, "build", RULES, "--period", PERIOD, ok=(0, 1))
    _cli(ws, "export", RULES, "--period", PERIOD, "--out", "review", "--draft", ok=(0, 1))
    _cli(ws, "submit", RULES, "--period", PERIOD, ok=(0, 1))
    # A funder's rule file whose title and labels carry payloads, exported too.
    hostile = ws / "in" / "hostile-labels.toml"
    hostile.write_text(HOSTILE_RULES, "utf-8")
    inputs.add(hostile)
    _cli(
        ws,
        "export",
        str(hostile),
        "--period",
        PERIOD,
        "--out",
        "review-hostile",
        "--draft",
        ok=(0, 1),
    )
    scene = Scenario(ws, inputs)
    for bundle in sorted((ws / "submissions").glob("*.bundle.zip")):
        _cli(ws, "audit", "verify", str(bundle), ok=(0, 1, 2))
        _cli(ws, "audit", "report", str(bundle), "--out", "audit/report.html", ok=(0, 1, 2))
        scene.json_outputs.append(
            _cli(
                ws,
                "audit",
                "sample",
                str(bundle),
                "5",
                "--csv",
                "audit/sample.csv",
                "--json",
                ok=(0, 1, 2),
            )
        )
        scene.json_outputs.append(
            _cli(
                ws,
                "collate",
                str(bundle),
                "--rules",
                RULES,
                "--out",
                "collated/all.xlsx",
                "--json",
                ok=(0, 1, 2),
            )
        )
    yield scene


def _outputs(scene: Scenario) -> list[Path]:
    """Every file peerreport wrote in the workspace (not the database or the inputs)."""
    skip = {"peerreport.db", "peerreport.secret"}
    return [
        p
        for p in sorted(scene.ws.rglob("*"))
        if p.is_file() and p.name not in skip and p not in scene.inputs
    ]


def _unsafe(cell: str) -> bool:
    """A CSV cell a spreadsheet would run as a formula."""
    if cell[:1] in ("\t", "\r"):
        return True
    start = cell.lstrip(" \u00a0")
    if not start or start[0] not in _DANGER:
        return False
    try:
        float(start)  # a negative number is data
        return False
    except ValueError:
        return True


def _check_file(path: Path) -> list[str]:
    bad: list[str] = []
    if path.suffix == ".xlsx":
        book = load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                bad += [
                    f"{path.name}!{c.coordinate}: {c.value!r}" for c in row if c.data_type == "f"
                ]
    elif path.suffix == ".csv":
        for number, row in enumerate(csv.reader(io.StringIO(path.read_text("utf-8-sig")))):
            bad += [f"{path.name} row {number}: {c!r}" for c in row if _unsafe(c)]
    return bad


def test_the_scenario_wrote_every_kind_of_file(scenario: Scenario) -> None:
    names = [p.name for p in _outputs(scenario)]
    assert any(n.endswith(".xlsx") for n in names), names
    assert any(n.endswith(".rejects.csv") for n in names), names
    assert any(n.endswith(".bundle.zip") for n in names), names
    assert any(
        n.startswith("review-hostile")
        for n in (str(p.relative_to(scenario.ws)) for p in _outputs(scenario))
    )


def test_no_formula_in_any_export(scenario: Scenario) -> None:
    files = [p for p in _outputs(scenario) if not p.name.endswith(".rejects.csv")]
    bad = [b for p in files for b in _check_file(p)]
    assert not bad, bad
    # The payloads did reach the exports (as text), so the check above saw them.
    assert any("1+1" in _text_of(p) for p in files if p.suffix in (".xlsx", ".csv"))


def test_no_formula_in_rejects(scenario: Scenario) -> None:
    """Issue 15 found ' =1+1', no-break-space and full-width payloads left in the rejects CSV."""
    files = [p for p in _outputs(scenario) if p.name.endswith(".rejects.csv")]
    assert files
    bad = [b for p in files for b in _check_file(p)]
    assert not bad, bad


def test_no_token_hash_secret_or_refused_identifier_anywhere(scenario: Scenario) -> None:
    secret_file = scenario.ws / "peerreport.secret"
    secret = secret_file.read_bytes()
    from peerreport.workspace import load_workspace

    key = load_workspace(scenario.ws).token_secret()
    needles = [*TOKENS, *(hash_token(key, t) for t in TOKENS), REFUSED]
    needles += [s for s in {secret.decode("latin-1").strip(), key.hex()} if len(s) >= 16]
    found: list[str] = []
    texts: list[tuple[str, str]] = [
        (f"json output {i}", t) for i, t in enumerate(scenario.json_outputs)
    ]
    for path in _outputs(scenario):
        text = _text_of(path)
        if path.name.endswith(".rejects.csv"):
            # The coordinator's own rows (tokens included) beside their own file, to
            # correct; but a refused identifier is shown masked even there.
            found += [f"{path.name}: {REFUSED}"] if REFUSED in text else []
            continue
        texts.append((str(path.relative_to(scenario.ws)), text))
    for where, text in texts:
        found += [f"{where}: {needle[:12]}" for needle in needles if needle in text]
    assert not found, found


def _text_of(path: Path) -> str:
    """A file's text, with the members of a zip (bundles, XLSX) unpacked."""
    import zipfile

    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            parts = [_decoded(archive.read(name)) for name in archive.namelist()]
            inner = [
                _text_of_bytes(archive.read(n)) for n in archive.namelist() if n.endswith(".xlsx")
            ]
        return "\n".join(parts + inner)
    return _decoded(data)


def _text_of_bytes(data: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(_decoded(archive.read(name)) for name in archive.namelist())


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
