"""`factcheck claims`, `factcheck eval|train checkworthiness[-multilingual]`: stage 2 and its two models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from factcheck.cli._apps import app, eval_app, read_source, train_app, user_errors
from factcheck.ingest import SourceKind
from factcheck.language import language_name
from factcheck.serialize import ClaimSpan
from factcheck.settings import Settings

if TYPE_CHECKING:
    from factcheck.checkworthiness import Domain
    from factcheck.evaluation.checkworthiness import Split

_MODEL_HELP = "Model folder (default: <models dir>/checkworthiness)."
_MULTILINGUAL_HELP = "Transferred model folder (default: <models dir>/checkworthiness-multilingual)."


def _model_dir(model: Path | None, settings: Settings | None = None) -> Path:
    return model or Path((settings or Settings()).models_dir) / "checkworthiness"


def _multilingual_dir(model: Path | None, settings: Settings) -> Path:
    return model or Path(settings.models_dir) / "checkworthiness-multilingual"


@app.command()
def claims(
    source: Annotated[
        str, typer.Argument(help="A file (text, .html, .eml), an http(s) URL, or - for stdin.")
    ],
    kind: Annotated[SourceKind | None, typer.Option(help="Skip detection: text, html, url or email.")] = None,
    only_checkworthy: Annotated[
        bool, typer.Option("--checkworthy", help="List only the claims at or above the threshold.")
    ] = False,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Check-worthy cut (default: the model's).")
    ] = None,
    model: Annotated[Path | None, typer.Option(help=_MODEL_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the claims as JSON.")] = False,
) -> None:
    """List the claims of a document with their character spans and check-worthiness.

    Every sentence that could be a claim is listed with its score; those at or above the threshold
    are marked check-worthy.

    Example:

        factcheck claims article.html
        echo "BREAKING: Crime fell 20% last year. Share if you agree!" | factcheck claims - --json
    """
    from factcheck.checkworthiness import CheckworthinessModel
    from factcheck.checkworthiness_multilingual import LanguageRoutedScorer, TransferredCheckworthinessModel
    from factcheck.claims import extract_claims
    from factcheck.ingest import SafeFetcher, ingest

    with user_errors():
        settings = Settings()
        scorer = LanguageRoutedScorer(
            CheckworthinessModel.load(_model_dir(model, settings)),
            TransferredCheckworthinessModel.load(_multilingual_dir(None, settings)),
        )
        document = ingest(read_source(source), kind=kind, fetcher=SafeFetcher.from_settings(settings))
        cutoff = scorer.threshold if threshold is None else threshold
        found = extract_claims(
            document, scorer=scorer, min_checkworthiness=cutoff if only_checkworthy else None
        )
    if as_json:
        payload = {
            "title": document.title,
            "source_url": document.source_url,
            "threshold": cutoff,
            "claims": [
                {
                    **ClaimSpan.of(claim).model_dump(mode="json"),
                    "checkworthy": claim.checkworthiness >= cutoff,
                    "language": claim.language,
                    "checkworthiness_transferred": claim.checkworthiness_transferred,
                }
                for claim in found
            ],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    table = Table(show_lines=True)
    for column in ("span", "claim", "normalized", "score"):
        table.add_column(column, overflow="fold")
    for claim in found:
        style = "bold" if claim.checkworthiness >= cutoff else "dim"
        table.add_row(
            f"{claim.start}-{claim.end}",
            f"[{style}]{escape(claim.text)}[/]"
            + (f"\n[dim]language: {language_name(claim.language)}[/]" if claim.language != "en" else ""),
            claim.normalized if claim.normalized != claim.text else "",
            f"[{style}]{claim.checkworthiness:.2f}[/]"
            + (" (transferred)" if claim.checkworthiness_transferred else ""),
        )
    console.print(table)
    worthy = sum(claim.checkworthiness >= cutoff for claim in found)
    console.print(f"{len(found)} claims, {worthy} check-worthy (score >= {cutoff:.2f})")


@eval_app.command("checkworthiness")
def eval_checkworthiness(
    data: Annotated[
        Path,
        typer.Option(
            help="A task 1 .tsv/.json, a task 5 transcript .tsv or folder of them, a ClaimBuster .json."
        ),
    ],
    split: Annotated[
        str,
        typer.Option(
            help="'all' items, or only the model's 'dev' items (as recorded in its dev_split.json)."
        ),
    ] = "all",
    domain: Annotated[
        str | None,
        typer.Option(help="Score as general, social or transcript instead of the domain the data implies."),
    ] = None,
    model: Annotated[Path | None, typer.Option(help=_MODEL_HELP)] = None,
    per_group: Annotated[
        bool, typer.Option("--per-group", help="Also show each transcript's figures.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score the check-worthiness model on a CheckThat! 2020 task 1/5 or ClaimBuster split.

    The format is detected from the content. Prints MAP (per transcript for task 5, averaged, as the
    task scored it), R-precision, MRR, P@k and precision/recall/F1 of the check-worthy class at the
    model's threshold for the dataset's domain.

    Example:

        factcheck eval checkworthiness --data ../shared/data/clef2020_task1_checkworthy_tweets/dev_v2.tsv
        factcheck eval checkworthiness --data ../shared/data/claimbuster/2.5xNCS.json --split dev --json
    """
    from factcheck.checkworthiness import DOMAINS
    from factcheck.evaluation.checkworthiness import run_checkworthiness_eval

    # Plain str options, checked here: importing the Literal types would load scikit-learn and spaCy
    # for every `factcheck` command.
    if split not in ("all", "dev"):
        raise typer.BadParameter(f"{split!r} is not one of 'all', 'dev'", param_hint="--split")
    if domain is not None and domain not in DOMAINS:
        raise typer.BadParameter(f"{domain!r} is not one of {', '.join(DOMAINS)}", param_hint="--domain")
    with user_errors():
        report = run_checkworthiness_eval(
            data,
            model_dir=_model_dir(model),
            split=cast("Split", split),
            domain=cast("Domain | None", domain),
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(per_group=per_group)))
        return
    typer.echo(
        f"{report.dataset}: {report.n_items:,} texts ({report.n_positive:,} check-worthy) "
        f"in {report.n_groups} ranking unit(s)"
    )
    typer.echo(f"MAP {report.map:.4f}  R-precision {report.r_precision:.4f}  MRR {report.mrr:.4f}")
    typer.echo("  ".join(f"P@{k} {value:.4f}" for k, value in report.precision_at.items()))
    typer.echo(
        f"check-worthy at >= {report.threshold:.3f}: precision {report.precision_positive:.4f}  "
        f"recall {report.recall_positive:.4f}  F1 {report.f1_positive:.4f}  (macro-F1 {report.f1_macro:.4f})"
    )
    if per_group:
        for name, metrics in report.per_group.items():
            typer.echo(
                f"  {name}: AP {metrics.average_precision:.4f}  RR {metrics.reciprocal_rank:.4f}  "
                + "  ".join(f"P@{k} {value:.2f}" for k, value in metrics.precision_at.items())
            )


@train_app.command("checkworthiness")
def train_checkworthiness(
    data: Annotated[Path | None, typer.Option(help="The shared data folder (default: settings).")] = None,
    out: Annotated[Path | None, typer.Option(help=_MODEL_HELP)] = None,
    seed: Annotated[int, typer.Option(help="Seeds the ClaimBuster dev split and the solver.")] = 2026,
    force: Annotated[bool, typer.Option("--force", help="Replace a model already in --out.")] = False,
) -> None:
    """Train the check-worthiness model (CheckThat! 2020 tasks 1 and 5, ClaimBuster), tuned on dev.

    Takes about two minutes on two cores. Writes weights.npz, vocabulary.json, metadata.json and
    dev_split.json.

    Example:

        factcheck train checkworthiness --data ../shared/data --out models/checkworthiness --force
    """
    from factcheck.training.checkworthiness import save_training_result
    from factcheck.training.checkworthiness import train_checkworthiness as train

    settings = Settings()
    out_dir = _model_dir(out, settings)
    if (out_dir / "metadata.json").exists() and not force:
        raise typer.BadParameter(
            f"{out_dir} already holds a model; pass --force to replace it", param_hint="--out"
        )
    with user_errors():
        result = train(data or settings.shared_data_dir, random_state=seed, log=typer.echo)
        save_training_result(result, out_dir, overwrite=force)
    for name, report in result.dev_reports.items():
        typer.echo(
            f"dev {name}: MAP {report.map:.4f}  P@10 {report.precision_at.get(10, float('nan')):.4f}  "
            f"F1 {report.f1_positive:.4f} at {report.threshold:.3f}"
        )
    typer.echo(f"Wrote {out_dir} in {result.seconds:.0f} s")


@train_app.command("checkworthiness-multilingual")
def train_checkworthiness_multilingual(
    data: Annotated[Path | None, typer.Option(help="The shared data folder (default: settings).")] = None,
    out: Annotated[Path | None, typer.Option(help=_MULTILINGUAL_HELP)] = None,
    cache: Annotated[
        Path, typer.Option(help="Vector cache outside the repository; a rerun encodes nothing.")
    ] = Path("/tmp/factcheck-checkworthiness-e5/vectors.npz"),
    seed: Annotated[int, typer.Option(help="Seeds the splits, the subsample and the solver.")] = 2026,
    force: Annotated[bool, typer.Option("--force", help="Replace a model already in --out.")] = False,
) -> None:
    """Train the transferred check-worthiness model: the English data, embedded by multilingual-e5.

    Uses the English model's splits; negatives are subsampled for encoding speed (about 13,000 texts to
    encode, 10-25 minutes on one loaded core the first time). Writes weights.npz and metadata.json.

    Example:

        factcheck train checkworthiness-multilingual --data ../shared/data --force
    """
    from factcheck.matching.embeddings import MultilingualEncoder
    from factcheck.training.checkworthiness_multilingual import train_transferred_checkworthiness

    settings = Settings()
    out_dir = _multilingual_dir(out, settings)
    if (out_dir / "metadata.json").exists() and not force:
        raise typer.BadParameter(
            f"{out_dir} already holds a model; pass --force to replace it", param_hint="--out"
        )
    with user_errors():
        encoder = MultilingualEncoder()
        result = train_transferred_checkworthiness(
            data or settings.shared_data_dir,
            encode=encoder.encode_queries,
            encoder_id=encoder.model_id,
            cache=cache,
            random_state=seed,
            log=typer.echo,
        )
        result.model.save(out_dir, overwrite=force)
    for name, report in result.dev_reports.items():
        typer.echo(
            f"dev {name}: MAP {report.map:.4f}  P@10 {report.precision_at.get(10, float('nan')):.4f}  "
            f"F1 {report.f1_positive:.4f} at {report.threshold:.3f}"
        )
    typer.echo(f"Wrote {out_dir} in {result.seconds:.0f} s")


@eval_app.command("checkworthiness-multilingual")
def eval_checkworthiness_multilingual(
    data: Annotated[
        Path, typer.Option(help="JSON Lines of {language, text[, split]} (bench/multilingual_dev/*.jsonl).")
    ],
    split: Annotated[str | None, typer.Option(help="Only the rows of this split (tune, check).")] = None,
    model: Annotated[Path | None, typer.Option(help=_MODEL_HELP)] = None,
    transferred: Annotated[Path | None, typer.Option(help=_MULTILINGUAL_HELP)] = None,
    transferred_threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Gate transferred scores here instead of at the model's threshold."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Share of texts, per language, with a claim passing the check-worthiness gate: English vs transferred.

    Every text goes through extract_claims in its language, once with the English model alone and once
    with the language-routed scorer (the transferred model for non-English claims).

    Example:

        factcheck eval checkworthiness-multilingual --data bench/multilingual_dev/posts.jsonl
    """
    from factcheck.checkworthiness import CheckworthinessModel
    from factcheck.checkworthiness_multilingual import LanguageRoutedScorer, TransferredCheckworthinessModel
    from factcheck.evaluation.checkworthiness_multilingual import gate_shares

    settings = Settings()
    with user_errors():
        english = CheckworthinessModel.load(_model_dir(model, settings))
        routed = LanguageRoutedScorer(
            english, TransferredCheckworthinessModel.load(_multilingual_dir(transferred, settings))
        )
        shares = gate_shares(
            data, english=english, routed=routed, split=split, transferred_threshold=transferred_threshold
        )
    gate = routed.transferred.threshold if transferred_threshold is None else transferred_threshold
    if as_json:
        typer.echo(json.dumps([share.to_dict() for share in shares]))
        return
    typer.echo(f"gate: English model >= {english.threshold:.3f}, transferred model >= {gate:.3f}")
    for share in shares:
        typer.echo(
            f"{share.language:>4}: {share.texts:4d} texts  passing: English model {share.english:.3f}  "
            f"transferred {share.transferred:.3f}"
        )
