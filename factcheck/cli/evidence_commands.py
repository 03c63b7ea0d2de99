"""`factcheck train evidence`: the message-level evidence model (several sentences, one hoax)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import train_app, user_errors
from factcheck.settings import Settings


@train_app.command("evidence")
def train_evidence_command(
    emails: Annotated[
        Path | None, typer.Option(help="The dev chain e-mails (default: bench/email_dev/emails.jsonl).")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: ../shared/data).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write model.json into (default: models/evidence).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random state of the logistic regression.")] = 0,
) -> None:
    """Learn how sentences of one e-mail block or paragraph that point at the same debunk add up.

    Fits on the train half of the dev chain e-mails and on news paragraphs, over a scratch database
    filled from the shipped corpus (so the result does not depend on what you imported), and picks the
    threshold for precision >= 0.95 on held-out folds.

    Example:

        factcheck train evidence --data ../shared/data
    """
    from factcheck.pipeline import Checker
    from factcheck.training.evidence import train_evidence

    settings = Settings()
    root = settings.models_dir.parent
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with user_errors(), tempfile.TemporaryDirectory() as scratch:
        checker = Checker.from_settings(
            settings.model_copy(
                update={"database_url": f"sqlite:///{scratch}/corpus.db", "message_evidence": False}
            ),
            rejections=None,
        )
        report = train_evidence(
            checker,
            emails or root / "bench" / "email_dev" / "emails.jsonl",
            data or root.parent / "shared" / "data",
            out or settings.models_dir / "evidence",
            random_state=seed,
        )
    typer.echo(
        f"threshold {report.threshold:.3f}: out-of-fold precision {report.out_of_fold['precision_at_threshold']:.3f}, "
        f"recall {report.out_of_fold['recall_at_threshold']:.3f} over {report.examples['positive']} positive "
        f"of {report.examples['pairs']} pairs ({report.examples})"
    )
    typer.echo(f"wrote {report.out_dir / 'model.json'}")
