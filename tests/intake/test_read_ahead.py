"""Reading an import's files in a second process (`intake.read_ahead`) says and stores
exactly what reading them in the importer's own process does: every finding, notice and
count, the rejects files and the stored versions. And when the reading process fails, the
import fails with it and stores nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from peerreport.cli.main import cli
from peerreport.intake import columnar, read_ahead
from peerreport.intake.importer import Importer
from peerreport.intake.limits import InputLimits
from peerreport.intake.reading import ReadingStage
from peerreport.intake.reports import ImportReport
from peerreport.store.schema import activity
from peerreport.workspace import Workspace
from tests.helpers import make_workspace, settings_for, write_csv
from tests.intake.test_columnar_imports import (
    ACTIVITIES,
    BREAKDOWNS,
    CLEAN_BATCHES,
    CLEAN_BREAKDOWNS,
    MESSY_WORKBOOK,
    SAMPLES,
    _another_database,
    _jsonl,
    _stored,
)

ONE_THREAD = read_ahead._one_thread  # the real rule, before a test replaces it


@pytest.fixture(autouse=True)
def reads_ahead(monkeypatch: pytest.MonkeyPatch) -> list[read_ahead.ReadAhead | None]:
    """Every import that asks reads ahead, however small its files; and the processes
    started (None where none could be) are listed, so a test can check one was."""
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", 0)
    # Another test of this worker may have left a thread running (a web server): these
    # tests fork anyway. `test_a_process_with_threads_is_not_forked` checks the real rule.
    monkeypatch.setattr(read_ahead, "_one_thread", lambda: True)
    started: list[read_ahead.ReadAhead | None] = []
    start = read_ahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type[read_ahead.ReadAhead], *args: Any) -> read_ahead.ReadAhead | None:
        process = start(cls, *args)
        started.append(process)
        return process

    monkeypatch.setattr(read_ahead.ReadAhead, "start", classmethod(spy))
    return started


def _import(
    engine: Engine, workspace: Workspace, paths: list[Path], ahead: bool, **options: Any
) -> tuple[ImportReport, dict[Path, str]]:
    settings = settings_for(workspace, read_ahead=ahead, **options)
    report = Importer(engine, settings).run(paths)
    rejects = {p: p.read_text("utf-8-sig") for f in report.files for p in f.rejects_paths}
    for path in rejects:
        path.unlink()  # the other import writes its own
    return report, rejects


def _compare(
    engine: Engine,
    backend: str,
    db_url: str,
    root: Path,
    paths: list[Path],
    started: list[read_ahead.ReadAhead | None],
    **options: Any,
) -> ImportReport:
    """Import in this process into one database, reading ahead into another, and compare."""
    workspace = make_workspace(root / "ws", db_url)
    here, here_rejects = _import(engine, workspace, paths, False, **options)
    assert started == []
    with _another_database(backend, root / "other") as other:
        ahead, ahead_rejects = _import(other, workspace, paths, True, **options)
        assert _stored(other) == _stored(engine)
    assert len(started) == 1 and started[0] is not None  # it did read in another process
    assert started[0].pid == 0  # and that process is gone
    assert ahead.to_dict() == here.to_dict()
    for here_file, ahead_file in zip(here.files, ahead.files, strict=True):
        assert [p.to_dict() for p in ahead_file.problems] == [
            p.to_dict() for p in here_file.problems
        ]
        assert ahead_file.notices == here_file.notices
    assert ahead_rejects == here_rejects
    started.clear()
    return ahead


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 3 rows, written every 2: many actions, and batches split between them."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", 3)
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", 2)


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_the_messy_sample_workbook(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    reads_ahead: list[Any],
    skip_invalid: bool,
) -> None:
    source = tmp_path / MESSY_WORKBOOK.name
    source.write_bytes(MESSY_WORKBOOK.read_bytes())
    report = _compare(
        engine, backend, db_url, tmp_path, [source], reads_ahead, skip_invalid=skip_invalid
    )
    assert report.problem_count >= 6


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("keep_notes", [False, True])
def test_messy_csv_and_json_lines(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
    skip_invalid: bool,
    keep_notes: bool,
) -> None:
    paths = [
        write_csv(tmp_path / "activities.csv", ACTIVITIES),
        write_csv(tmp_path / "activities-breakdowns.csv", BREAKDOWNS),
        _jsonl(tmp_path / "more-activities.jsonl", [ACTIVITIES[0], *CLEAN_BATCHES[1:]]),
        write_csv(tmp_path / "more-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    report = _compare(
        engine,
        backend,
        db_url,
        tmp_path,
        paths,
        reads_ahead,
        skip_invalid=skip_invalid,
        keep_notes=keep_notes,
    )
    codes = {p.code for f in report.files for p in f.problems}
    assert {"IMP-021", "IMP-022", "IMP-040", "IMP-041", "IMP-023", "PRV-002"} <= codes
    assert report.stored == skip_invalid
    if skip_invalid:  # a breakdown of a rejected activity is held back, and said so
        assert any("not stored, because" in n for n in report.files[1].notices)


def test_files_refused_before_during_and_by_their_headings(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
) -> None:
    """Every way a file is refused, between files that are read: each file's actions
    still start where the importer expects them."""
    long_note = ["A20", "14/08/2026", "", "group", "3", "", "x" * 80, ""]
    forbidden = [["activity_id", "date", "kind", "attendance", "Full name"]]
    forbidden.append(["F1", "14/08/2026", "group", "3", "someone"])
    paths = [
        write_csv(tmp_path / "first.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "refused-part-way.csv", [*ACTIVITIES[:8], long_note]),
        write_csv(tmp_path / "names.csv", forbidden),
        write_csv(tmp_path / "too-big.csv", [ACTIVITIES[0], *ACTIVITIES[1:3] * 40]),
        write_csv(tmp_path / "empty.csv", [["nothing", "here"]]),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    limits = InputLimits(max_cell_chars=60, max_file_bytes=4000)
    report = _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, limits=limits)
    refused = [f.path.name for f in report.files if f.refused]
    assert refused == ["refused-part-way.csv", "too-big.csv"]
    assert report.files[2].problem_count  # the forbidden column
    assert report.files[-1].problem_count  # IMP-041: its activities are not stored


def test_dates_surveyed_first_with_skip_invalid(
    engine: Engine,
    backend: str,
    db_url: str,
    tmp_path: Path,
    small_batches: None,
    reads_ahead: list[Any],
) -> None:
    """With skip_invalid the reading process surveys each file's dates before its rows."""
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "refused.csv", [*ACTIVITIES[:8], ["A20", "14/08/2026", "x" * 80]]),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    limits = InputLimits(max_cell_chars=60)
    report = _compare(
        engine, backend, db_url, tmp_path, paths, reads_ahead, skip_invalid=True, limits=limits
    )
    assert report.files[1].refused


def test_the_sample_organisations_year(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, reads_ahead: list[Any]
) -> None:
    paths = [
        SAMPLES / "kowhai-2025-26.csv",
        SAMPLES / "kowhai-2025-26-breakdowns.csv",
        SAMPLES / "kowhai-2025-26-workforce.csv",
        SAMPLES / "kowhai-2025-26-feedback.csv",
    ]
    report = _compare(engine, backend, db_url, tmp_path, paths, reads_ahead, keep_notes=False)
    assert report.stored and report.counts.added > 3000


ROWS = st.lists(st.sampled_from(range(1, len(ACTIVITIES))), max_size=14)
BREAKDOWN_ROWS = st.lists(st.sampled_from(range(1, len(CLEAN_BREAKDOWNS))), max_size=10)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    activities=ROWS,
    clean=st.lists(st.sampled_from(range(1, len(CLEAN_BATCHES))), max_size=14),
    breakdowns=BREAKDOWN_ROWS,
    batch_rows=st.integers(1, 6),
    batch_size=st.integers(1, 5),
    skip_invalid=st.booleans(),
)
def test_any_mix_of_rows_reads_the_same_either_way(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
    activities: list[int],
    clean: list[int],
    breakdowns: list[int],
    batch_rows: int,
    batch_size: int,
    skip_invalid: bool,
) -> None:
    """Rows of the messy and clean files in any order, repeats included, in batches of any
    size: the same import either way (SQLite; the cases above run on both databases)."""
    monkeypatch.setattr(columnar, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr("peerreport.intake.reading.BATCH_SIZE", batch_size)
    root = tmp_path_factory.mktemp("mix")
    paths = [
        write_csv(root / "activities.csv", [ACTIVITIES[0], *(ACTIVITIES[i] for i in activities)]),
        write_csv(root / "clean.csv", [CLEAN_BATCHES[0], *(CLEAN_BATCHES[i] for i in clean)]),
        write_csv(
            root / "activities-breakdowns.csv",
            [CLEAN_BREAKDOWNS[0], *(CLEAN_BREAKDOWNS[i] for i in breakdowns)],
        ),
    ]
    with _another_database("sqlite", root / "here") as engine:
        _compare(
            engine,
            "sqlite",
            str(engine.url),
            root,
            paths,
            reads_ahead,
            skip_invalid=skip_invalid,
        )


# -- when the reading process fails -----------------------------------------------------------


def _activities(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(activity)).scalar_one())


def test_an_error_in_the_reading_process_is_raised_and_nothing_is_stored(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    parent = os.getpid()
    table_actions = ReadingStage.table_actions

    def fails(self: ReadingStage, reader: Any) -> Any:
        if reader.record_type == "breakdowns":
            assert os.getpid() != parent  # only the reading process reads rows
            raise ValueError("a cell the reader could not take")
        return table_actions(self, reader)

    monkeypatch.setattr(ReadingStage, "table_actions", fails)
    workspace = make_workspace(tmp_path / "ws", db_url)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    with pytest.raises(ValueError, match="a cell the reader could not take") as raised:
        Importer(engine, settings_for(workspace, read_ahead=True, skip_invalid=True)).run(paths)
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "reading process" in notes and "in fails" in notes  # the child's traceback
    assert _activities(engine) == 0  # the activities written before it are rolled back
    assert reads_ahead[0] is not None and reads_ahead[0].pid == 0


def test_a_reading_process_that_dies_fails_the_import(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    table_actions = ReadingStage.table_actions

    def dies(self: ReadingStage, reader: Any) -> Any:
        if reader.record_type == "breakdowns":
            os._exit(3)  # as if killed part way
        return table_actions(self, reader)

    monkeypatch.setattr(ReadingStage, "table_actions", dies)
    workspace = make_workspace(tmp_path / "ws", db_url)
    paths = [
        write_csv(tmp_path / "activities.csv", CLEAN_BATCHES),
        write_csv(tmp_path / "activities-breakdowns.csv", CLEAN_BREAKDOWNS),
    ]
    with pytest.raises(RuntimeError, match="exit status 3"):
        Importer(engine, settings_for(workspace, read_ahead=True, skip_invalid=True)).run(paths)
    assert _activities(engine) == 0


def test_a_process_with_threads_is_not_forked(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    """A server's import, with its other threads, reads in its own process."""
    monkeypatch.setattr(read_ahead, "_one_thread", ONE_THREAD)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        workspace = make_workspace(tmp_path / "ws", db_url)
        path = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES)
        settings_ = settings_for(workspace, read_ahead=True, skip_invalid=True)
        report = Importer(engine, settings_).run([path])
    finally:
        stop.set()
        other.join()
    assert reads_ahead == [None] and report.stored and _activities(engine) == 14


def test_small_files_are_read_in_the_importers_own_process(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reads_ahead: list[Any],
) -> None:
    size = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES).stat().st_size
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", size + 1)
    workspace = make_workspace(tmp_path / "ws", db_url)
    settings_ = settings_for(workspace, read_ahead=True, skip_invalid=True)
    Importer(engine, settings_).run([tmp_path / "activities.csv"])
    assert reads_ahead == []  # not even tried
    monkeypatch.setattr("peerreport.intake.importer.READ_AHEAD_BYTES", size)
    Importer(engine, settings_).run([tmp_path / "activities.csv"])
    assert len(reads_ahead) == 1 and reads_ahead[0] is not None


def test_the_command_line_reads_ahead(db_url: str, tmp_path: Path, reads_ahead: list[Any]) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    made = runner.invoke(
        cli, ["init", str(folder), "--name", "Harbour", "--provider-code", "HPC001", "--db", db_url]
    )
    assert made.exit_code == 0, made.output
    path = write_csv(tmp_path / "activities.csv", CLEAN_BATCHES)
    result = runner.invoke(cli, ["import", str(path), "-w", str(folder), "--skip-invalid"])
    assert result.exit_code == 1, result.output  # some rows are rejected, the rest stored
    assert "14 added" in result.output and "rejected" in result.output
    assert len(reads_ahead) == 1 and reads_ahead[0] is not None
