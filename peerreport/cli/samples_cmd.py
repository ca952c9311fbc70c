"""`peerreport samples`."""

from __future__ import annotations

from pathlib import Path

import click

RECORD_TYPES = ("activities", "breakdowns", "workforce", "feedback")


@click.group()
def samples() -> None:
    """Synthetic sample records (an invented organisation; no real people)."""


@samples.command()
@click.option(
    "--records",
    "count",
    type=click.IntRange(min=1),
    help="How many activity rows to generate (default: every activity of one year from --start).",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="The same seed always gives the same rows.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2025-07-01",
    show_default=True,
    help="The first day of the sample (YYYY-MM-DD).",
)
@click.option(
    "--only",
    "types",
    multiple=True,
    type=click.Choice(RECORD_TYPES),
    help="Write only these record types (repeatable). Default: all.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .csv, .xlsx or .jsonl (its folder is made if missing). CSV and "
    "JSON Lines hold one record type per file, so breakdowns, workforce and feedback go "
    "beside it.",
)
def generate(
    count: int | None, seed: int, start: object, types: tuple[str, ...], out: Path
) -> None:
    """Generate a synthetic activity log.

    \b
    Examples:
      peerreport samples generate --seed 2026 --start 2025-07-01 --out year.xlsx
      peerreport samples generate --records 1000000 --only activities --out big.csv
    """
    import datetime as dt

    from peerreport.samples.generator import SampleSpec, one_year
    from peerreport.samples.writer import write_samples

    assert isinstance(start, dt.datetime)
    # `--out samples/year.xlsx` in a fresh workspace should just work, as `export --out` does.
    out.parent.mkdir(parents=True, exist_ok=True)
    if count is None:
        spec = one_year(seed, start.date())
    else:
        spec = SampleSpec(records=count, seed=seed, start=start.date())
    for path in write_samples(out, spec, types or RECORD_TYPES):
        click.echo(f"wrote {path}")
