"""`factcheck eval extraction`: score main-text extraction on the article-extraction benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import eval_app, user_errors
from factcheck.settings import Settings


@eval_app.command("extraction")
def eval_extraction(
    data: Annotated[
        Path | None,
        typer.Option(help="Benchmark folder with html/ and ground_truth.json (default: shared data dir)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Extract the main text of every benchmark page and score it against the gold article body.

    Prints the benchmark's own 4-token shingle precision, recall and F1 (comparable with its
    published table), exact-match accuracy, token-level precision, recall and F1, and the time
    per page.

    Example:

        factcheck eval extraction --data ../shared/data/article_extraction --json
    """
    from factcheck.evaluation.extraction import PUBLISHED_TRAFILATURA, evaluate_extraction

    with user_errors():
        report = evaluate_extraction(data or Settings().shared_data_dir / "article_extraction")
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    typer.echo(f"{report.pages} pages ({report.empty_predictions} with no text extracted)")
    typer.echo(
        f"shingle  precision {report.shingle_precision:.3f}  recall {report.shingle_recall:.3f}  "
        f"F1 {report.shingle_f1:.3f}  accuracy {report.accuracy:.3f}"
    )
    typer.echo(
        f"token    precision {report.token_precision:.3f}  recall {report.token_recall:.3f}  "
        f"F1 {report.token_f1:.3f}"
    )
    typer.echo(
        "published trafilatura {version} (181 pages): shingle F1 {f1:.3f}, "
        "precision {precision:.3f}, recall {recall:.3f}".format(**PUBLISHED_TRAFILATURA)
    )
    typer.echo(
        f"CPU time {report.mean_ms_per_page:.1f} ms/page mean, {report.median_ms_per_page:.1f} ms median"
    )
