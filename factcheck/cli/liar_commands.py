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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object: the figures (accuracy_6, macro_f1_6, accuracy_2, macro_f1_2, n, ...) "
            "of one file, or {file name: figures} when a folder holds both splits.",
        ),
    ] = False,
) -> None:
    """6-way and binary (false-leaning) accuracy and macro-F1 of the text classifier on LIAR.

    Binary: pants-fire, false and barely-true against the rest, predicted by the false-leaning
    probability at 0.5 (its Brier score and calibration error are shown too).

    Example:

        factcheck eval liar --data ../shared/data/liar/valid.tsv --json
    """
    from factcheck.evaluation.liar import evaluate_liar, liar_files, read_liar
    from factcheck.liar import TextClassifier

    with user_errors():
        classifier = TextClassifier.load(model or Settings().models_dir / "liar")
        results = {path.name: evaluate_liar(classifier, read_liar(path)) for path in liar_files(data)}
    if as_json:
        typer.echo(json.dumps(next(iter(results.values())) if len(results) == 1 else results, indent=2))
        return
    for name, figures in results.items():
        typer.echo(
            f"{name}: n={figures['n']:.0f}\n"
            f"  6-way:  accuracy {figures['accuracy_6']:.3f}  macro-F1 {figures['macro_f1_6']:.3f}"
            f"  (majority class {figures['majority_6']:.3f})\n"
            f"  binary: accuracy {figures['accuracy_2']:.3f}  macro-F1 {figures['macro_f1_2']:.3f}"
            f"  (majority class {figures['majority_2']:.3f}; Brier {figures['brier_2']:.3f},"
            f" ECE {figures['ece_2']:.3f})"
        )


@train_app.command("liar")
def train_liar_command(
    data: Annotated[
        Path | None, typer.Option(help="The LIAR folder with train.tsv (default: <shared data>/liar).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: <models dir>/liar).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the row shuffle that sets the stacking folds.")] = 0,
) -> None:
    """Train the LIAR text classifier on train.tsv, save it, and report valid.tsv.

    Writes liar.skops and metadata.json into the output folder (replacing what is there).

    Example:

        factcheck train liar --data ../shared/data/liar --out models/liar
    """
    from factcheck.training.liar import train_liar

    settings = Settings()
    target = out or settings.models_dir / "liar"
    with user_errors():
        metadata = train_liar(data or settings.shared_data_dir / "liar", target, random_state=seed)
    typer.echo(
        f"Saved to {target} ({metadata['artifact']['bytes'] / 1e6:.1f} MB) in {metadata['training_seconds']:.0f} s"
    )
    if "valid" in metadata:
        valid = metadata["valid"]
        typer.echo(
            f"valid: accuracy_6 {valid['accuracy_6']:.3f}  macro_f1_6 {valid['macro_f1_6']:.3f}  "
            f"accuracy_2 {valid['accuracy_2']:.3f}  macro_f1_2 {valid['macro_f1_2']:.3f}  "
            f"ece_2 {valid['ece_2']:.3f}; {metadata['claims_per_second_one_core']:.0f} claims/s on one core"
        )
