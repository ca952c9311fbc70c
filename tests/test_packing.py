"""`peerreport rules pack`: what a funder sends providers, checked file by file."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from peerreport.bundle.sealed import public_text
from peerreport.cli.main import cli
from peerreport.render.template_lint import lint_template
from peerreport.rulebook import Catalogue, RuleFileInvalid, load
from peerreport.templates_intake import SHEET_NAMES
from tests.render.funder_template import SHEET, build_template

SHIPPED = sorted(Catalogue().index().items())
FUNDER_KEY = public_text(bytes(range(32)))

TAILORED = f"""
id = "funder-q"
title = "Funder quarterly return"
version = "2026.1"
extends = ["example-tailored"]

[release]
funder_exact = true
funder_key = "{FUNDER_KEY}"

[[measure]]
id = "calls"
label = "Warm-line calls"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[export.xlsx]
template = "templates/funder-q.xlsx"

[export.xlsx.cells]
group_sessions = "'{SHEET}'!D9"
"calls[phone]" = "'{SHEET}'!D10"
"""


def _pack(target: str | Path, out: Path) -> str:
    result = CliRunner().invoke(cli, ["rules", "pack", str(target), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _unzip(archive: Path, into: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
        return {name: opened.read(name) for name in opened.namelist()}


@pytest.mark.parametrize(("rule_id", "path"), SHIPPED, ids=[r for r, _ in SHIPPED])
def test_every_shipped_rule_file_packs_and_loads_alone_with_the_same_digests(
    rule_id: str, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = load(path)
    _pack(path, tmp_path / "pack.zip")
    files = _unzip(tmp_path / "pack.zip", tmp_path / "opened")
    assert set(files) == {
        f"{rule_id}.toml",
        f"{rule_id}.html",
        f"{rule_id}-intake.xlsx",
        "README.txt",
        "manifest.json",
    }
    # Loaded where no other rule file can be found: it needs none.
    monkeypatch.setenv("PEERREPORT_RULES_PATH", str(tmp_path / "opened"))
    packed = load(tmp_path / "opened" / f"{rule_id}.toml", Catalogue([tmp_path / "opened"]))
    assert (packed.digest, packed.meaning) == (original.digest, original.meaning)
    assert packed.model.extends == [] and packed.model.resolved
    manifest = json.loads(files["manifest.json"])
    assert manifest["rule_id"] == rule_id
    assert manifest["digest"] == original.digest
    assert manifest["meaning"] == original.meaning
    assert manifest["lineage"] == list(original.lineage)
    for name, checksum in manifest["files"].items():
        assert checksum == "sha256:" + hashlib.sha256(files[name]).hexdigest(), name
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    assert original.model.title in files[f"{rule_id}.html"].decode("utf-8")
    workbook = openpyxl.load_workbook(tmp_path / "opened" / f"{rule_id}-intake.xlsx")
    assert set(SHEET_NAMES.values()) <= set(workbook.sheetnames)


def test_a_pack_with_a_template_and_a_funder_key_carries_both(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "templates").mkdir(parents=True)
    build_template(source / "templates" / "funder-q.xlsx")
    (source / "funder-q.toml").write_text(TAILORED, "utf-8")
    original = load(source / "funder-q.toml")
    _pack(source / "funder-q.toml", tmp_path / "pack")  # a folder this time
    out = tmp_path / "pack"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"templates/funder-q.xlsx", "funder.x25519.pub", "funder-q.toml"} <= names
    assert (out / "templates" / "funder-q.xlsx").read_bytes() == (
        source / "templates" / "funder-q.xlsx"
    ).read_bytes()
    assert (out / "funder.x25519.pub").read_text("ascii") == FUNDER_KEY + "\n"
    packed = load(out / "funder-q.toml", Catalogue([out]))
    assert (packed.digest, packed.meaning) == (original.digest, original.meaning)
    assert packed.model.export is not None and packed.model.export.xlsx is not None
    assert packed.model.export.xlsx.template == "templates/funder-q.xlsx"
    assert packed.model.export.xlsx.cells == original.model.export.xlsx.cells  # type: ignore[union-attr]
    assert lint_template(packed) == []  # the packed file finds its template in the pack
    assert [r.target for r in packed.model.remove] == [r.target for r in original.model.remove]


def test_a_missing_template_is_a_plain_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "funder-q.toml").write_text(TAILORED, "utf-8")
    result = CliRunner().invoke(
        cli, ["rules", "pack", str(tmp_path / "funder-q.toml"), "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 2, result.output
    assert "[export.xlsx] template = 'templates/funder-q.xlsx'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("name", ["pack.zip", "pack"])
def test_nothing_is_overwritten(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    if name.endswith(".zip"):
        out.write_bytes(b"someone's file")
    else:
        out.mkdir()
    result = CliRunner().invoke(cli, ["rules", "pack", "example-peer-core", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{out} already exists" in result.output
    if name.endswith(".zip"):
        assert out.read_bytes() == b"someone's file"
    else:
        assert os.listdir(out) == []


def test_the_packed_rule_file_is_the_same_text_when_packed_twice(tmp_path: Path) -> None:
    _pack("example-peer-support", tmp_path / "one.zip")
    _pack("example-peer-support", tmp_path / "two.zip")
    one = _unzip(tmp_path / "one.zip", tmp_path / "one")
    two = _unzip(tmp_path / "two.zip", tmp_path / "two")
    assert one["example-peer-support.toml"] == two["example-peer-support.toml"]
    assert one["README.txt"] == two["README.txt"]


def test_a_resolved_file_cannot_extend(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(
        'id = "x"\ntitle = "X"\nversion = "1"\nresolved = true\nextends = ["example-peer-core"]\n',
        "utf-8",
    )
    with pytest.raises(RuleFileInvalid) as caught:
        load(path)
    assert "resolved = true marks a self-contained file" in str(caught.value)


def test_only_a_resolved_file_may_remove_what_it_does_not_inherit(tmp_path: Path) -> None:
    body = (
        'id = "x"\ntitle = "X"\nversion = "1"\n{mark}'
        '[[remove]]\nmeasure = "gone"\nreason = "the funder no longer asks"\n'
        '[[measure]]\nid = "sessions"\ncount = "activity"\n'
    )
    path = tmp_path / "x.toml"
    path.write_text(body.format(mark=""), "utf-8")
    with pytest.raises(RuleFileInvalid) as caught:
        load(path)
    assert "remove of measure 'gone', which is not inherited" in str(caught.value)
    path.write_text(body.format(mark="resolved = true\n"), "utf-8")
    assert [r.target for r in load(path).model.remove] == ["gone"]
