"""A hosted server for tests, and bundles made by a provider's own install (the local workflow)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from peerreport.hosted.config import ServerConfig
from tests.migrated import migrate

#: The funder's rule file: its own id, built on a shipped one (a shipped id cannot be published).
RULE_ID = "harbour-adults"
RULE_TEXT = """\
id = "harbour-adults"
title = "Harbour District: adult peer support, quarterly"
version = "2026.1"
extends = ["nz-peer-support-adults"]
"""
PERIOD = "FY2026-Q4"  # April to June 2026
QUARTER = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
ORG_A, ORG_A_NAME = "HPC001", "Harbour Peer Collective"
ORG_B, ORG_B_NAME = "OTH002", "Otago Peer Network"
FUNDER, FUNDER_NAME = "HDF", "Harbour District Funder"
OTHER_FUNDER, OTHER_FUNDER_NAME = "SDF", "Southern District Funder"
BASE_URL = "http://testserver"
SECRET = "s" * 40


def sample_log(folder: Path, seed: int = 2026) -> Path:
    """The synthetic organisation's activity log for the quarter, as a workbook (`seed` picks
    which organisation's: another seed, other activities)."""
    from peerreport.samples.generator import SampleSpec
    from peerreport.samples.writer import write_samples

    path = folder / "activity-log.xlsx"
    write_samples(path, SampleSpec(records=None, seed=seed, start=QUARTER[0], end=QUARTER[1]))
    return path


def local_install(root: Path, code: str, name: str, log: Path) -> Path:
    """A provider's own workspace (its SQLite database), with the quarter's records imported."""
    from peerreport.intake import ImportSettings, import_files
    from peerreport.store.database import open_engine
    from peerreport.workspace import write_workspace

    workspace = write_workspace(root, name, code)
    migrate(workspace.database_url)
    engine = open_engine(workspace.database_url)
    assert import_files(engine, [log], ImportSettings.for_workspace(workspace)).stored
    engine.dispose()
    return root


def rule_path(folder: Path) -> Path:
    """The funder's rule file as a provider keeps it (they filed with the published text)."""
    path = folder / f"{RULE_ID}.toml"
    if not path.exists():
        path.write_text(RULE_TEXT, "utf-8")
    return path


def peerreport(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run the `peerreport` command in-process."""
    from peerreport.cli.main import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def file_locally(root: Path, rules: Path, *extra: str) -> Path:
    """`peerreport submit` in the provider's workspace; the bundle it wrote."""
    done = peerreport(
        "submit",
        str(rules),
        "--period",
        PERIOD,
        "--workspace",
        str(root),
        "--format",
        "json",
        "--json",
        *extra,
    )
    assert done.exit_code == 0, done.output
    return Path(json.loads(done.output)["bundle"])


@dataclass(frozen=True)
class LocalBundles:
    """Bundles made by two providers' own installs."""

    a_v1: bytes
    a_v2: bytes  # an amendment of a_v1
    b_v1: bytes  # another organisation's
    #: Each provider's signing key (fingerprint), as `peerreport keys show` prints it.
    keys: dict[str, str]

    def register(self, engine: Engine) -> None:
        """Register both providers' keys on a server, as its admin does (`admin key add`)."""
        from peerreport.hosted.keys import add_key

        for org, fingerprint in self.keys.items():
            add_key(engine, org, fingerprint)


@dataclass
class Hosted:
    """A hosted server on a test database: its configuration, engine, client and API tokens."""

    config: ServerConfig
    engine: Engine
    client: TestClient
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        """The Authorization header of `who`'s token (an organisation or funder code)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def send(self, who: str, data: bytes, kind: str = "application/zip") -> Any:
        """POST a bundle with `who`'s token."""
        headers = {**self.auth(who), "Content-Type": kind}
        return self.client.post("/api/v1/bundles", content=data, headers=headers)

    def returns(self, who: str, **query: str) -> list[dict[str, Any]]:
        """The returns `who`'s token lists."""
        answer = self.client.get("/api/v1/returns", params=query, headers=self.auth(who))
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["returns"]
        return found

    def stored(self) -> tuple[int, int]:
        """(submitted returns in the ledger, bundles kept)."""
        from peerreport.store.hosted_schema import received_bundle
        from peerreport.store.schema import submitted_return

        with self.engine.connect() as conn:
            ledger = conn.execute(select(func.count()).select_from(submitted_return)).scalar()
            kept = conn.execute(select(func.count()).select_from(received_bundle)).scalar()
        return int(ledger or 0), int(kept or 0)


def server_config(database_url: str, data_dir: Path, base_url: str = BASE_URL) -> ServerConfig:
    """A hosted server's configuration for tests."""
    return ServerConfig(
        database_url=database_url, secret_key=SECRET, base_url=base_url, data_dir=data_dir
    )


def populate(engine: Engine) -> dict[str, str]:
    """Organisations A and B, funders reporting from A and from B, the first one's published
    rule file, and an API token for each organisation and funder (by its code)."""
    from peerreport.hosted.accounts import issue_token
    from peerreport.hosted.directory import (
        add_funder,
        add_organisation,
        link_provider,
        publish_rule,
    )

    add_organisation(engine, ORG_A, ORG_A_NAME)
    add_organisation(engine, ORG_B, ORG_B_NAME)
    add_funder(engine, FUNDER, FUNDER_NAME)
    add_funder(engine, OTHER_FUNDER, OTHER_FUNDER_NAME)
    link_provider(engine, FUNDER, ORG_A)
    link_provider(engine, OTHER_FUNDER, ORG_B)
    publish_rule(engine, FUNDER, RULE_TEXT, None, None)
    return {
        ORG_A: issue_token(engine, "org", ORG_A, "tests"),
        ORG_B: issue_token(engine, "org", ORG_B, "tests"),
        FUNDER: issue_token(engine, "funder", FUNDER, "tests"),
        OTHER_FUNDER: issue_token(engine, "funder", OTHER_FUNDER, "tests"),
    }


def rebuilt(data: bytes, change: Any) -> bytes:
    """The bundle with its entries changed by `change(entries) -> comment or None`, re-zipped."""
    from peerreport.bundle import read_archive, write_archive

    archive = read_archive(data)
    entries = dict(archive.entries)
    comment = change(entries) or archive.comment
    return write_archive(entries, comment)


def tampered(data: bytes) -> bytes:
    """A rendered file inside the bundle edited (the manifest left as it was)."""

    def edit(entries: dict[str, bytes]) -> None:
        name = next(n for n in sorted(entries) if n.endswith(".json") and n != "manifest.json")
        entries[name] = entries[name].replace(b'"value": ', b'"value": 1', 1)

    return rebuilt(data, edit)


def unsigned(data: bytes) -> bytes:
    """The bundle without its signature."""
    return rebuilt(data, lambda entries: entries.pop("signature.json") and None)


def resigned(data: bytes) -> bytes:
    """The bundle signed again, validly, with a new key no one registered (files unchanged)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from peerreport.bundle.signing import sign

    def edit(entries: dict[str, bytes]) -> None:
        entries["signature.json"] = sign(entries["manifest.json"], Ed25519PrivateKey.generate())

    return rebuilt(data, edit)


def forged(data: bytes) -> bytes:
    """The manifest edited and sealed again, with the original signature (now over other bytes)."""
    from peerreport.bundle.manifest import seal

    def edit(entries: dict[str, bytes]) -> bytes:
        manifest = entries["manifest.json"].replace(ORG_A_NAME.encode(), b"Harbour Peer Co", 1)
        assert manifest != entries["manifest.json"]
        entries["manifest.json"] = manifest
        return seal(manifest)

    return rebuilt(data, edit)


def file_on_server(
    config: ServerConfig,
    engine: Engine,
    org: str,
    name: str,
    funder: str,
    rule_id: str,
    log: Path,
    reason: str | None = None,
) -> int:
    """Import `log` into `org`'s folder on the server and file the funder's return, as the
    coordinator's pages do (the bundle kept for the funder); the submission's ledger id."""
    from peerreport.filing import period_of, submit_return
    from peerreport.hosted.directory import store_bundle
    from peerreport.hosted.orgs import ensure_org_workspace
    from peerreport.hosted.published import published_folder
    from peerreport.intake import ImportSettings, import_files
    from peerreport.rulebook import Catalogue, load
    from peerreport.rulebook.resolve import default_search_path

    workspace = ensure_org_workspace(config, org, name, (rule_id,))
    if reason is None:
        assert import_files(engine, [log], ImportSettings.for_workspace(workspace)).stored
    catalogue = Catalogue([published_folder(config, funder), *default_search_path()])
    rule_file = load(rule_id, catalogue)
    done = submit_return(
        workspace,
        engine,
        rule_file,
        period_of(rule_file, PERIOD),
        reason=reason,
        same_anyway=lambda _: True,
    )
    assert done.filed is not None, [f.message for f in done.ret.findings]
    ident = done.filed.submission.id
    store_bundle(engine, ident, org, done.filed.bundle_path.read_bytes(), "filed")
    return ident
