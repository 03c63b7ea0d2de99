"""`factcheck train crosslingual`: the scorer and thresholds of the cross-lingual matching path (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import train_app, user_errors, vector_cache_at
from factcheck.settings import PROJECT_ROOT, Settings


@train_app.command("crosslingual")
def crosslingual_command(
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: ../shared/data).")
    ] = None,
    dev: Annotated[
        Path, typer.Option(help="The multilingual dev set (posts.jsonl, news.jsonl).")
    ] = PROJECT_ROOT / "bench" / "multilingual_dev",
    models: Annotated[Path | None, typer.Option(help="Models folder (default: settings).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where scorer.json goes (default: MODELS/crosslingual).")
    ] = None,
    vector_cache: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps encoder vectors between runs.")
    ] = None,
) -> None:
    """Fit the cross-lingual scorer on English pairs, calibrate it and choose its thresholds on the
    multilingual dev set's tune half, and report both halves.

    Example:

        factcheck train crosslingual --data ../shared/data --vector-cache /tmp/factcheck-vectors.db
    """
    from factcheck.training.crosslingual import train_crosslingual

    settings = Settings()
    models_dir = models or settings.models_dir
    with user_errors(), vector_cache_at(vector_cache) as cache:
        report = train_crosslingual(
            data or settings.shared_data_dir,
            dev,
            models_dir,
            out_dir=out or models_dir / "crosslingual",
            vector_cache=cache,
            multilingual_model=settings.multilingual_model,
        )
    thresholds = report.scorer.thresholds
    typer.echo(f"thresholds (tune): {thresholds}")
    for half, figures in report.figures.items():
        for language, row in figures.items():
            typer.echo(f"{half:5} {language:3} " + " ".join(f"{k} {v}" for k, v in row.items()))
    typer.echo(f"wrote {report.out_dir} in {report.seconds:.0f} s")
