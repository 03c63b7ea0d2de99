"""`factcheck train related-threshold`: the reader's "possibly related" threshold, from the matcher's dev run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import train_app, user_errors, vector_cache_at
from factcheck.settings import Settings


@train_app.command("related-threshold")
def related_threshold_command(
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: ../shared/data).")
    ] = None,
    models: Annotated[Path | None, typer.Option(help="Models folder (default: settings).")] = None,
    profile: Annotated[str, typer.Option(help="Matcher profile: 'full' or 'fast'.")] = "full",
    vector_cache: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps MiniLM vectors between runs.")
    ] = None,
    basis: Annotated[
        str,
        typer.Option(
            help="'band': precision of the claims in [threshold, match), what readers see as possibly "
            "related; 'cumulative': of all claims at or above the threshold, matches included."
        ),
    ] = "band",
    dry_run: Annotated[bool, typer.Option(help="Print the threshold, do not record it.")] = False,
) -> None:
    """Choose the "possibly related" threshold on dev (band precision >= 0.80) for the shipped matcher.

    Runs the matcher of PROFILE as checks run it over the dev splits it was calibrated on, and records
    the threshold, its dev precision and where it came from under `related_threshold` in that profile's
    section of models/matcher/manifest.json. Rerun it after every `factcheck train matcher`: a threshold
    chosen against another match threshold is ignored.

    Example:

        factcheck train related-threshold --data ../shared/data --vector-cache /tmp/factcheck-vectors.db
    """
    from factcheck.training.related import MIN_BAND, measure_related_threshold, record_related_threshold

    if profile not in ("full", "fast"):
        raise typer.BadParameter("--profile must be 'full' or 'fast'")
    if basis not in ("band", "cumulative"):
        raise typer.BadParameter("--basis must be 'band' or 'cumulative'")
    settings = Settings()
    data_dir = data or settings.shared_data_dir
    models_dir = models or settings.models_dir
    with user_errors():
        with vector_cache_at(vector_cache) as cache:
            result = measure_related_threshold(
                models_dir,
                data_dir,
                profile=profile,
                vector_cache=cache,
                basis=basis,  # type: ignore[arg-type]
            )
        if result.threshold >= result.match_threshold:
            typer.echo(
                f"{profile}: no threshold reaches {basis} precision {result.precision_target:.2f} on dev "
                f"over {MIN_BAND}+ claims: the possibly_related tier is off for this matcher"
            )
        typer.echo(
            f"{profile}: possibly related >= {result.threshold:.3f} (match >= {result.match_threshold:.3f}): "
            f"dev precision {_fmt(result.dev_precision)} over the {result.dev_shown} claims in the band, "
            f"{result.dev_precision_at_or_above:.3f} with the matches; "
            f"shows the right fact-check for {result.dev_recall_gain:.1%} more of the "
            f"{result.dev_claims_with_debunk} dev claims with a debunk, and a card for "
            f"{result.dev_negatives_shown:.1%} of the {result.dev_claims_without_debunk} without one"
        )
        if not dry_run:
            typer.echo(f"recorded in {record_related_threshold(models_dir, result)}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
