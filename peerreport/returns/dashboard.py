"""The funder's dashboard: for one rule file, a grid of providers × periods, each cell a state.

Hosted mode's funder page shows it (issue 13); `render.dashboard_workbook`
writes it as XLSX. It reads the ledger and the rule file and builds nothing:
the versions of the rule file's returns in the periods shown and their
events, in two queries for every `CHUNK` providers, never one per provider.

A cell with nothing filed is `not_yet_due` while its period lasts, `due`
until its due date passes, then `missing`. A filed one is `accepted` or
`queried` when the funder's last decision on the current version says so,
and otherwise (submitted, amended, replied) `received`, or `late` when the
first version arrived after the due date. `returns.overview` is the same
ledger seen by ONE organisation, in the coordinator's words.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from peerreport.errors import UsageError
from peerreport.ledger import lifecycle
from peerreport.ledger.lifecycle import Event, events_of, version_state
from peerreport.render.words import period_words
from peerreport.returns.due import due_date, overdue
from peerreport.returns.overview import period_scheme
from peerreport.returns.periods import Period, period_containing, recent_periods
from peerreport.rulebook import RuleFile
from peerreport.store.schema import return_event
from peerreport.store.schema import submitted_return as ledger
from peerreport.store.times import as_utc

NOT_YET_DUE, DUE, MISSING, RECEIVED, LATE = "not_yet_due", "due", "missing", "received", "late"
QUERIED, ACCEPTED = lifecycle.QUERIED, lifecycle.ACCEPTED  # the funder's decisions, as named there
#: Every state, in the order a legend lists them.
STATES = (NOT_YET_DUE, DUE, MISSING, RECEIVED, LATE, QUERIED, ACCEPTED)
STATE_LABELS = {
    NOT_YET_DUE: "Not yet due",
    DUE: "Due",
    MISSING: "Missing",
    RECEIVED: "Received",
    LATE: "Received late",
    QUERIED: "Queried",
    ACCEPTED: "Accepted",
}
STATE_SENTENCES = {
    NOT_YET_DUE: "The period has not ended yet.",
    DUE: "The period has ended and its due date has not passed; nothing is received yet.",
    MISSING: "The due date has passed and nothing has been received.",
    RECEIVED: "Received by the due date; waiting for the funder to accept or query it.",
    LATE: "Received, but the first version arrived after the due date; waiting for the funder.",
    QUERIED: "The funder queried the current version; waiting for an amendment or a reply.",
    ACCEPTED: "The funder accepted the current version.",
}
#: Providers per query: a bounded `IN` list, far below SQLite's and PostgreSQL's limits.
CHUNK = 500

Provider = tuple[str, str]  # (organisation code, name)


@dataclass(frozen=True)
class Cell:
    """One provider's return for one period: its state and, once filed, its current version."""

    org: str
    period: Period
    state: str
    due: dt.date | None
    submission_id: int | None = None
    version: int | None = None
    submitted_at: dt.datetime | None = None  # of the current version
    first_submitted_at: dt.datetime | None = None  # of version 1
    late: bool = False  # version 1 arrived after the due date

    @property
    def label(self) -> str:
        """The state as a short label ("Received late")."""
        return STATE_LABELS[self.state]

    @property
    def sentence(self) -> str:
        """The state in a sentence."""
        return STATE_SENTENCES[self.state]

    @property
    def received(self) -> bool:
        """Whether any version is filed."""
        return self.submission_id is not None


@dataclass(frozen=True)
class Rates:
    """One period's counts: providers expected (due date passed), received, on time.

    `received` and `on_time` count every provider in the grid, so a period
    still in its due window shows who filed already; the due date is the rule
    file's, the same for every provider, so once it has passed every provider
    is expected and `received <= expected`.
    """

    expected: int
    received: int
    on_time: int

    @property
    def completeness(self) -> float | None:
        """Received / expected, or None while nothing is expected."""
        return self.received / self.expected if self.expected else None

    @property
    def timeliness(self) -> float | None:
        """On time / expected, or None while nothing is expected."""
        return self.on_time / self.expected if self.expected else None


@dataclass(frozen=True)
class Grid:
    """Providers × periods (newest first) of one rule file, as at `today`."""

    rule_id: str
    title: str
    today: dt.date
    periods: tuple[Period, ...]
    providers: tuple[Provider, ...]
    cells: Mapping[tuple[str, str], Cell]  # (org, period label) -> cell
    rates: Mapping[str, Rates]  # period label -> rates over `providers`

    def cell(self, org: str, period: Period) -> Cell:
        """The cell of one provider and period."""
        return self.cells[(org, period.label)]

    def row(self, org: str) -> list[Cell]:
        """One provider's cells, newest period first."""
        return [self.cell(org, period) for period in self.periods]

    def headings(self) -> list[str]:
        """The periods in words ("July to September 2026"), newest first."""
        return [period_words(period) for period in self.periods]

    def filtered(self, state: str | None = None, provider_text: str | None = None) -> Grid:
        """The providers with a cell in `state` whose name or code holds `provider_text`.

        The text matches regardless of case; the rates are those of the rows kept.
        """
        if state is not None and state not in STATES:
            raise UsageError(f"{state!r} is not a state; the states are {', '.join(STATES)}")
        needle = (provider_text or "").strip().casefold()
        kept = tuple(
            (org, name)
            for org, name in self.providers
            if (needle in org.casefold() or needle in name.casefold())
            and (state is None or any(c.state == state for c in self.row(org)))
        )
        codes = {org for org, _ in kept}
        cells = {key: cell for key, cell in self.cells.items() if key[0] in codes}
        return _grid(self.rule_id, self.title, self.today, self.periods, kept, cells)


def provider_grid(
    engine: Engine,
    providers: Sequence[Provider],
    rule_file: RuleFile,
    today: dt.date,
    count: int = 4,
) -> Grid:
    """The grid of `providers` (code, name) for the current period and the `count` before it.

    Periods are newest first: the one containing `today` (not ended), then the
    `count` most recent that have ended. A code listed twice is shown once.
    """
    kind, year_start = period_scheme(rule_file)
    periods = (
        period_containing(today, kind, year_start),
        *recent_periods(kind, year_start, today, count),
    )
    unique = tuple(_unique(providers))
    filed = _filed(engine, [org for org, _ in unique], rule_file.id, periods)
    cells = {}
    for period in periods:
        due = due_date(rule_file, period)
        for org, _ in unique:
            entry = filed.get((org, period.start, period.end))
            cells[(org, period.label)] = _cell(org, period, due, today, entry)
    return _grid(rule_file.id, rule_file.model.title, today, periods, unique, cells)


def ledger_mark(engine: Engine) -> tuple[int, int]:
    """How many submitted returns and events this connection sees.

    The ledger is only ever added to (triggers refuse any change), so every
    addition changes the counts, and the grid of the same providers, rule file
    and day is the same while they are: a server may keep it (`GridKeeper`)
    instead of reading the ledger for every view. (The newest ids would not do:
    two filings at once may commit in the other order.)
    """
    counts = select(
        select(func.count()).select_from(ledger).scalar_subquery(),
        select(func.count()).select_from(return_event).scalar_subquery(),
    )
    with engine.connect() as conn:
        row = conn.execute(counts).one()
    return int(row[0]), int(row[1])


class GridKeeper:
    """`provider_grid`s worked out lately, each kept until the ledger changes (`ledger_mark`).

    A funder's dashboard asks again on every view; keeping the grid saves the
    two queries and the cells' Python (a third of a view for 200 providers).
    Thread-safe; `kept` grids at most, the least recently used dropped first.
    """

    def __init__(self, kept: int = 32) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._grids: OrderedDict[tuple[Any, ...], Grid] = OrderedDict()

    def grid(
        self,
        engine: Engine,
        providers: Sequence[Provider],
        rule_file: RuleFile,
        today: dt.date,
        scope: str = "",
    ) -> Grid:
        """`provider_grid(engine, providers, rule_file, today)`, kept per `scope` (a funder)."""
        key = (scope, rule_file.id, rule_file.digest, today, tuple(providers), ledger_mark(engine))
        with self._lock:
            found = self._grids.get(key)
            if found is not None:
                self._grids.move_to_end(key)
                return found
        grid = provider_grid(engine, providers, rule_file, today)
        with self._lock:
            self._grids[key] = grid
            while len(self._grids) > self.kept:
                self._grids.popitem(last=False)
        return grid


def _unique(providers: Iterable[Provider]) -> Iterator[Provider]:
    seen: set[str] = set()
    for org, name in providers:
        if org not in seen:
            seen.add(org)
            yield org, name


@dataclass(frozen=True)
class _Filed:
    """What the grid needs of one period's versions: the current one and the first."""

    current_id: int
    version: int
    submitted_at: dt.datetime
    first_submitted_at: dt.datetime
    late: bool
    events: list[Event]


def _filed(
    engine: Engine, orgs: Sequence[str], rule_id: str, periods: Sequence[Period]
) -> dict[tuple[str, dt.date, dt.date], _Filed]:
    """Every filed period of `orgs` within `periods`, by (org, start, end)."""
    first_day, last_day = min(p.start for p in periods), max(p.end for p in periods)
    columns = (ledger.c.id, ledger.c.org, ledger.c.period_start, ledger.c.period_end)
    query = select(*columns, ledger.c.version, ledger.c.submitted_at, ledger.c.late)
    found = {}
    for start in range(0, len(orgs), CHUNK):
        which = (
            ledger.c.org.in_(orgs[start : start + CHUNK]),
            ledger.c.rule_id == rule_id,
            ledger.c.period_start >= first_day,
            ledger.c.period_end <= last_day,
        )
        with engine.connect() as conn:
            rows = conn.execute(query.where(*which).order_by(ledger.c.version)).all()
        decided = events_of(engine, select(ledger.c.id).where(*which))
        versions: dict[tuple[str, dt.date, dt.date], list[Any]] = {}
        for row in rows:
            versions.setdefault((row.org, row.period_start, row.period_end), []).append(row)
        for key, listed in versions.items():
            first, current = listed[0], listed[-1]
            found[key] = _Filed(
                current_id=int(current.id),
                version=int(current.version),
                submitted_at=as_utc(current.submitted_at),
                first_submitted_at=as_utc(first.submitted_at),
                late=bool(first.late),
                events=decided.get(int(current.id), []),
            )
    return found


def _cell(
    org: str, period: Period, due: dt.date | None, today: dt.date, filed: _Filed | None
) -> Cell:
    if filed is None:
        if today <= period.end:
            return Cell(org, period, NOT_YET_DUE, due)
        return Cell(org, period, MISSING if overdue(due, today) else DUE, due)
    decided = version_state(filed.version, True, filed.events)
    state = decided if decided in (ACCEPTED, QUERIED) else LATE if filed.late else RECEIVED
    return Cell(
        org,
        period,
        state,
        due,
        filed.current_id,
        filed.version,
        filed.submitted_at,
        filed.first_submitted_at,
        filed.late,
    )


def rates(cells: Iterable[Cell], today: dt.date) -> Rates:
    """The counts of one period's cells as at `today`."""
    listed = list(cells)
    return Rates(
        expected=sum(1 for c in listed if overdue(c.due, today)),
        received=sum(1 for c in listed if c.received),
        on_time=sum(1 for c in listed if c.received and not c.late),
    )


def _grid(
    rule_id: str,
    title: str,
    today: dt.date,
    periods: tuple[Period, ...],
    providers: tuple[Provider, ...],
    cells: Mapping[tuple[str, str], Cell],
) -> Grid:
    by_period = {
        period.label: rates((cells[(org, period.label)] for org, _ in providers), today)
        for period in periods
    }
    return Grid(rule_id, title, today, periods, providers, cells, by_period)
