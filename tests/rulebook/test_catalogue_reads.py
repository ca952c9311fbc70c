"""A catalogue reads each rule file as it is now, whatever it read before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peerreport.rulebook import Catalogue


def test_a_rule_file_rewritten_is_found_by_its_new_id(
    write_rules: Callable[..., Path], tmp_path: Path
) -> None:
    """Ids are remembered by the file's text, never by its name: a file given another id
    (the same length, in the same second) is found under the new one."""
    path = write_rules(aaaa="")
    assert Catalogue([tmp_path]).find("aaaa") == path
    path.write_text(path.read_text("utf-8").replace('"aaaa"', '"bbbb"'), "utf-8")
    rewritten = Catalogue([tmp_path])
    assert rewritten.find("bbbb") == path
    assert rewritten.find("aaaa") is None
    path.write_text("id = 'bbbb'\n", "utf-8")  # no title: not a rule file
    assert Catalogue([tmp_path]).find("bbbb") is None
