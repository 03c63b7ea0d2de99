"""`factcheck eval retrieval` and `factcheck train matcher`: score and train the claim matcher."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import eval_app, train_app, user_errors, vector_cache_at
from factcheck.settings import Settings

_PROFILE_HELP = "Cascade: 'full' (BM25 + static + MiniLM) or 'fast' (BM25 + static, no transformer)."


@eval_app.command("retrieval")
def eval_retrieval(
    debunks: Annotated[
        Path, typer.Option(help="Verified claims: verified_claims.docs.tsv, vclaims.jsonl, ...")
    ],
    queries: Annotated[Path, typer.Option(help="Queries TSV (tweets or debate sentences).")],
    qrels: Annotated[Path, typer.Option(help="TREC qrels: query_id 0 vclaim_id 1.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    profile: Annotated[str, typer.Option(help=_PROFILE_HELP)] = "full",
    models: Annotated[Path | None, typer.Option(help="Models folder (default: settings).")] = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N queries.")] = None,
    vector_cache: Annotated[
        Path | None,
        typer.Option(help="SQLite file that keeps the debunk vectors between runs (default: none)."),
    ] = None,
) -> None:
    """Index a CheckThat! verified-claims file and score the matcher on its queries.

    Formats are detected: CLEF 2020 task 2 (TSV), CLEF 2022 task 2A (Snopes JSONL) and 2B (PolitiFact
    JSONL). Prints MAP@1/3/5/10, P@1, Recall@5 of the whole cascade (as an editor's search ranks), then,
    as article checks run (through the MiniLM gate), MAP@5, precision at the match threshold, recall at
    the suggest threshold (with the share of queries reaching each) and queries per second.

    Example:

        factcheck eval retrieval --debunks ../shared/data/clef2020_task2_claim_retrieval/verified_claims.docs.tsv \\
            --queries ../shared/data/clef2020_task2_claim_retrieval/dev/tweets.queries.tsv \\
            --qrels ../shared/data/clef2020_task2_claim_retrieval/dev/tweet-vclaim-pairs.qrels --json
    """
    from factcheck.evaluation.retrieval import run_retrieval_eval

    if profile not in ("full", "fast"):
        raise typer.BadParameter("--profile must be 'full' or 'fast'")
    with user_errors():
        report = run_retrieval_eval(
            debunks,
            queries,
            qrels,
            models_dir=models or Settings().models_dir,
            limit=limit,
            vector_cache=vector_cache,
            profile=profile,  # type: ignore[arg-type]
        )
    result = report.as_dict()
    if as_json:
        typer.echo(json.dumps(result, sort_keys=False))
        return
    m = report.metrics
    typer.echo(
        f"{report.queries} queries vs {report.debunks:,} debunks ({report.collapsed} records collapsed)"
    )
    typer.echo("MAP@1 {map@1:.3f}  MAP@3 {map@3:.3f}  MAP@5 {map@5:.3f}  MAP@10 {map@10:.3f}".format(**m))
    typer.echo("P@1 {p@1:.3f}  Recall@5 {recall@5:.3f}  MRR {mrr:.3f}".format(**m))
    if "search_gated" in report.seconds:
        typer.echo(
            f"through the MiniLM gate, as checks run: MAP@5 {m['gated_map@5']:.3f}; the thresholds below"
        )
    typer.echo(
        f"match   >= {report.match_threshold:.3f}: precision {_fmt(m['precision@match'])}, "
        f"reached by {m['coverage@match']:.1%} of queries"
    )
    typer.echo(
        f"suggest >= {report.suggest_threshold:.3f}: recall {m['recall@suggest']:.3f} (top 1), "
        f"{m['recall@suggest_top5']:.3f} (top 5), reached by {m['coverage@suggest']:.1%} of queries"
    )
    typer.echo(
        f"{m['queries_per_s']:.1f} queries/s  (import {report.seconds['import']:.1f} s, "
        f"index {report.seconds['index']:.1f} s, search {report.seconds['search']:.1f} s, "
        f"gated {report.seconds.get('search_gated', report.seconds['search']):.1f} s)"
    )


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


@train_app.command("matcher")
def train_matcher_command(
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: ../shared/data).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Models folder to write matcher/ (and embeddings/) into.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random state of the re-ranker.")] = 0,
    vector_cache: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps MiniLM vectors between runs.")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help=_PROFILE_HELP + " Repeatable; default both.")
    ] = None,
    transformer: Annotated[
        str | None,
        typer.Option(help="MiniLM folder under OUT/embeddings/ for 'full' (default: the shipped choice)."),
    ] = None,
    cross_encoder: Annotated[
        bool, typer.Option(help="Stack the cross-encoder of OUT/embeddings/ on 'full' when it is there.")
    ] = True,
) -> None:
    """Train the claim matcher's re-ranker on the CheckThat! train splits and calibrate it on dev.

    Distils the static embedding model into OUT/embeddings/static/ first if it is not there. The first
    run encodes ~80k verified claims with MiniLM (a few minutes on 2 cores); pass --vector-cache to
    keep those vectors for the next run.

    Example:

        factcheck train matcher --data ../shared/data --out models --vector-cache /tmp/factcheck-vectors.db
    """
    from factcheck.training.matcher import load_checkthat_splits, train_matcher

    settings = Settings()
    data_dir = data or settings.shared_data_dir
    out_dir = out or settings.models_dir
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with user_errors(), vector_cache_at(vector_cache) as cache:
        report = train_matcher(
            load_checkthat_splits(data_dir, seed=seed),
            out_dir,
            random_state=seed,
            vector_cache=cache,
            profiles=tuple(profile or ("full", "fast")),
            **({"transformer": transformer} if transformer else {}),
            **({} if cross_encoder else {"cross_encoder": None}),
        )
    for name, thresholds in report.thresholds.items():
        pooled = report.dev[name]["dev-pooled"]
        typer.echo(
            f"{name}: match >= {thresholds['match']:.3f} (dev precision {_fmt(pooled['precision@match'])}, "
            f"coverage {pooled['coverage@match']:.1%}); suggest >= {thresholds['suggest']:.3f} "
            f"(dev recall {pooled['recall@suggest_top5']:.3f} in top 5); claims without a debunk: "
            f"{pooled.get('negatives_matched', 0):.1%} matched, {pooled.get('negatives_suggested', 0):.1%} suggested"
        )
        for dataset in ("2020-dev", "2b-dev"):
            m = report.dev[name][dataset]
            typer.echo(
                f"  {dataset}: MAP@1 {m['map@1']:.3f} MAP@5 {m['map@5']:.3f} P@1 {m['p@1']:.3f} R@5 {m['recall@5']:.3f}"
            )
    typer.echo(f"wrote {out_dir / 'matcher'} in {report.seconds:.0f} s")


@train_app.command("pairmodel")
def train_pairmodel_command(
    data: Annotated[
        Path | None, typer.Option(help="The shared/data folder (default: ../shared/data).")
    ] = None,
    models: Annotated[
        Path | None, typer.Option(help="Models folder of today's matcher (mines the hard negatives).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where the two int8 ONNX models are written.")] = Path(
        "/tmp/factcheck-pairs"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of batches, sampling and initialisation.")] = 0,
    vector_cache: Annotated[
        Path | None, typer.Option(help="SQLite file that keeps MiniLM vectors between runs.")
    ] = None,
    mined: Annotated[
        Path | None, typer.Option(help="JSON file of mined pairs: read if present, else written.")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option(help="'bi' and/or 'cross'. Repeatable; default both.")
    ] = None,
    bi_epochs: Annotated[int | None, typer.Option(help="Epochs of the bi-encoder.")] = None,
    cross_epochs: Annotated[int | None, typer.Option(help="Epochs of the cross-encoder.")] = None,
    cross_neighbours: Annotated[
        int | None,
        typer.Option(help="Topical neighbours per claim drawn as negatives, each epoch (cross-encoder)."),
    ] = None,
    cross_corpus_pairs: Annotated[
        int | None,
        typer.Option(help="Corpus pairs (a debunk's title -> its claim) drawn each epoch (cross-encoder)."),
    ] = None,
    cross_hard_no_debunk: Annotated[
        float | None,
        typer.Option(
            help="Sentences without a debunk that today's matcher gave a wrong candidate at least this"
            " probability are drawn every epoch (cross-encoder)."
        ),
    ] = None,
    cross_max_length: Annotated[
        int | None, typer.Option(help="Word pieces of 'claim [SEP] debunk' the cross-encoder reads.")
    ] = None,
    cross_lr: Annotated[
        float | None, typer.Option(help="Learning rate of the cross-encoder's encoder.")
    ] = None,
    threads: Annotated[int | None, typer.Option(help="PyTorch threads.")] = None,
) -> None:
    """Fine-tune MiniLM into a claim bi-encoder and a claim/debunk cross-encoder; export both to int8 ONNX.

    Writes OUT/embeddings/minilm-claims-int8/, OUT/crossencoder/ and OUT/pairmodel-training.json (seed,
    data sizes, losses, time, dev figures). Copy the chosen models into models/ by hand.

    Example:

        nice -n 5 factcheck train pairmodel --data ../shared/data --out /tmp/factcheck-pairs \\
            --vector-cache /tmp/factcheck-vectors.db --mined /tmp/factcheck-pairs-mined.json
    """
    from factcheck.training.pairmodel import PairTrainingConfig, train_pair_models

    overrides = {  # options not given keep PairTrainingConfig's defaults
        "threads": threads,
        "bi_epochs": bi_epochs,
        "cross_epochs": cross_epochs,
        "cross_neighbours": cross_neighbours,
        "cross_corpus_pairs": cross_corpus_pairs,
        "cross_hard_no_debunk": cross_hard_no_debunk,
        "cross_max_length": cross_max_length,
        "cross_lr": cross_lr,
    }
    settings = Settings()
    data_dir = data or settings.shared_data_dir
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with user_errors(), vector_cache_at(vector_cache) as cache:
        record = train_pair_models(
            data_dir,
            models or settings.models_dir,
            out,
            config=PairTrainingConfig(seed=seed, **{k: v for k, v in overrides.items() if v is not None}),
            vector_cache=cache,
            mined_path=mined,
            which=tuple(model or ("bi", "cross")),
        )
    typer.echo(json.dumps({k: v for k, v in record.items() if k != "config"}, indent=2))
