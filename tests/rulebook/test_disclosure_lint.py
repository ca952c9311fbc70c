"""The disclosure lint: policies publishing small counts, figures in messages, overlaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.bundle.sealed import new_funder_key
from peerreport.cli.main import cli
from peerreport.errors import RuleFileError
from peerreport.rulebook import Catalogue, digest, lint, load, overlapping_between

HEAD = 'id = "{id}"\ntitle = "T"\nversion = "1"\n'
SAFE = """
[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"
by = ["mode"]
"""


def _write(folder: Path, ident: str, body: str, extends: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ident}.toml"
    head = HEAD.format(id=ident) + (f'extends = ["{extends}"]\n' if extends else "")
    path.write_text(head + body, "utf-8")
    return path


def _codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in lint(path, Catalogue([path.parent]))]


def test_a_safe_file_has_no_warnings(tmp_path: Path) -> None:
    assert _codes(_write(tmp_path, "safe", SAFE)) == []


@pytest.mark.parametrize(
    ("disclosure", "words"),
    [
        ('method = "none"', "method = 'none' publishes every count"),
        ("threshold = 3", "threshold = 3 publishes counts the funder's minimum (6"),
        ("secondary = false", "secondary = false"),
    ],
)
def test_policies_that_publish_small_counts_are_warned_about(
    tmp_path: Path, disclosure: str, words: str
) -> None:
    release = "[release]\nminimum_threshold = 6\n"
    found = _codes(_write(tmp_path, "loose", f"{release}[disclosure]\n{disclosure}\n{SAFE}"))
    assert [code for code, _ in found] == ["RUL-050"]
    assert words in found[0][1]


def test_the_funders_minimum_is_inherited_from_the_base(tmp_path: Path) -> None:
    _write(tmp_path, "base", "[release]\nminimum_threshold = 6\n" + SAFE)
    child = _write(tmp_path, "child", "[disclosure]\nthreshold = 4\n", extends="base")
    assert [code for code, _ in _codes(child)] == ["RUL-050"]


def test_a_message_that_prints_a_protected_figure_is_warned_about(tmp_path: Path) -> None:
    body = (
        SAFE
        + """
[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"

[[measure]]
id = "per_group"
expr = "calls / groups"

[[check]]
id = "C-1"
assert = "calls < 100"
message = "{calls} calls, {per_group} a group"
hint = "Look at the calls."

[[check]]
id = "C-2"
assert = "groups >= 0"
message = "groups are recorded"
"""
    )
    found = _codes(_write(tmp_path, "talky", body))
    assert [code for code, _ in found] == ["RUL-051"]
    assert "{calls}, {per_group}" in found[0][1]


OVERLAPS = {
    "the same count twice": """
[[measure]]
id = "group_sessions"
count = "activity"
where = "'group' = kind"
""",
    "one table inside another": """
[[measure]]
id = "video_groups"
count = "activity"
where = "kind = 'group' and mode = 'video'"
""",
    "a sum of two others": """
[[measure]]
id = "groups_and_dropins"
count = "activity"
where = "kind in ('group', 'drop_in')"
by = ["mode"]

[[measure]]
id = "dropins"
count = "activity"
where = "kind = 'drop_in'"
by = ["mode"]
""",
}


@pytest.mark.parametrize("body", OVERLAPS.values(), ids=list(OVERLAPS))
def test_measures_that_publish_overlapping_tables_are_warned_about(
    tmp_path: Path, body: str
) -> None:
    found = _codes(_write(tmp_path, "overlap", SAFE + body))
    assert [code for code, _ in found] == ["RUL-052"]


def test_overlaps_between_files_that_share_a_base(tmp_path: Path) -> None:
    _write(tmp_path, "base", SAFE)
    first = _write(tmp_path, "first", OVERLAPS["one table inside another"], extends="base")
    other = OVERLAPS["one table inside another"].replace("video_groups", "groups_by_video")
    second = _write(tmp_path, "second", other.replace("'video'", "'phone'"), extends="base")
    catalogue = Catalogue([tmp_path])
    files = [load(first, catalogue), load(second, catalogue)]
    # Each file's own overlap (with the inherited `groups`) is its own lint's; across the two
    # files, video_groups and groups_by_video are different cells: no overlap between them.
    assert overlapping_between(files) == []
    same = _write(
        tmp_path,
        "third",
        OVERLAPS["one table inside another"].replace("video_groups", "groups_on_video"),
        extends="base",
    )
    found = overlapping_between([files[0], load(same, catalogue)])
    assert [f.code for f in found] == ["RUL-052"] and "share a base" in found[0].message
    result = CliRunner().invoke(cli, ["rules", "lint", str(first), str(same)])
    assert result.exit_code == 0 and "warn" in result.output and "share a base" in result.output


def test_release_keys_and_digests(tmp_path: Path) -> None:
    key = new_funder_key(tmp_path / "k").public_text
    plain = load(_write(tmp_path, "plain", SAFE))
    sealed = load(
        _write(
            tmp_path / "s", "plain", f'[release]\nfunder_exact = true\nfunder_key = "{key}"\n{SAFE}'
        )
    )
    assert plain.model.release is None and sealed.model.release is not None
    assert digest(plain.model) != digest(sealed.model)  # the key is part of the rule file
    with pytest.raises(RuleFileError, match="funder_exact = true needs funder_key"):
        load(_write(tmp_path / "n", "nokey", f"[release]\nfunder_exact = true\n{SAFE}"))
    with pytest.raises(RuleFileError, match="funder_key"):
        load(_write(tmp_path / "b", "badkey", f'[release]\nfunder_key = "x25519:abc"\n{SAFE}'))
