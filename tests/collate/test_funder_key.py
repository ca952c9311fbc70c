"""The funder's exact figures: sealed into each bundle when filed, opened at collation."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from peerreport.bundle import Trust, load_private_key, new_key_pair, read_archive, write_archive
from peerreport.bundle.sealed import (
    SEALED_NAME,
    SealError,
    load_funder_private_key,
    new_funder_key,
    open_figures,
    parse_public_text,
    seal_figures,
)
from peerreport.bundle.signing import fingerprint
from peerreport.cli.main import cli
from peerreport.collate import collate, render_summary
from peerreport.filing import file_return
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from tests.bundle.sample import activity, build, load_rules, store, write_rules

TRUST = Trust(allow_unknown_keys=True)


def _rows(org: str, phone_calls: int, text_calls: int) -> list[dict[str, Any]]:
    """Groups, plus phone calls few enough that a provider must hide them."""
    rows = [
        activity(
            f"{org}-G{i}",
            1 + i,
            attendance=4 + i,
            mode=("in_person", "video")[i % 2],
            member_tokens=[f"{org}-m{i % 4}", f"{org}-m{(i + 1) % 4}"],
        )
        for i in range(8)
    ]
    rows += [
        activity(f"{org}-P{i}", 2 + i, kind="warm_line_call", attendance=1, mode="phone")
        for i in range(phone_calls)
    ]
    rows += [
        activity(f"{org}-T{i}", 3 + i, kind="warm_line_call", attendance=1, mode="text_online")
        for i in range(text_calls)
    ]
    return rows


@pytest.fixture
def funder(tmp_path: Path) -> tuple[Path, RuleFile]:
    """The funder's key pair, and the test rule file giving the funder exact figures."""
    pair = new_funder_key(tmp_path / "funder")
    path = write_rules(tmp_path / "rules", method="suppress")
    text = path.read_text("utf-8").replace(
        "[[measure]]",
        f'[release]\nfunder_exact = true\nfunder_key = "{pair.public_text}"\n\n[[measure]]',
        1,
    )
    path.write_text(text, "utf-8")
    return pair.private_path, load_rules(path)


def _cells(figure: Any) -> dict[Any, tuple[Any, str]]:
    return {c.key: (c.value, c.status) for c in (figure.total, *figure.cells)}


def _filed(engine: Engine, rule_file: RuleFile, org: str, folder: Path, key: Any) -> Path:
    filed = file_return(engine, build(engine, rule_file, org), rule_file, folder, key=key)
    release = rule_file.model.release
    assert release is not None and release.funder_key is not None
    assert filed.sealed_to == fingerprint(parse_public_text(release.funder_key))
    return filed.bundle_path


def test_collation_with_the_key_equals_a_build_over_every_providers_records(
    engine: Engine, funder: tuple[Path, RuleFile], tmp_path: Path
) -> None:
    private, rule_file = funder
    signing = load_private_key(new_key_pair(tmp_path / "keys").private_path)
    providers = {"P01": _rows("P01", 3, 8), "P02": _rows("P02", 4, 9), "P03": _rows("P03", 5, 10)}
    for org, rows in providers.items():
        store(engine, rows, org)
    store(engine, [r for rows in providers.values() for r in rows], "ALL")
    paths = [_filed(engine, rule_file, org, tmp_path / "inbox", signing) for org in providers]

    # Each provider had to hide its phone calls (3, 4, 5); the published figures stay protected.
    for path in paths:
        manifest = json.loads(read_archive(path.read_bytes()).entries["manifest.json"])
        assert SEALED_NAME in [f["name"] for f in manifest["files"]]
        ret = Return.from_dict(manifest["return"])
        assert _cells(ret.figure("calls"))[("phone",)] == (None, "suppressed")

    key = load_funder_private_key(private)
    opened = collate(paths, rule_file, trust=TRUST, funder_key=key)
    assert opened.exact_from == ("P01", "P02", "P03") and opened.rejected == ()
    region = build(engine, rule_file, "ALL")  # the same records as one organisation
    for figure in opened.figures:
        assert _cells(figure) == _cells(region.figure(figure.id)), figure.id
    calls = _cells(next(f for f in opened.figures if f.id == "calls"))
    # Hidden by every provider, publishable for the region: it leaves each provider's hidden
    # count anywhere from 1 to 10 (P01 at most 10 of its 11 calls, the others at least 1 each).
    assert calls[("phone",)] == (12, "exact")
    assert "key) added for\nP01, P02, P03; the regional table is protected once" in render_summary(
        opened
    )

    # Without the key the hidden cells add nothing: the region's phone calls stay hidden.
    blind = collate(paths, rule_file, trust=TRUST)
    blind_calls = next(f for f in blind.figures if f.id == "calls")
    assert _cells(blind_calls)[("phone",)][1] == "suppressed"

    # Another funder's key is refused in a plain sentence naming the bundle.
    other = load_funder_private_key(new_funder_key(tmp_path / "other").private_path)
    with pytest.raises(SealError, match=r"P01.*sealed to key SHA256:"):
        collate(paths, rule_file, trust=TRUST, funder_key=other)

    # The same through the command line: a plain sentence and exit code 2, or the exact sums.
    command = ["collate", *map(str, paths), "--rules", str(rule_file.path), "--allow-unknown-keys"]
    out = ["--out", str(tmp_path / "region.xlsx")]
    other_file = str(tmp_path / "other" / "funder.x25519.key")
    refused = CliRunner().invoke(cli, [*command, *out, "--funder-key", other_file])
    assert refused.exit_code == 2 and "sealed to key SHA256:" in refused.output
    assert "Traceback" not in refused.output
    done = CliRunner().invoke(cli, [*command, *out, "--funder-key", str(private)])
    assert done.exit_code == 0, done.output
    assert "exact figures added from 3 provider(s): P01, P02, P03" in done.output

    # An altered sealed part: the manifest's sha256 no longer matches, so the bundle is rejected.
    archive = read_archive(paths[0].read_bytes())
    entries = dict(archive.entries)
    sealed = json.loads(entries[SEALED_NAME])
    sealed["ciphertext"] = sealed["ciphertext"][::-1]
    entries[SEALED_NAME] = json.dumps(sealed).encode()
    paths[0].write_bytes(write_archive(entries, archive.comment))
    tampered = collate(paths, rule_file, trust=TRUST, funder_key=key)
    assert [r.provider for r in tampered.rejected] == ["P01"]
    assert SEALED_NAME in tampered.rejected[0].reason


def test_a_sealed_part_opens_only_with_its_key_and_for_its_own_return(tmp_path: Path) -> None:
    pair = new_funder_key(tmp_path)
    key = load_funder_private_key(pair.private_path)
    context = {"organisation": "P01", "revision": 3}
    figures = {"format": "peerreport-exact/1", "figures": [{"id": "calls", "value": 2}]}
    sealed = seal_figures(figures, pair.public_text, context)
    assert open_figures(sealed, key, context) == figures
    assert seal_figures(figures, pair.public_text, context) != sealed  # a fresh ephemeral key
    assert b'"value": 2' not in sealed and b"calls" not in sealed
    with pytest.raises(SealError, match="another return"):
        open_figures(sealed, key, {**context, "organisation": "P02"})  # moved to another bundle
    entry = json.loads(sealed)
    flipped = bytearray(entry["ciphertext"].encode())
    flipped[5] = ord("A") if flipped[5] != ord("A") else ord("B")
    entry["ciphertext"] = flipped.decode()
    with pytest.raises(SealError, match="altered"):
        open_figures(json.dumps(entry).encode(), key, context)


def test_keys_funder_new_and_a_signing_key_given_as_the_funder_key(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "funder-new", "--out", str(tmp_path / "k")])
    assert made.exit_code == 0, made.output
    assert 'funder_key = "x25519:' in made.output
    private = tmp_path / "k" / "funder.x25519.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    again = runner.invoke(cli, ["keys", "funder-new", "--out", str(tmp_path / "k")])
    assert again.exit_code == 2 and "refusing to overwrite" in again.output
    signing = new_key_pair(tmp_path / "sign").private_path
    with pytest.raises(Exception, match="not an X25519 key"):
        load_funder_private_key(signing)


def test_summed_distinct_breakdowns_are_protected_with_the_distinct_rule(tmp_path: Path) -> None:
    """Region: 6 people, 6 in person, 2 by video (sum 8): the 2 is hidden, and so is the 6.

    Cell by cell, the total 6 would be published, leaving the hidden 2 at 1..6.
    """
    from peerreport.bundle import bundle_bytes
    from tests.bundle.sample import published

    path = write_rules(tmp_path / "rules", method="suppress")
    text = path.read_text("utf-8").replace(
        'distinct = "member_tokens"', 'distinct = "member_tokens"\nby = ["mode"]'
    )
    path.write_text(text, "utf-8")
    rule_file = load_rules(path)
    modes = {"in_person": 3, "phone": 0, "video": 1, "text_online": 0, None: 0}
    paths = []
    for org in ("P01", "P02"):
        ret = published(rule_file, org, {"sessions": 20, "people": (3, modes)})
        paths.append(tmp_path / f"{org}.zip")
        paths[-1].write_bytes(bundle_bytes(ret, {"r.json": ret.to_json().encode()}))
    collated = collate(paths, rule_file, trust=Trust(allow_unsigned=True))
    people = _cells(next(f for f in collated.figures if f.id == "people"))
    assert people[("video",)] == (None, "suppressed")
    assert people[()] == (None, "suppressed")
    assert people[("in_person",)] == (6, "exact")


def test_the_identifier_scan_skips_the_sealed_parts_random_values() -> None:
    """Ciphertext is random base64 and can look like an NHI by chance, as keys can."""
    from peerreport.audit.scan import scan_bundle

    entry = {"ephemeral_key": "A" * 43 + "=", "ciphertext": "AAAA+ZAC5361/AAA"}
    assert scan_bundle({SEALED_NAME: json.dumps(entry).encode()}) == []
    entry["note"] = "call +ZAC5361/ today"  # the same text anywhere else is still found
    assert [f.code for f in scan_bundle({SEALED_NAME: json.dumps(entry).encode()})] == ["SCN-001"]


def test_collate_audits_with_a_collation_published_before(
    engine: Engine, funder: tuple[Path, RuleFile], tmp_path: Path
) -> None:
    """--published-before reads `collate --json`; one it cannot link is said out loud."""
    private, rule_file = funder
    signing = load_private_key(new_key_pair(tmp_path / "keys").private_path)
    providers = {"P01": _rows("P01", 3, 8), "P02": _rows("P02", 4, 9), "P03": _rows("P03", 5, 10)}
    paths = {}
    for org, rows in providers.items():
        store(engine, rows, org)
        paths[org] = _filed(engine, rule_file, org, tmp_path / "inbox", signing)
    base = ["--rules", str(rule_file.path), "--allow-unknown-keys", "--funder-key", str(private)]

    def run(*args: str) -> Any:
        out = ["--out", str(tmp_path / "region.xlsx")]
        return CliRunner().invoke(cli, ["collate", *args, *base, *out])

    first = run(*(str(p) for p in paths.values()), "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert all(len(p["sha256"]) == 64 for p in data["providers"])
    (tmp_path / "first.json").write_text(first.output, "utf-8")
    earlier = ["--published-before", str(tmp_path / "first.json")]

    # The same bundles again: linked, nothing to say.
    again = run(*(str(p) for p in paths.values()), *earlier)
    assert again.exit_code == 0 and "NOT AUDITED" not in again.output, again.output

    # Without P03: the first one less this one is P03's, and this audit cannot see P03.
    fewer = run(str(paths["P01"]), str(paths["P02"]), *earlier)
    assert fewer.exit_code == 1, fewer.output
    assert "NOT AUDITED WITH" in fewer.output and "it added 1 bundle(s)" in fewer.output

    # Not a collation: a plain sentence naming the file, exit 2.
    (tmp_path / "bad.json").write_text('{"figures": 3}', "utf-8")
    bad = run(str(paths["P01"]), "--published-before", str(tmp_path / "bad.json"))
    assert bad.exit_code == 2 and "bad.json: not a collation written by" in bad.output
    assert "Traceback" not in bad.output
