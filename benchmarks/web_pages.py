"""Benchmark: how long the web application's pages take to load over N records on SQLite.

Makes a workspace for one organisation that files `nz-peer-support-adults`,
fills it as `build_bench.py` does (`peerreport samples generate`: N activities
with their breakdowns, workforce and feedback, then `peerreport import`),
starts the real application (`peerreport.web.server.make_server`, uvicorn on a
free port of 127.0.0.1, in a thread), opens the first address with its token
to get the cookie, and then, page by page, makes --warmup untimed and
--requests timed sequential GET requests: Home (`/`), the review page of the
return for the busiest quarter (`/returns/nz-peer-support-adults/FY....-Q.`),
Records (`/records`) and Upload (`/upload`). Times are wall-clock at the
client, one request at a time, so they include HTTP on the loopback. Prints a
table (median, 95th percentile and slowest, in milliseconds, and the size of
the page); figures depend on the machine, so nothing here asserts a limit.
Usage:

    .venv/bin/python benchmarks/web_pages.py                        # 1,000,000 activities
    .venv/bin/python benchmarks/web_pages.py --records 100000 --requests 20
    .venv/bin/python benchmarks/web_pages.py --keep /tmp/web1m      # keep, then reuse
    .venv/bin/python benchmarks/web_pages.py --keep /tmp/web1m --profile review

--keep DIR keeps the workspace and, when DIR already holds one with records,
skips generating and importing (so --records is then ignored). --profile PAGE
(home, review, records or upload) also calls that page's view once more in
this process under cProfile, after the timed requests, and prints the
functions taking the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from build_bench import _activity_count, _busiest_quarter, _commit, _run, _sample_files

RULES = "nz-peer-support-adults"
PAGES = ("home", "review", "records", "upload")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="activities to generate (default: 1M)"
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--keep", type=Path, help="workspace folder to keep (and reuse)")
    parser.add_argument("--period", help="review page period (default: the busiest FY quarter)")
    parser.add_argument("--profile", choices=PAGES, help="profile this page's view once")
    args = parser.parse_args()
    # The benchmark is about SQLite in the workspace, whatever the shell points at.
    os.environ.pop("PEERREPORT_DATABASE_URL", None)
    if args.keep:
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        _bench(args, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="peerreport-web-bench-") as tmp:
            _bench(args, Path(tmp) / "ws")


def _bench(args: argparse.Namespace, folder: Path) -> None:
    import peerreport
    from peerreport.store.database import open_engine, upgrade
    from peerreport.workspace import load_workspace, write_workspace

    setup: list[tuple[str, float]] = []
    made = not (folder / "peerreport.toml").exists()
    if made:  # as `peerreport init` does, with the return the home page lists
        write_workspace(folder, "Bench", f"B{uuid.uuid4().hex[:8]}", returns=(RULES,))
    workspace = load_workspace(folder)
    engine = open_engine(workspace.database_url)
    if made:
        upgrade(engine)
    stored = _activity_count(engine, workspace.provider_code)
    if stored == 0:
        exe = str(Path(sys.executable).with_name("peerreport"))
        wanted = argparse.Namespace(records=None, size=args.records, only_activities=False)
        files = _sample_files(wanted, exe, folder, setup)
        started = time.perf_counter()
        _run([exe, "import", *map(str, files)], folder)
        setup.append(("import", time.perf_counter() - started))
        stored = _activity_count(engine, workspace.provider_code)
    period = args.period or _busiest_quarter(engine, workspace.provider_code)
    breakdowns = _row_count(engine, "activity_breakdown")
    engine.dispose()
    paths = {
        "home": "/",
        "review": f"/returns/{RULES}/{period}",
        "records": "/records",
        "upload": "/upload",
    }
    first: dict[str, float] = {}
    rows = _time_pages(folder, paths, args, first)
    print(
        f"backend: SQLite {sqlite3.sqlite_version}   python {sys.version.split()[0]}   "
        f"{platform.machine()} cpus {os.cpu_count()}   "
        f"peerreport {Path(peerreport.__file__).parent} ({_commit()})"
    )
    for step, seconds in setup:
        print(f"{step}: {seconds:.1f} s")
    database = folder / "peerreport.db"
    size = f"   database {database.stat().st_size / 1e6:,.0f} MB" if database.exists() else ""
    print(f"activities stored: {stored:,}   breakdown rows: {breakdowns:,}{size}")
    print(f"review page: {paths['review']}")
    print(
        f"{'page':<8} {'first ms':>9} {'requests':>8} {'median ms':>10} {'p95 ms':>8} "
        f"{'max ms':>8} {'size KB':>8}"
    )
    for name, times, size_bytes in rows:
        ms = [t * 1000 for t in times]
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
        print(
            f"{name:<8} {first[name] * 1000:>9.1f} {len(ms):>8} {statistics.median(ms):>10.1f} "
            f"{p95:>8.1f} {max(ms):>8.1f} {size_bytes / 1024:>8.1f}"
        )
    if args.profile:
        _profile(folder, args.profile, paths[args.profile])


def _time_pages(
    folder: Path, paths: dict[str, str], args: argparse.Namespace, first: dict[str, float]
) -> list[tuple[str, list[float], int]]:
    """(page, seconds of each timed request, bytes of the last response) for each page.

    `first` gets the seconds of each page's first (untimed) view: the review page
    builds the return then, and later views of the same records revision reuse it.
    """
    import httpx

    from peerreport.web.config import WebConfig
    from peerreport.web.server import first_address, free_port, make_server

    config = WebConfig(base_dir=folder, workspace_dir=folder)
    port = free_port()
    server = make_server(config, port)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    rows = []
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the web application did not start")
            time.sleep(0.05)
        with httpx.Client(timeout=600) as client:
            # The first address sets the token cookie and redirects to Home.
            client.get(first_address(config, port), follow_redirects=True).raise_for_status()
            base = f"http://127.0.0.1:{port}"
            for name, path in paths.items():
                started = time.perf_counter()
                _get(client, base + path)  # the first view: builds what later views reuse
                first[name] = time.perf_counter() - started
                for _ in range(max(0, args.warmup - 1)):
                    _get(client, base + path)
                times = []
                size = 0
                for _ in range(max(1, args.requests)):
                    started = time.perf_counter()
                    size = len(_get(client, base + path).content)
                    times.append(time.perf_counter() - started)
                rows.append((name, times, size))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return rows


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code}\n{response.text[:2000]}")
    return response


def _profile(folder: Path, name: str, path: str) -> None:
    """Call the view of page `name` (at `path`) once in this process under cProfile."""
    from starlette.requests import Request

    from peerreport.web.app import create_app
    from peerreport.web.config import WebConfig
    from peerreport.web.routes import home, records, returns, upload

    views: dict[str, tuple[Any, dict[str, str]]] = {
        "home": (home.home, {}),
        "review": (returns.review, {"rule_id": RULES, "period_label": path.rsplit("/", 1)[1]}),
        "records": (records.records, {}),
        "upload": (upload.upload_form, {}),
    }
    view, params = views[name]
    api = create_app(WebConfig(base_dir=folder, workspace_dir=folder)).app
    request = Request(
        {
            "type": "http",
            "app": api,
            "method": "GET",
            "path": path,
            "root_path": "",
            "scheme": "http",
            "server": ("127.0.0.1", 80),
            "headers": [(b"host", b"127.0.0.1")],
            "query_string": b"",
            "path_params": params,
        }
    )
    view(request, **params)  # warm: the first call opens the database and compiles templates
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    view(request, **params)
    profiler.disable()
    print(f"\nprofile of GET {path} ({(time.perf_counter() - started) * 1000:.0f} ms in-process)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue())
    api.state.desk.close()


def _row_count(engine: Any, table: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


if __name__ == "__main__":
    main()
