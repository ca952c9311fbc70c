"""Reference docs generated from code stay in step with it."""

from __future__ import annotations

import difflib
from pathlib import Path

from peerreport.records.docs import render_records_doc

ROOT = Path(__file__).resolve().parents[1]


def test_records_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "records.md").read_text("utf-8")
    assert committed == render_records_doc(), (
        "docs/records.md is stale: run `python -m peerreport.records.docs > docs/records.md`"
    )


def test_readme_quick_start_has_exactly_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("peerreport demo")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert tests in ci.splitlines(), ".ci/run must run the README's test command exactly"


def test_cli_reference_is_up_to_date() -> None:
    from peerreport.cli.reference import render_cli_reference

    committed = (ROOT / "docs" / "cli.md").read_text("utf-8")
    fresh = render_cli_reference()
    diff = "\n".join(difflib.unified_diff(committed.splitlines(), fresh.splitlines(), n=1))
    assert not diff, (
        "docs/cli.md is stale: run `python -m peerreport.cli.reference > docs/cli.md`\n" + diff
    )


def test_every_command_has_help_with_an_example() -> None:
    from peerreport.cli.main import cli
    from peerreport.cli.reference import _walk

    for path, command in _walk(cli, ["peerreport"]):
        if path == ["peerreport"] or hasattr(command, "commands"):
            continue
        assert command.help, f"{' '.join(path)} has no help"
        assert "Example" in command.help, f"{' '.join(path)} has no example in its help"
