"""The directory: organisations, funders, grants by role, published rule files, bundles."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, insert

from peerreport.errors import PeerreportError, UsageError
from peerreport.hosted.accounts import create_account
from peerreport.hosted.directory import (
    Scope,
    add_funder,
    add_organisation,
    bundle_of,
    funders,
    funders_of,
    grant,
    link_provider,
    materialise_rules,
    org_names,
    organisations,
    providers_of,
    publish_rule,
    published_rules,
    revoke,
    scope_of,
    store_bundle,
    template_of,
)
from peerreport.rulebook import Catalogue, RuleFileInvalid, load
from peerreport.rulebook.resolve import default_search_path
from peerreport.store.schema import submitted_return

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"

REGIONAL = """
id = "north-peer-support"
title = "Northern Funder: peer support for adults, quarterly"
version = "2027.1"
extends = ["nz-peer-support-adults"]

[[measure]]
id = "marae_based_activities"
label = "Direct activities held on marae"
count = "activity"
where = "not community_session and setting = 'marae'"
unit = "activities"
"""
WITH_TEMPLATE = (
    REGIONAL
    + """
[export.xlsx]
template = "templates/north-q.xlsx"

[export.xlsx.cells]
marae_based_activities = "'Return'!C4"
"""
)


def _workbook(text: str = "Return") -> bytes:
    book = Workbook()
    book.active.title = text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def directory(engine: Engine) -> Engine:
    add_organisation(engine, "HPC001", "Harbour Peer Collective", now=NOW)
    add_organisation(engine, "APN002", "Awhi Peer Network", now=NOW)
    add_funder(engine, "NORTH", "Northern Funder", now=NOW)
    add_funder(engine, "EAST", "Eastern Funder", now=NOW)
    return engine


def test_organisations_and_funders_are_listed_by_name(directory: Engine) -> None:
    assert organisations(directory) == [
        ("APN002", "Awhi Peer Network"),
        ("HPC001", "Harbour Peer Collective"),
    ]
    assert funders(directory) == [("EAST", "Eastern Funder"), ("NORTH", "Northern Funder")]
    assert org_names(directory, ["HPC001", "NOPE"]) == {"HPC001": "Harbour Peer Collective"}
    assert org_names(directory, []) == {}


def test_codes_are_checked_and_never_taken_twice(directory: Engine) -> None:
    with pytest.raises(UsageError, match=r"already an organisation 'HPC001' \(Harbour"):
        add_organisation(directory, "HPC001", "Another")
    with pytest.raises(UsageError, match="already a funder 'NORTH'"):
        add_funder(directory, "NORTH", "Another")
    with pytest.raises(PeerreportError, match="provider code 'has space'"):
        add_organisation(directory, "has space", "Spaced")
    with pytest.raises(UsageError, match=re.escape("funder code '../x'")):
        add_funder(directory, "../x", "Escaping")
    with pytest.raises(UsageError, match="name must be 1-200"):
        add_funder(directory, "WEST", "   ")


def test_providers_are_linked_to_funders(directory: Engine) -> None:
    link_provider(directory, "NORTH", "HPC001", now=NOW)
    link_provider(directory, "NORTH", "APN002", now=NOW)
    link_provider(directory, "NORTH", "APN002", now=NOW)
    link_provider(directory, "EAST", "HPC001", now=NOW)
    assert providers_of(directory, "NORTH") == [
        ("APN002", "Awhi Peer Network"),
        ("HPC001", "Harbour Peer Collective"),
    ]
    assert funders_of(directory, "HPC001") == [
        ("EAST", "Eastern Funder"),
        ("NORTH", "Northern Funder"),
    ]
    with pytest.raises(UsageError, match="no funder 'WEST'"):
        link_provider(directory, "WEST", "HPC001")
    with pytest.raises(UsageError, match="no organisation 'NOPE'"):
        link_provider(directory, "NORTH", "NOPE")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("coordinator", {"org"}),
        ("funder", {"funder"}),
        ("auditor", {"org", "funder"}),
        ("admin", set()),
    ],
)
def test_each_role_is_granted_only_what_it_can_hold(
    directory: Engine, role: str, allowed: set[str]
) -> None:
    person = create_account(directory, "someone", PASSWORD, role)
    for kind, code in (("org", "HPC001"), ("funder", "NORTH")):
        if kind in allowed:
            grant(directory, "Someone", kind, code)
            grant(directory, "someone", kind, code)
        else:
            with pytest.raises(UsageError, match=f"someone is a|{role} and sees everything"):
                grant(directory, "someone", kind, code)
    assert scope_of(directory, person.id) == Scope(
        orgs=("HPC001",) if "org" in allowed else (),
        funders=("NORTH",) if "funder" in allowed else (),
    )


def test_grants_name_something_that_exists_and_can_be_taken_back(directory: Engine) -> None:
    person = create_account(directory, "aroha", PASSWORD, "coordinator")
    with pytest.raises(UsageError, match="no organisation 'NOPE'"):
        grant(directory, "aroha", "org", "NOPE")
    with pytest.raises(UsageError, match="no account 'nobody'"):
        grant(directory, "nobody", "org", "HPC001")
    with pytest.raises(UsageError, match="'org' or a 'funder'"):
        grant(directory, "aroha", "region", "HPC001")
    grant(directory, "aroha", "org", "HPC001")
    grant(directory, "aroha", "org", "APN002")
    revoke(directory, "aroha", "org", "HPC001")
    assert scope_of(directory, person.id) == Scope(orgs=("APN002",), funders=())
    with pytest.raises(UsageError, match="has no access to organisation 'HPC001'"):
        revoke(directory, "aroha", "org", "HPC001")


def test_a_rule_file_that_extends_a_shipped_one_is_published(directory: Engine) -> None:
    published = publish_rule(directory, "NORTH", REGIONAL, None, None, now=NOW)
    shipped = load("north-peer-support", Catalogue([_written(REGIONAL), *default_search_path()]))
    assert (published.rule_id, published.rule_version) == ("north-peer-support", "2027.1")
    assert published.digest == shipped.digest
    assert published.title == "Northern Funder: peer support for adults, quarterly"
    assert published.toml == REGIONAL and published.template_name is None
    again = publish_rule(directory, "NORTH", REGIONAL, None, None)
    assert again == published, "the identical file again is no change"


def _written(text: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / "rule.toml").write_text(text, "utf-8")
    return folder


def test_a_broken_rule_file_is_refused_with_the_loaders_message(directory: Engine) -> None:
    broken = REGIONAL.replace("setting = 'marae'", "setting = 'marae' and")
    with pytest.raises(RuleFileInvalid) as refused:
        publish_rule(directory, "NORTH", broken, None, None, source_name="north.toml")
    message = str(refused.value)
    assert message.startswith("rule file has 1 error:")
    assert "north.toml, measure[0].where" in message
    assert "peerreport-publish" not in message, "no temporary folder in the message"
    unknown_parent = REGIONAL.replace("nz-peer-support-adults", "nz-peer-support-adultz")
    with pytest.raises(RuleFileInvalid, match="unknown parent rule file 'nz-peer-support-adultz'"):
        publish_rule(directory, "NORTH", unknown_parent, None, None)
    with pytest.raises(RuleFileInvalid, match="not valid TOML"):
        publish_rule(directory, "NORTH", "id = ", None, None)
    assert published_rules(directory) == []


def test_a_version_is_published_once(directory: Engine) -> None:
    publish_rule(directory, "NORTH", REGIONAL, None, None, now=NOW)
    changed = REGIONAL.replace("held on marae", "held at a marae")
    with pytest.raises(
        UsageError, match=re.escape("already published north-peer-support version 2027.1")
    ):
        publish_rule(directory, "NORTH", changed, None, None)
    newer = changed.replace('version = "2027.1"', 'version = "2027.2"')
    publish_rule(directory, "NORTH", newer, None, None, now=NOW + dt.timedelta(days=1))
    assert [(r.rule_id, r.rule_version) for r in published_rules(directory)] == [
        ("north-peer-support", "2027.2")
    ]
    every = published_rules(directory, funder="NORTH", all_versions=True)
    assert [r.rule_version for r in every] == ["2027.2", "2027.1"]
    assert published_rules(directory, funders=["EAST"]) == []


def test_ids_belong_to_one_funder_and_never_shadow_a_shipped_file(directory: Engine) -> None:
    publish_rule(directory, "NORTH", REGIONAL, None, None)
    with pytest.raises(UsageError, match="NORTH has already published a rule file with the id"):
        publish_rule(directory, "EAST", REGIONAL, None, None)
    shadow = REGIONAL.replace('id = "north-peer-support"', 'id = "nz-peer-core"').replace(
        'extends = ["nz-peer-support-adults"]', ""
    )
    with pytest.raises(
        UsageError, match="'nz-peer-core' is the id of a rule file peerreport ships"
    ):
        publish_rule(directory, "EAST", shadow, None, None)
    with pytest.raises(UsageError, match="no funder 'WEST'"):
        publish_rule(directory, "WEST", REGIONAL, None, None)


def test_a_published_file_may_extend_the_funders_own_published_file(directory: Engine) -> None:
    publish_rule(directory, "NORTH", REGIONAL, None, None)
    child = """
id = "north-peer-support-youth"
title = "Northern Funder: peer support for young people"
version = "2027.1"
extends = ["north-peer-support"]
"""
    assert publish_rule(directory, "NORTH", child, None, None).rule_id == child.split('"')[1]
    with pytest.raises(RuleFileInvalid, match="unknown parent rule file 'north-peer-support'"):
        publish_rule(
            directory, "EAST", child.replace("north-peer-support-youth", "e-y"), None, None
        )


def test_a_template_is_published_with_the_rule_file_that_names_it(directory: Engine) -> None:
    workbook = _workbook()
    with pytest.raises(
        UsageError, match=re.escape("names the workbook template 'templates/north-q.xlsx'")
    ):
        publish_rule(directory, "NORTH", WITH_TEMPLATE, None, None)
    with pytest.raises(UsageError, match="names no workbook template"):
        publish_rule(directory, "NORTH", REGIONAL, workbook, "north-q.xlsx")
    with pytest.raises(UsageError, match=re.escape("not an .xlsx workbook")):
        publish_rule(directory, "NORTH", WITH_TEMPLATE, b"%PDF-1.7", "north-q.pdf")
    with pytest.raises(UsageError, match=re.escape("not an .xlsx workbook")):
        publish_rule(directory, "NORTH", WITH_TEMPLATE, b"not a zip", "north-q.xlsx")
    escaping = WITH_TEMPLATE.replace("templates/north-q.xlsx", "../north-q.xlsx")
    with pytest.raises(UsageError, match="beside the rule file or in a folder below it"):
        publish_rule(directory, "NORTH", escaping, workbook, "north-q.xlsx")
    published = publish_rule(directory, "NORTH", WITH_TEMPLATE, workbook, "Return (2).xlsx")
    assert published.template_name == "templates/north-q.xlsx"
    assert template_of(directory, published.id) == workbook
    with pytest.raises(UsageError, match="with other content; publish it as a new version"):
        publish_rule(directory, "NORTH", WITH_TEMPLATE, _workbook("Other"), "north-q.xlsx")


def test_materialised_rule_files_load_by_id_with_their_templates(
    directory: Engine, tmp_path: Path
) -> None:
    workbook = _workbook()
    publish_rule(directory, "NORTH", REGIONAL, None, None)
    newer = WITH_TEMPLATE.replace('version = "2027.1"', 'version = "2027.2"')
    publish_rule(directory, "NORTH", newer, workbook, "north-q.xlsx")
    east = REGIONAL.replace("north-peer-support", "east-peer-support")
    publish_rule(directory, "EAST", east, None, None)

    folder = tmp_path / "rules"
    written = materialise_rules(directory, folder, ["NORTH"])
    assert written == [folder / "north-peer-support.toml"]
    assert (folder / "templates" / "north-q.xlsx").read_bytes() == workbook
    catalogue = Catalogue([folder, *default_search_path()])
    loaded = load("north-peer-support", catalogue)
    assert loaded.version == "2027.2"
    assert loaded.path.parent / "templates/north-q.xlsx" == folder / "templates/north-q.xlsx"
    assert catalogue.find("east-peer-support") is None
    assert materialise_rules(directory, tmp_path / "none", []) == []


def _submission(engine: Engine, bundle_sha256: str | None) -> int:
    with engine.begin() as conn:
        done = conn.execute(
            insert(submitted_return).values(
                org="HPC001",
                rule_id="nz-peer-support-adults",
                rule_version="2026.1",
                rule_digest="sha256:" + "ef" * 32,
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
                period_label="FY2027-Q1",
                version=1,
                submitted_at=NOW,
                records_digest="sha256:" + "01" * 32,
                return_json="{}",
                bundle_sha256=bundle_sha256,
            )
        )
    return int(done.inserted_primary_key[0])


def test_a_received_bundle_is_kept_as_it_came(directory: Engine) -> None:
    data = b"PK\x03\x04 a sealed bundle"
    submission = _submission(directory, hashlib.sha256(data).hexdigest())
    assert bundle_of(directory, submission) is None
    with pytest.raises(UsageError, match="not the bundle filed as submitted return"):
        store_bundle(directory, submission, "HPC001", b"another", "upload")
    with pytest.raises(UsageError, match="APN002 has no submitted return"):
        store_bundle(directory, submission, "APN002", data, "upload")
    with pytest.raises(UsageError, match="not 'email'"):
        store_bundle(directory, submission, "HPC001", data, "email")
    sha = store_bundle(directory, submission, "HPC001", data, "filed", now=NOW)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store_bundle(directory, submission, "HPC001", data, "upload") == sha
    assert bundle_of(directory, submission) == data
    unsealed = _submission_v2(directory)
    store_bundle(directory, unsealed, "HPC001", b"first", "api")
    with pytest.raises(UsageError, match="a different bundle is already kept"):
        store_bundle(directory, unsealed, "HPC001", b"second", "api")


def _submission_v2(engine: Engine) -> int:
    with engine.begin() as conn:
        done = conn.execute(
            insert(submitted_return).values(
                org="HPC001",
                rule_id="nz-peer-support-adults",
                rule_version="2026.1",
                rule_digest="sha256:" + "ef" * 32,
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
                period_label="FY2027-Q1",
                version=2,
                supersedes_version=1,
                reason="late log",
                submitted_at=NOW,
                records_digest="sha256:" + "01" * 32,
                return_json="{}",
                bundle_sha256=None,
            )
        )
    return int(done.inserted_primary_key[0])
