"""Replay issue 15's defects against any peerreport install: does each one still happen?

    python benchmarks/replay_regressions.py                         # this checkout's peerreport
    python benchmarks/replay_regressions.py --python OLD/.venv/bin/python --label old
    python benchmarks/replay_regressions.py --only zip-bomb secret-mode

Each check drives the command line of the peerreport that `--python` runs
(`python -m peerreport`, in a fresh temporary folder) with the hostile input
the issue names, and passes when the fixed behaviour is seen: a plain refusal
naming the limit, no traceback, the bundle refused, the other organisation's
data not shown. Run against a checkout from before the fixes, every check
should FAIL; against this one, every check should PASS. That is the issue's
"every defect has a regression test that failed before the fix": the unit tests
named by each check are those that keep it fixed; this script shows the
defect existed when they were written (they use APIs the old code lacks).

How to make the old install (never in CI):

    git worktree add --detach /tmp/replay-old 0db0aa1   # the commit before issue 15's fixes
    python3 -m venv /tmp/replay-old/.venv
    /tmp/replay-old/.venv/bin/pip install -e /tmp/replay-old
    python benchmarks/replay_regressions.py --python /tmp/replay-old/.venv/bin/python --label old
    git worktree remove /tmp/replay-old

The builders of hostile files come from tests/intake/hostile.py (no peerreport
import), so the same bytes go to both installs. Each run is capped at
TIME_CAP seconds and MEMORY_CAP bytes of address space; a run killed by a
cap counts as the defect (unbounded time or memory). `--json` prints the
results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.intake import hostile  # noqa: E402

TIME_CAP = 120.0
MEMORY_CAP = 2 * 1024**3
HEADINGS = ",".join(hostile.HEADINGS)
DEMO_CODE = b"KPC001"  # the demo's provider code (peerreport.samples.generator.PROVIDER_CODE)
GOOD_ROW = "A1,14/08/2026,group,5,Peer groups,"


@dataclass
class Ran:
    code: int  # the exit code; -9 when a cap killed it
    out: str
    seconds: float

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.out


@dataclass
class Context:
    python: str
    folder: Path

    def run(
        self, *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> Ran:
        """`python -m peerreport ARGS` under the caps; stdout and stderr together."""
        started = time.perf_counter()
        environment = {**os.environ, "PEERREPORT_RULES_PATH": "", **(env or {})}
        environment.pop("PEERREPORT_WORKSPACE", None)
        environment.pop("PEERREPORT_DATABASE_URL", None)
        try:
            done = subprocess.run(
                [self.python, "-m", "peerreport", *map(str, args)],
                cwd=cwd or self.folder,
                env=environment,
                capture_output=True,
                timeout=TIME_CAP,
                preexec_fn=_caps,
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"") + (exc.stderr or b"")
            return Ran(-9, out.decode("utf-8", "replace") + "\n[killed: time cap]", TIME_CAP)
        out = (done.stdout + done.stderr).decode("utf-8", "replace")
        return Ran(done.returncode, out, time.perf_counter() - started)

    def workspace(self, name: str, code: str = "HPC001", db: str | None = None) -> Path:
        root = self.folder / name
        args = ["init", root, "--name", f"Org {code}", "--provider-code", code]
        done = self.run(*args, *(["--db", db] if db else []))
        assert done.code == 0, done.out
        return root

    def demo(self) -> tuple[Path, Path]:
        """(the demo workspace, its submitted bundle)."""
        root = self.folder / "demo"
        done = self.run("demo", "--out", root)
        assert done.code == 0, done.out
        return root, next(root.rglob("*.bundle.zip"))


def _caps() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


Check = Callable[[Context], tuple[bool, str]]
CHECKS: dict[str, tuple[str, str, Check]] = {}


def check(name: str, defect: str, tests: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS[name] = (defect, tests, func)
        return func

    return register


def _short(ran: Ran) -> str:
    lines = [line for line in ran.out.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return f"exit {ran.code}, {ran.seconds:.1f} s: {last[:110]}"


def _import(ctx: Context, path: Path, *extra: str) -> Ran:
    root = ctx.workspace("ws-" + path.stem)
    return ctx.run("import", path, *extra, cwd=root)


# -- bounded input --------------------------------------------------------------------


@check("zip-bomb", "XLSX zip bomb of empty rows", "tests/intake/test_hostile_files.py")
def zip_bomb(ctx: Context) -> tuple[bool, str]:
    path = hostile.empty_rows_workbook(ctx.folder / "bomb.xlsx", 20_000_000, numbered=False)
    ran = _import(ctx, path)
    refused = ran.code in (1, 2) and re.search(
        r"IMP-05[01]|times its packed size|unpacks to", ran.out
    )
    return bool(refused) and not ran.traceback, _short(ran)


@check("million-columns", "CSV with 1,000,000 columns", "tests/intake/test_hostile_files.py")
def million_columns(ctx: Context) -> tuple[bool, str]:
    path = hostile.wide_csv(ctx.folder / "activities.csv", 1_000_000)
    ran = _import(ctx, path)
    refused = "1,000,000 columns; the limit is" in ran.out
    return refused and ran.seconds < 30, _short(ran)


@check(
    "empty-row-notes", "one notice for any number of empty rows", "tests/intake/test_empty_rows.py"
)
def empty_row_notes(ctx: Context) -> tuple[bool, str]:
    # The headings, then one activity 100,000 rows below: a few KB, every row between empty.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(hostile.HEADINGS)
    for column, value in enumerate(hostile.ACTIVITY, start=1):
        sheet.cell(row=100_002, column=column, value=value)
    path = ctx.folder / "activities.xlsx"
    book.save(path)
    ran = _import(ctx, path)
    notes = sum("empty" in line for line in ran.out.splitlines())
    return notes <= 2 and not ran.traceback, f"{notes} notes about empty rows; " + _short(ran)


@check("utf16", "a UTF-16 CSV named as UTF-16", "tests/intake/test_hostile_files.py")
def utf16(ctx: Context) -> tuple[bool, str]:
    ran = _import(ctx, hostile.utf16_csv(ctx.folder / "activities.csv"))
    return "UTF-16" in ran.out and not ran.traceback, _short(ran)


# -- internal errors ------------------------------------------------------------------


@check("deep-json", "traceback: deep JSON Lines nesting", "tests/intake/test_hostile_files.py")
def deep_json(ctx: Context) -> tuple[bool, str]:
    ran = _import(ctx, hostile.deep_jsonl(ctx.folder / "activities.jsonl", 100_000))
    return not ran.traceback and ran.code in (1, 2), _short(ran)


@check(
    "big-integer", "traceback: an integer over 4,300 digits", "tests/intake/test_hostile_files.py"
)
def big_integer(ctx: Context) -> tuple[bool, str]:
    ran = _import(ctx, hostile.big_number_jsonl(ctx.folder / "activities.jsonl", 5_000))
    return not ran.traceback and ran.code in (1, 2), _short(ran)


@check(
    "samples-missing-folder", "traceback: samples generate into a missing folder", "tests/samples"
)
def samples_missing_folder(ctx: Context) -> tuple[bool, str]:
    ran = ctx.run("samples", "generate", "--out", ctx.folder / "not" / "there" / "log.xlsx")
    return ran.code == 0 and not ran.traceback, _short(ran)


@check(
    "concurrent-first-imports",
    "concurrent first imports racing to create the organisation (SQLite)",
    "tests/reliability (concurrency), tests/intake",
)
def concurrent_first_imports(ctx: Context) -> tuple[bool, str]:
    with _database(ctx) as db:
        return _race(ctx, db)


def _race(ctx: Context, db: str | None) -> tuple[bool, str]:
    # The workspace's own database has its organisation row from `init`; the shared one
    # (--db) has none until the first import makes it: six imports start at once.
    root = ctx.workspace("race")
    shared = db or f"sqlite:///{ctx.folder / 'shared.db'}"
    upgraded = ctx.run("db", "upgrade", "--db", shared, cwd=root)
    assert upgraded.code == 0, upgraded.out
    files = []
    for i in range(6):
        path = ctx.folder / f"race-{i}.csv"
        path.write_text(f"{HEADINGS}\nR{i},14/08/2026,group,5,Peer groups,\n", "utf-8")
        files.append(path)
    with ThreadPoolExecutor(6) as pool:
        runs = list(pool.map(lambda p: ctx.run("import", p, "--db", shared, cwd=root), files))
    failed = [r for r in runs if r.code != 0]
    where = "PostgreSQL" if db else "SQLite"
    detail = f"{len(failed)} of 6 failed on {where}" + (f"; {_short(failed[0])}" if failed else "")
    return not failed, detail


@contextmanager
def _database(ctx: Context) -> Iterator[str | None]:
    """A new PostgreSQL schema on REPLAY_POSTGRES_URL (dropped afterwards), else None (SQLite)."""
    base = os.environ.get("REPLAY_POSTGRES_URL")
    if not base:
        yield None
        return
    from urllib.parse import quote

    from sqlalchemy import create_engine, text

    schema = "replay_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@check(
    "nul-postgres",
    "traceback (with SQL and values): a NUL byte in a cell on PostgreSQL",
    "tests/intake/test_hostile_files.py",
)
def nul_postgres(ctx: Context) -> tuple[bool, str]:
    with _database(ctx) as db:
        if db is None:
            return False, "not run: set REPLAY_POSTGRES_URL"
        root = ctx.workspace("nul", db=db)
        path = ctx.folder / "activities.csv"
        path.write_text(f"{HEADINGS}\nA1,14/08/2026,group,5,Peer\x00groups,\n", "utf-8")
        ran = ctx.run("import", path, cwd=root)
    leaked = "INSERT" in ran.out or "SELECT" in ran.out
    return not ran.traceback and not leaked and ran.code in (1, 2), _short(ran)


# -- rule files -----------------------------------------------------------------------

RULE = """id = "{id}"
title = "Test return"
version = "1"
period = "quarter"
year_start = "07-01"
[disclosure]
method = "suppress"
threshold = 3
[[measure]]
id = "m"
label = "M"
count = "activity"
unit = "sessions"
where = "{where}"
"""


def _or_chain(terms: int) -> str:
    return " or ".join(["kind = 'group'"] * terms)


@check(
    "rule-or-chain",
    "traceback: a rule file with an or chain of 500 terms",
    "tests/rulebook/test_hostile_rule_files.py",
)
def rule_or_chain(ctx: Context) -> tuple[bool, str]:
    path = ctx.folder / "chain.toml"
    path.write_text(RULE.format(id="chain", where=_or_chain(500)), "utf-8")
    ran = ctx.run("rules", "lint", path)
    return ran.code == 1 and not ran.traceback, _short(ran)


@check(
    "rule-30-digits",
    "a 30-digit literal lints and crashes build on SQLite",
    "tests/rulebook/test_hostile_rule_files.py",
)
def rule_30_digits(ctx: Context) -> tuple[bool, str]:
    path = ctx.folder / "digits.toml"
    path.write_text(
        RULE.format(id="digits", where="attendance > 123456789012345678901234567890"), "utf-8"
    )
    lint = ctx.run("rules", "lint", path)
    if lint.code != 0:
        return not lint.traceback, "refused by lint: " + _short(lint)
    root, _ = ctx.demo()
    ran = ctx.run("build", path, "--period", "FY2026-Q4", cwd=root)
    return not ran.traceback and ran.code != 3, "lint passed; build: " + _short(ran)


@check(
    "rule-current-folder",
    "rule lookup parses any .toml in the current folder",
    "tests/rulebook/test_hostile_rule_files.py",
)
def rule_current_folder(ctx: Context) -> tuple[bool, str]:
    folder = ctx.folder / "hostile-cwd"
    folder.mkdir()
    (folder / "hostile.toml").write_text(RULE.format(id="hostile", where=_or_chain(500)), "utf-8")
    (folder / "nested.toml").write_text("x = " + "[" * 50_000 + "]" * 50_000, "utf-8")
    ran = ctx.run("rules", "list", "--json", cwd=folder)
    return ran.code == 0 and "hostile" not in ran.out and not ran.traceback, _short(ran)


@check(
    "rule-size",
    "a rule file over 1 MB is read (50 MB took 8.5 min and 2.1 GB)",
    "tests/rulebook/test_hostile_rule_files.py",
)
def rule_size(ctx: Context) -> tuple[bool, str]:
    path = ctx.folder / "big.toml"
    path.write_text(RULE.format(id="big", where="true") + "# " + "x" * 5_000_000 + "\n", "utf-8")
    ran = ctx.run("rules", "lint", path)
    refused = "RUL-015" in ran.out or "bigger than 1,000,000 bytes" in ran.out
    return ran.code == 1 and refused and ran.seconds < 30, _short(ran)


# -- trust, isolation, collation -------------------------------------------------------


def _resealed(data: bytes, change: Callable[[bytes], bytes], keep_signature: bool) -> bytes:
    """The bundle with manifest.json changed and sealed again (unsigned unless kept)."""
    from peerreport.bundle.archive import read_archive, write_archive
    from peerreport.bundle.manifest import seal

    archive = read_archive(data)
    entries = dict(archive.entries)
    entries["manifest.json"] = change(entries["manifest.json"])
    if not keep_signature:
        entries.pop("signature.json", None)
    return write_archive(entries, seal(entries["manifest.json"]))


def _other_provider(data: bytes) -> bytes:
    """The demo's bundle as if another provider (OTH002) had sent it, unsigned."""
    from peerreport.bundle.archive import read_archive, write_archive
    from peerreport.bundle.manifest import seal

    code = DEMO_CODE.decode()
    entries = {
        name.replace(code, "OTH002"): value
        for name, value in read_archive(data).entries.items()
        if name != "signature.json"
    }
    entries["manifest.json"] = entries["manifest.json"].replace(DEMO_CODE, b"OTH002")
    return write_archive(entries, seal(entries["manifest.json"]))


def _resigned(data: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from peerreport.bundle.archive import read_archive, write_archive
    from peerreport.bundle.signing import sign

    archive = read_archive(data)
    entries = dict(archive.entries)
    entries["signature.json"] = sign(entries["manifest.json"], Ed25519PrivateKey.generate())
    return write_archive(entries, archive.comment)


@check(
    "forged-bundle",
    "a bundle re-signed with another key passes audit verify",
    "tests/audit/test_trust.py, tests/collate/test_collate.py",
)
def forged_bundle(ctx: Context) -> tuple[bool, str]:
    _, bundle = ctx.demo()
    forged = ctx.folder / "forged.bundle.zip"
    forged.write_bytes(_resigned(bundle.read_bytes()))
    ran = ctx.run("audit", "verify", forged, "--no-recompute")
    return ran.code == 1 and "UNVERIFIED ORIGIN" in ran.out, _short(ran)


@check(
    "collate-bad-bundle",
    "a verifying bundle with a malformed submitted_at crashes collate",
    "tests/collate (schema validation)",
)
def collate_bad_bundle(ctx: Context) -> tuple[bool, str]:
    _, bundle = ctx.demo()
    inbox = ctx.folder / "inbox"
    inbox.mkdir()
    bad = _resealed(
        bundle.read_bytes(),
        lambda m: re.sub(
            rb'"submitted_at": "[^"]*"', b'"submitted_at": "last tuesday"', m, count=1
        ),
        keep_signature=False,
    )
    (inbox / "bad.zip").write_bytes(bad)
    text = _resealed(
        bundle.read_bytes(),
        lambda m: re.sub(rb'"value": [0-9.]+', b'"value": "lots"', m, count=1),
        keep_signature=False,
    )
    (inbox / "text.zip").write_bytes(text)
    # A good bundle of another provider beside it: the fixed collate takes it and refuses bad.zip.
    good = _other_provider(bundle.read_bytes())
    (inbox / "good.zip").write_bytes(good)
    allow = ctx.run("collate", "--help")
    flags = ["--allow-unsigned"] if "--allow-unsigned" in allow.out else []
    ran = ctx.run(
        "collate",
        inbox,
        "--rules",
        "nz-peer-support-adults",
        "--out",
        ctx.folder / "c.xlsx",
        *flags,
    )
    taken = "1 received" in ran.out or "1 late" in ran.out
    named = "bad.zip" in ran.out and "text.zip" in ran.out
    return not ran.traceback and ran.code == 1 and named and taken, _short(ran)


@check(
    "cross-org-read",
    "from A's workspace, `returns show` prints B's return (shared database)",
    "tests/cli/test_isolation.py",
)
def cross_org_read(ctx: Context) -> tuple[bool, str]:
    root, _ = ctx.demo()
    url = f"sqlite:///{root / 'peerreport.db'}"
    other = ctx.workspace("org-a", code="AAA001", db=url)
    runs = [
        ctx.run("returns", "show", "1", cwd=other),
        ctx.run("returns", "show", "1", "--db", url, cwd=other),
        ctx.run("audit", "trace", "1", "one_to_one_sessions", "--db", url, cwd=other),
    ]
    shown = [r for r in runs if "KPC001" in r.out or "Kōwhai" in r.out or r.code == 0]
    worst = shown[0] if shown else runs[-1]
    return not shown and not any(
        r.traceback for r in runs
    ), f"{len(shown)} of 3 showed B's: " + _short(worst)


@check(
    "ledger-insert-or-replace",
    "INSERT OR REPLACE edits a submitted figure unnoticed",
    "tests/ledger/test_lifecycle.py",
)
def ledger_insert_or_replace(ctx: Context) -> tuple[bool, str]:
    root, bundle = ctx.demo()
    db = sqlite3.connect(root / "peerreport.db")
    if db.execute("SELECT count(*) FROM submitted_return").fetchone()[0] == 0:
        # A demo that did not submit (before issue 9): submit, as a coordinator would.
        ctx.run("submit", "nz-peer-support-adults", "--period", "FY2026-Q4", cwd=root)
    try:
        row = db.execute("SELECT * FROM submitted_return ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return False, "nothing was submitted to the ledger"
        names = [d[0] for d in db.execute("SELECT * FROM submitted_return LIMIT 0").description]
        values = dict(zip(names, row, strict=True))
        values["return_json"] = re.sub(
            r'"value": (\d+)', '"value": 9999', values["return_json"], count=1
        )
        marks = ", ".join("?" for _ in names)
        db.execute(
            f"INSERT OR REPLACE INTO submitted_return ({', '.join(names)}) VALUES ({marks})",
            list(values.values()),
        )
        db.commit()
    except sqlite3.DatabaseError as exc:
        return True, f"the database refused the edit: {exc}"
    finally:
        db.close()
    ran = ctx.run("audit", "ledger", bundle, cwd=root)
    return ran.code == 1 and not ran.traceback, _short(ran)


# -- smaller ----------------------------------------------------------------------------


@check(
    "secret-mode",
    "the workspace secret is written world-readable, then chmod-ed",
    "tests/test_workspace_files.py",
)
def secret_mode(ctx: Context) -> tuple[bool, str]:
    # The window between writing and chmod: with chmod made to do nothing, what mode is left?
    root = ctx.folder / "ws-secret"
    script = (
        "import os, sys\n"
        "os.chmod = lambda *a, **k: None\n"
        "from peerreport.workspace import write_workspace\n"
        f"write_workspace(__import__('pathlib').Path({str(root)!r}), 'Org', 'HPC001')\n"
    )
    done = subprocess.run(
        [ctx.python, "-c", script],
        capture_output=True,
        cwd=ctx.folder,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    secret = root / "peerreport.secret"
    if done.returncode != 0 or not secret.exists():
        return False, done.stderr.decode()[-200:]
    mode = stat.S_IMODE(secret.stat().st_mode)
    return mode & 0o077 == 0, f"mode {mode:o} before any chmod (umask {_umask():o})"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@check(
    "rejects-neutralised",
    "the rejects CSV leaves ' =1+1', NBSP '=1+1' and '＝1+1' live",
    "tests/intake/test_rejects.py",
)
def rejects_neutralised(ctx: Context) -> tuple[bool, str]:
    path = ctx.folder / "activities.csv"
    payloads = [" =1+1", "\u00a0=1+1", "\uff1d1+1"]
    rows = [f"B{i},14/08/2026,gorup,5,Peer groups,{p}" for i, p in enumerate(payloads)]
    path.write_text(HEADINGS + "\n" + GOOD_ROW + "\n" + "\n".join(rows) + "\n", "utf-8")
    ran = _import(ctx, path, "--skip-invalid")
    found = list(ctx.folder.glob("ws-activities/**/*.rejects.csv")) + list(
        ctx.folder.glob("*.rejects.csv")
    )
    if not found:
        return False, "no rejects file; " + _short(ran)
    text = found[0].read_text("utf-8-sig")
    live = [p for p in payloads if re.search(rf"(^|,){re.escape(p)}(,|$)", text, re.M)]
    inert = [p for p in payloads if "'" + p in text]
    return not live and len(inert) == 3, f"{len(live)} of 3 payloads left live, {len(inert)} inert"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the Python whose peerreport to run"
    )
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--only", nargs="*", choices=sorted(CHECKS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    python = shutil.which(args.python) or str(Path(args.python).absolute())
    results = []
    for name in args.only or list(CHECKS):
        defect, tests, func = CHECKS[name]
        with tempfile.TemporaryDirectory(prefix=f"replay-{name}-") as temporary:
            started = time.perf_counter()
            try:
                ok, detail = func(Context(python, Path(temporary)))
            except (AssertionError, OSError, ValueError, StopIteration, zipfile.BadZipFile) as exc:
                ok, detail = False, f"could not run: {str(exc).strip()[-160:]}"
            seconds = time.perf_counter() - started
        results.append(
            {
                "check": name,
                "defect": defect,
                "tests": tests,
                "passed": ok,
                "detail": detail,
                "seconds": round(seconds, 1),
            }
        )
        if not args.json:
            print(f"{'PASS' if ok else 'FAIL'}  {name:26} {seconds:6.1f} s  {detail}", flush=True)
    if args.json:
        print(
            json.dumps({"label": args.label, "python": args.python, "results": results}, indent=2)
        )


if __name__ == "__main__":
    main()
