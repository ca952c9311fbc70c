"""`peerreport rules doc`: a readable specification of every shipped return."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from peerreport.cli.main import cli
from peerreport.render.ruledoc import render_rule_doc
from peerreport.rulebook import load

RULES = sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.toml"))


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_every_figure_and_check_is_described(path: Path) -> None:
    rule_file = load(path)
    page = render_rule_doc(rule_file)
    assert f"<title>{escape(rule_file.model.title)!s}" in page
    for measure in rule_file.measures.values():
        assert str(escape(measure.measure.label or measure.id)) in page
        assert f"<code>{measure.id}</code>" in page
    for check in rule_file.checks.values():
        assert f"<code>{check.id}</code>" in page
        assert str(escape(check.check.message)) in page
    assert "Protecting small counts" in page


def test_rules_doc_command_and_escaping(tmp_path: Path) -> None:
    rules = tmp_path / "odd.toml"
    rules.write_text(
        'id = "odd"\ntitle = "<script>alert(1)</script> return"\nversion = "1"\n'
        '[[measure]]\nid = "groups"\nlabel = "Groups & <b>"\ncount = "activity"\n'
        "where = \"kind = 'group'\"\n",
        "utf-8",
    )
    out = tmp_path / "spec.html"
    result = CliRunner().invoke(cli, ["rules", "doc", str(rules), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "Groups &amp; &lt;b&gt;" in page
    missing = CliRunner().invoke(cli, ["rules", "doc", "no-such-return", "--out", str(out)])
    assert missing.exit_code == 2 and "no rule file" in missing.output
