"""A hosted funder's collation opens sealed exact figures with the key in the data folder."""

from __future__ import annotations

from pathlib import Path

from peerreport.bundle.sealed import new_funder_key
from peerreport.hosted.collation import collate_accepted, funder_key_path, published_rule_file
from peerreport.hosted.directory import publish_rule
from peerreport.hosted.published import write_published
from peerreport.ledger.lifecycle import ACCEPTED, record_event
from peerreport.returns.periods import parse_period
from tests.hosted.helpers import (
    FUNDER,
    ORG_A,
    ORG_A_NAME,
    PERIOD,
    RULE_ID,
    RULE_TEXT,
    Hosted,
    file_on_server,
    sample_log,
)


def test_the_funders_collation_adds_exact_figures_with_its_key(
    hosted: Hosted, tmp_path: Path
) -> None:
    data_dir = hosted.config.data_dir
    key = funder_key_path(data_dir, FUNDER)
    pair = new_funder_key(key.parent, key.name.removesuffix(".x25519.key"))
    assert pair.private_path == key
    text = RULE_TEXT.replace('version = "2026.1"', 'version = "2026.2"')
    release = f'\n[release]\nfunder_exact = true\nfunder_key = "{pair.public_text}"\n'
    publish_rule(hosted.engine, FUNDER, text + release, None, None)
    write_published(hosted.config, hosted.engine, [FUNDER])  # where providers' filing finds it
    ident = file_on_server(
        hosted.config, hosted.engine, ORG_A, ORG_A_NAME, FUNDER, RULE_ID, sample_log(tmp_path)
    )
    record_event(hosted.engine, ORG_A, ident, ACCEPTED)
    rule_file = published_rule_file(hosted.engine, data_dir, FUNDER, RULE_ID)
    period = parse_period(PERIOD, rule_file.model.year_start or "07-01")

    opened = collate_accepted(hosted.engine, data_dir, FUNDER, rule_file, period)
    assert opened.exact_from == (ORG_A,) and opened.rejected == ()
    key.unlink()
    blind = collate_accepted(hosted.engine, data_dir, FUNDER, rule_file, period)
    assert blind.exact_from == ()
    # With exact figures nothing is a lower bound; without, the provider's hidden cells are.
    assert not any(c.incomplete for f in opened.figures for c in (f.total, *f.cells))
    assert any(c.incomplete for f in blind.figures for c in (f.total, *f.cells))
