"""`rules release` and the lint against released versions (RUL-066, RUL-067)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from peerreport.cli.main import cli
from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.releases import REGISTER, read_register

RULES = """\
id = "released"
title = "Released return"
version = "{version}"
period = "quarter"

[[measure]]
id = "calls"
label = "{label}"
count = "activity"
where = "kind = '{kind}'"
"""


def write(
    folder: Path, version: str = "1", label: str = "Calls", kind: str = "warm_line_call"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "released.toml"
    path.write_text(RULES.format(version=version, label=label, kind=kind), "utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in done.output
    return done.exit_code, done.output


def test_a_released_version_cannot_change_what_it_counts(tmp_path: Path) -> None:
    path = write(tmp_path)
    code, output = run("rules", "release", str(path))
    assert code == 0 and output.startswith("recorded: released version 1")
    [entry] = read_register(tmp_path / REGISTER)
    original = load(path, Catalogue([tmp_path]))
    assert (entry.digest, entry.meaning) == (original.digest, original.meaning)
    assert run("rules", "lint", str(path)) == (0, f"ok   {path}\n")

    # Releasing the same file again records nothing new.
    code, output = run("rules", "release", str(path))
    assert code == 0 and output.startswith("already recorded")
    assert len(read_register(tmp_path / REGISTER)) == 1

    # What it counts changes under the same version: lint fails, release is refused.
    write(tmp_path, kind="group")
    code, output = run("rules", "lint", str(path))
    assert code == 1 and "what this file counts has changed since" in output
    _, data = run("rules", "lint", str(path), "--json")
    assert [f["code"] for f in json.loads(data)[str(path)]] == ["RUL-066"]
    code, output = run("rules", "release", str(path))
    assert code == 2 and "give it a new version" in output
    assert len(read_register(tmp_path / REGISTER)) == 1

    # A new version is fine, and can be released.
    write(tmp_path, version="2", kind="group")
    assert run("rules", "lint", str(path))[0] == 0
    code, output = run("rules", "release", str(path), "--json")
    assert code == 0 and json.loads(output)["recorded"] is True
    assert [e.version for e in read_register(tmp_path / REGISTER)] == ["1", "2"]


def test_a_wording_change_under_a_released_version_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert run("rules", "release", str(path))[0] == 0
    write(tmp_path, label="Warm line calls")
    code, output = run("rules", "lint", str(path))
    assert code == 0 and output.startswith("warn") and "its wording has changed" in output
    _, data = run("rules", "lint", str(path), "--json")
    assert [f["code"] for f in json.loads(data)[str(path)]] == ["RUL-067"]
    # Released again with its new wording: the lint compares with the latest release.
    assert run("rules", "release", str(path))[0] == 0
    assert run("rules", "lint", str(path)) == (0, f"ok   {path}\n")


def test_a_register_that_is_not_one_is_named(tmp_path: Path) -> None:
    path = write(tmp_path)
    (tmp_path / REGISTER).write_text('{"id": "released"}\nnot json\n', "utf-8")
    code, output = run("rules", "release", str(path))
    assert code == 2 and f"{REGISTER}, line 1: not a release peerreport recorded" in output
