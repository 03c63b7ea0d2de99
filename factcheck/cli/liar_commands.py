"""`factcheck eval liar` and `factcheck train liar`: the weak text classifier and its figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import eval_app, train_app, user_errors
from factcheck.settings import Settings


@eval_app.command("liar")
def eval_liar(
    data: Annotated[Path, typer.Option(help="A LIAR .tsv file, or a folder with valid.tsv / test.tsv.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: <models dir>/liar).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """6-way and binary (false-leaning) accuracy and macro-F1 of the text classifier.

    Example:

        factcheck eval liar --data ../shared/data/liar/valid.tsv --json
    """
    from factcheck.classify import TextClassifier
    from factcheck.evaluation.liar import evaluate_liar, liar_files, read_liar

    with user_errors():
        classifier = TextClassifier.load(model or Settings().models_dir / "liar")
        results = {path.name: evaluate_liar(classifier, read_liar(path)) for path in liar_files(data)}
    if as_json:
        typer.echo(json.dumps(next(iter(results.values())) if len(results) == 1 else results, indent=2))
        return
    for name, figures in results.items():
        typer.echo(
            f"{name}: n={figures['n']:.0f} accuracy_6={figures['accuracy_6']:.3f} "
            f"macro_f1_6={figures['macro_f1_6']:.3f} accuracy_2={figures['accuracy_2']:.3f} "
            f"macro_f1_2={figures['macro_f1_2']:.3f} (majority class {figures['majority_6']:.3f})"
        )


@train_app.command("liar")
def train_liar_command(
    data: Annotated[Path | None, typer.Option(help="The LIAR folder (default: <shared data>/liar).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: <models dir>/liar).")] = None,
) -> None:
    """Train the LIAR text classifier on train.tsv and report valid.tsv.

    Example:

        factcheck train liar --data ../shared/data/liar
    """
    from factcheck.training.liar import train_liar

    settings = Settings()
    with user_errors():
        metadata = train_liar(data or settings.shared_data_dir / "liar", out or settings.models_dir / "liar")
    typer.echo(json.dumps(metadata, indent=2))
