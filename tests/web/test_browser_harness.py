"""The browser tests' own machinery, without a browser: the code scan and finding Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.checks import AXE, codes_in
from tests.web.live import chromium_launch_args, find_chromium


def test_codes_are_found_in_what_a_person_reads() -> None:
    text = "Ethnic group: not_ethnicity · Age 25_64 · failed check[0] · warm_line_call"
    assert codes_in(text) == ["25_64", "check[0]", "not_ethnicity", "warm_line_call"]


@pytest.mark.parametrize(
    "words",
    [
        "April to June 2026 (FY2026-Q4: 2026-04-01 to 2026-06-30), due 20 July 2026",
        "C10 Attendances by ethnic group (total response, where recorded) 25–64",
        'activity-log.xlsx, sheet "Activities", cell B5 (column "date")',
        "Download the bundle nz-peer-support-adults_FY2026-Q4_KPC001_v1.bundle.zip",
        "SHA256:y2j21tqhrPHJ+1NkDmc3MLKehT2AztgNdvhvJpL8CPg",
        "Peer Support Service for Adults (MHC36F, FTE): quarterly return",
    ],
)
def test_words_are_not_codes(words: str) -> None:
    assert codes_in(words) == []


def test_the_vendored_axe_core_is_there_with_its_licence() -> None:
    assert AXE.read_text("utf-8").startswith("/*! axe v4.")
    assert (AXE.parent / "LICENSE-axe-core").read_text("utf-8").startswith("Mozilla Public License")


def test_a_chromium_is_found_where_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own = tmp_path / "chromium"
    own.write_text("#!/bin/sh\n", "utf-8")
    own.chmod(0o755)
    monkeypatch.setenv("PEERREPORT_CHROMIUM", str(own))
    assert find_chromium(()) == str(own)
    launch = chromium_launch_args(())
    assert launch["executable_path"] == str(own)
    assert launch["headless"] is True
    assert "--no-sandbox" in launch["args"]


def test_no_chromium_skips_or_under_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEERREPORT_CHROMIUM", raising=False)
    monkeypatch.delenv("PEERREPORT_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        chromium_launch_args(("/nonexistent/chromium",))
    monkeypatch.setenv("PEERREPORT_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="PEERREPORT_REQUIRE_BROWSER=1"):
        chromium_launch_args(("/nonexistent/chromium",))
