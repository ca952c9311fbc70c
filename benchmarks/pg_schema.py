"""A throwaway PostgreSQL schema for a benchmark run: made at the start, dropped at the end.

Imported by the benchmark scripts beside it (run them as `python benchmarks/NAME.py`,
so this folder is on the import path).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from sqlalchemy import text

from peerreport.store.database import open_engine


def fresh_postgres_schema(url: str) -> tuple[str, str]:
    """A new, empty schema in the given database (dropped afterwards): its URL and name."""
    name = "bench_" + uuid.uuid4().hex[:10]
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={name}')}", name


def drop_postgres_schema(url: str, name: str) -> None:
    """Drop a schema made by `fresh_postgres_schema`, with everything in it."""
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()
