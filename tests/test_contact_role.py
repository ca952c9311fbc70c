"""The workspace's contact role: set once, refused when it holds an identifier, carried on
every return (its JSON, its cover, a funder's template field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli
from peerreport.errors import WorkspaceError
from peerreport.render.display import cover_fields
from peerreport.returns.model import Return
from peerreport.workspace import CONFIG_NAME, load_workspace, write_workspace
from tests.helpers import ACTIVITY_HEADER, write_csv
from tests.render.sample import sample_return


def _config(tmp_path: Path, organisation: str) -> Path:
    (tmp_path / CONFIG_NAME).write_text(
        f'[organisation]\nname = "Kōwhai"\nprovider_code = "K01"\n{organisation}\n',
        encoding="utf-8",
    )
    return tmp_path


def test_a_role_is_read_and_trimmed(tmp_path: Path) -> None:
    workspace = load_workspace(_config(tmp_path, 'contact_role = "  Service coordinator "'))
    assert workspace.contact_role == "Service coordinator"


def test_no_role_is_none(tmp_path: Path) -> None:
    assert load_workspace(_config(tmp_path, "")).contact_role is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"coordinator@kowhai.example.org"', "looks like an e-mail address"),
        ('"Call 021 555 0123"', "looks like"),
        ('""', "is empty"),
        ('"' + "x" * 81 + '"', "81 characters long"),
        ("3", "must be text"),
    ],
)
def test_a_role_holding_an_identifier_is_refused_in_plain_words(
    tmp_path: Path, value: str, expected: str
) -> None:
    config = _config(tmp_path, f"contact_role = {value}")
    with pytest.raises(WorkspaceError) as raised:
        load_workspace(config)
    message = str(raised.value)
    assert "[organisation] contact_role" in message and CONFIG_NAME in message
    assert expected in message
    assert "kowhai.example.org" not in message and "555 0123" not in message


def test_write_workspace_keeps_the_role_or_leaves_a_commented_example(tmp_path: Path) -> None:
    with_role = write_workspace(tmp_path / "a", "Kōwhai", "K01", contact_role="Peer lead")
    assert with_role.contact_role == "Peer lead"
    without = write_workspace(tmp_path / "b", "Kōwhai", "K01")
    assert without.contact_role is None
    assert '# contact_role = "Service coordinator"' in (tmp_path / "b" / CONFIG_NAME).read_text(
        "utf-8"
    )
    with pytest.raises(WorkspaceError, match="e-mail address"):
        write_workspace(tmp_path / "c", "Kōwhai", "K01", contact_role="lead@kowhai.example.org")
    assert not (tmp_path / "c" / CONFIG_NAME).exists()


def test_the_return_carries_the_role_only_when_set() -> None:
    plain = sample_return()
    assert "contact_role" not in plain.to_dict()["organisation"]
    assert ("Contact role", "Service coordinator") not in cover_fields(plain, False)
    with_role = sample_return(contact_role="Service coordinator")
    data = with_role.to_dict()
    assert data["organisation"]["contact_role"] == "Service coordinator"
    assert Return.from_dict(data).contact_role == "Service coordinator"
    assert Return.from_dict(plain.to_dict()).contact_role is None
    assert ("Contact role", "Service coordinator") in cover_fields(with_role, False)


def test_init_and_build_keep_the_role(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    made = runner.invoke(
        cli,
        [
            *("init", str(folder), "--name", "Kōwhai Test Network", "--provider-code", "KTN01"),
            *("--contact-role", "Service coordinator", "--db", db_url),
        ],
    )
    assert made.exit_code == 0, made.output
    assert "contact role: Service coordinator" in made.output
    log = write_csv(
        folder / "activities.csv",
        [ACTIVITY_HEADER, ["A1", "14/08/2026", "group", "9", "", ""]],
    )
    assert runner.invoke(cli, ["import", str(log), "-w", str(folder)]).exit_code == 0
    built = runner.invoke(
        cli, ["build", "example-peer-core", "-p", "FY2027-Q1", "--json", "-w", str(folder)]
    )
    assert built.exit_code in (0, 1), built.output
    assert json.loads(built.output)["organisation"]["contact_role"] == "Service coordinator"

    refused = runner.invoke(
        cli,
        [
            *("init", str(tmp_path / "other"), "--name", "Other", "--provider-code", "O1"),
            *("--contact-role", "lead@kowhai.example.org", "--db", db_url),
        ],
    )
    assert refused.exit_code == 2
    assert "e-mail address" in refused.output and "Traceback" not in refused.output
