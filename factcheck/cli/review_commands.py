"""`factcheck train reranker --with-reviews`: the editors' decisions fed back into the matcher."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import open_database, train_app, user_errors, vector_cache_at
from factcheck.errors import InputError
from factcheck.settings import Settings

_SHOWN = (
    ("map@1", "MAP@1"),
    ("map@5", "MAP@5"),
    ("p@1", "P@1"),
    ("recall@5", "R@5"),
    ("precision@match", "precision@match"),
    ("coverage@match", "coverage@match"),
)


def _figure(metrics: dict[str, float] | None, key: str) -> str:
    if not metrics or key not in metrics or metrics[key] != metrics[key]:  # missing or NaN
        return "n/a"
    return f"{metrics[key]:.3f}"


@train_app.command("reranker")
def train_reranker(
    with_reviews: Annotated[
        bool, typer.Option("--with-reviews", help="Add the editors' confirmed and rejected pairs (required).")
    ] = False,
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: FACTCHECK_SHARED_DATA_DIR).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Models folder holding matcher/ (default: FACTCHECK_MODELS_DIR).")
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option(help="full (BM25+static+MiniLM) or fast (BM25+static). Repeatable; default both."),
    ] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="Add each reviewed wording this many times (more weight).")
    ] = 1,
    replace: Annotated[
        str, typer.Option(help="if-not-worse (pooled dev MAP@5), always, or never (keep it staged).")
    ] = "if-not-worse",
    seed: Annotated[int, typer.Option(help="Random state of the re-ranker.")] = 0,
    vector_cache: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps MiniLM vectors between runs.")
    ] = None,
) -> None:
    """Retrain the re-ranker with the editors' reviewed pairs added; print dev figures before and after.

    Confirmed matches become relevant pairs of the training split and every other candidate of the
    same wording a negative (rejected ones included). The new model is trained beside the current
    one (matcher.with-reviews/) and replaces it only if its pooled dev MAP@5 is not lower, unless
    --replace says otherwise; the previous one is kept as matcher.previous/.

    Example:

        factcheck train reranker --with-reviews --profile fast --vector-cache /tmp/factcheck-vectors.db
    """
    from factcheck.training.review import train_reranker_with_reviews

    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with user_errors():
        if not with_reviews:
            raise InputError(
                "only --with-reviews is supported here; `factcheck train matcher` trains without them"
            )
        mode = {"if-not-worse": "if_not_worse", "always": "always", "never": "never"}.get(replace)
        if mode is None:
            raise InputError(f"--replace must be if-not-worse, always or never, not {replace!r}")
        store = open_database(settings)
        with vector_cache_at(vector_cache) as cache:
            report = train_reranker_with_reviews(
                store,
                data or settings.shared_data_dir,
                out or settings.models_dir,
                random_state=seed,
                vector_cache=cache,
                profiles=tuple(profile or ("full", "fast")),
                repeat=repeat,
                replace=mode,  # type: ignore[arg-type]
            )
    added = report.added
    if added is not None:
        typer.echo(
            f"Added {added.queries} reviewed wording(s) with {added.positives} confirmed match(es) over "
            f"{added.debunks} debunk(s); {added.unused_rejections} rejection(s) of wordings without a "
            "confirmed match could not be used."
        )
    for name in sorted(report.after):
        before, after = report.before.get(name), report.after[name]
        typer.echo(f"{name} (dev, pooled):{'' if before else ' no current model to compare with'}")
        for key, label in _SHOWN:
            typer.echo(f"  {label:<16} {_figure(before, key):>7} -> {_figure(after, key)}")
    if report.replaced:
        typer.echo(
            f"Installed the new re-ranker in {report.model_dir} (the previous one is in matcher.previous/)"
        )
    else:
        typer.echo(f"Kept the current re-ranker; the new one is in {report.staged_dir}")
    typer.echo(f"Took {report.seconds:.0f} s")
