"""`factcheck db ...`: create, fill, export and inspect the debunk database."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli._apps import db_app, open_database, user_errors
from factcheck.cli._progress import RateProgress
from factcheck.corpus import ensure_initialised, load_corpus
from factcheck.errors import InputError
from factcheck.importers import EXPORT_FORMATS, FORMATS, estimate_records, read_records, write_records
from factcheck.settings import Settings


@db_app.command("init")
def init(
    no_corpus: Annotated[bool, typer.Option("--no-corpus", help="Create the schema only.")] = False,
) -> None:
    """Create (or migrate) the database and fill it from corpus/ when it is empty.

    Example:

        factcheck db init
    """
    settings = Settings()
    with user_errors():
        store = open_database(settings)
        if no_corpus:
            typer.echo(f"Database ready: {store.count()} debunks")
            return
        summary = ensure_initialised(store, settings.corpus_dir)
        if summary is None:
            typer.echo(f"Database ready: {store.count()} debunks (already filled)")
        else:
            typer.echo(f"Database ready: loaded {summary.added} debunks from {settings.corpus_dir}")


@db_app.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="A file path or an http(s) URL.")],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}. Detected if omitted.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding; detected if omitted.")] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="CSV column for a field, as field=Column (repeatable)."),
    ] = None,
    show_skipped: Annotated[int, typer.Option(help="How many skipped records to list.")] = 20,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress", help="Show a progress bar on stderr; shown when it is a terminal."
        ),
    ] = None,
) -> None:
    """Import debunks; importing the same input twice changes nothing.

    Formats: ClaimReview JSON/JSON-LD (object, array, @graph, DataFeed, or a fact-check page's HTML),
    Google Fact Check Tools claims:search JSON, CSV (LazyTruth's Email/Debunk/Debunk URL columns work
    as they are), our JSONL export, and the CheckThat! verified-claim files. A bad record is skipped and
    reported. The file is read as it is written, FACTCHECK_IMPORT_BATCH_SIZE records (2,000) to a
    transaction: an import that is stopped keeps the batches it committed, and running it again adds
    the rest (what it already has counts as unchanged).

    Example:

        factcheck db import ../shared/data/clef2022_task2a_claim_retrieval_tweets/vclaims.jsonl
    """
    settings = Settings()
    mapping = dict(_parse_mapping(item) for item in map_ or [])
    with user_errors(), tempfile.TemporaryDirectory() as tmp:
        path = _fetch_to_file(source, Path(tmp), settings) if "://" in source else Path(source)
        detected, records = read_records(
            path,
            format=format,
            encoding=encoding,
            csv_mapping=mapping,
            max_record_bytes=settings.import_max_record_bytes,
        )
        store = open_database(settings)
        enabled = sys.stderr.isatty() if progress is None else progress
        total = estimate_records(path, detected)
        with RateProgress("Importing", "records", total=total, enabled=enabled) as bar:
            summary = store.import_records(
                records,
                source=source,
                format=detected,
                batch_size=settings.import_batch_size,
                on_batch=lambda done: bar.update(
                    done.added + done.updated + done.unchanged + len(done.skipped)
                ),
            )
    typer.echo(
        f"Imported {source} as {detected}: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped"
    )
    for skipped in summary.skipped[:show_skipped]:
        typer.echo(f"  skipped record {skipped.position}: {skipped.reason}", err=True)
    if len(summary.skipped) > show_skipped:
        typer.echo(f"  ... and {len(summary.skipped) - show_skipped} more", err=True)


def _parse_mapping(item: str) -> tuple[str, str]:
    field, sep, column = item.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise typer.BadParameter(f"--map takes field=Column, got {item!r}")
    return field.strip(), column.strip()


def _fetch_to_file(url: str, folder: Path, settings: Settings) -> Path:
    """Download a URL with the safe fetcher (same rules as article fetching) into `folder`."""
    from factcheck.ingest.fetch import SafeFetcher

    result = SafeFetcher.from_settings(settings).fetch(url)
    content_type = (result.content_type or "").lower()
    suffix = ".html" if "html" in content_type else ".csv" if "csv" in content_type else ".json"
    path = folder / f"download{suffix}"
    path.write_text(result.text, encoding="utf-8")
    return path


@db_app.command("export")
def export(
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout if omitted.")
    ] = None,
    include_retired: Annotated[bool, typer.Option(help="Also export retired debunks.")] = False,
) -> None:
    """Export every debunk; importing the export into an empty database gives the same records.

    Example:

        factcheck db export --format claimreview-jsonld -o debunks.jsonld
    """
    settings = Settings()
    with user_errors():
        if format not in EXPORT_FORMATS:
            raise InputError(f"unknown export format {format!r}; one of: {', '.join(EXPORT_FORMATS)}")
        store = open_database(settings)
        debunks = store.iter_debunks(include_retired=include_retired)
        if output is None:
            count = write_records(debunks, sys.stdout, format)
        else:
            partial = output.with_name(output.name + ".partial")
            with partial.open("w", encoding="utf-8", newline="") as handle:
                count = write_records(debunks, handle, format)
            partial.replace(output)
    typer.echo(f"Exported {count} debunks as {format}", err=True)


@db_app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Counts of debunks, variants and imports, by rating and by reviewer.

    Example:

        factcheck db stats --json
    """
    with user_errors():
        figures = open_database(Settings()).stats()
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    typer.echo(
        f"{figures['debunks']} debunks, {figures['variants']} variants, "
        f"{figures['retired']} retired, {figures['imports']} imports"
    )
    typer.echo("By rating:   " + ", ".join(f"{k} {v}" for k, v in sorted(figures["by_label"].items())))
    typer.echo(
        "By reviewer: " + ", ".join(f"{k or '(none)'} {v}" for k, v in figures["top_reviewers"].items())
    )


@db_app.command("load-corpus")
def load_corpus_command() -> None:
    """Upsert the shipped corpus/ into the database (also done by `db init` on an empty database).

    Example:

        factcheck db load-corpus
    """
    settings = Settings()
    with user_errors():
        summary = load_corpus(open_database(settings), settings.corpus_dir)
    typer.echo(f"Corpus: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged")


@db_app.command("reindex")
def reindex_command() -> None:
    """Build the matcher's index over the database, as a worker does at start, with a progress bar.

    It encodes the debunk texts the vector cache lacks (kept as it goes: a killed run resumes where it
    stopped) and, from FACTCHECK_ANN_MIN_DEBUNKS debunks with FACTCHECK_INDEX_DIR set, writes the
    approximate index that every worker then maps instead of building its own.

    Example:

        FACTCHECK_INDEX_DIR=/var/lib/factcheck/index factcheck db reindex
    """
    from factcheck.pipeline import matcher_from_settings, reindex

    settings = Settings()
    started = time.perf_counter()
    with user_errors():
        store = open_database(settings)
        matcher = matcher_from_settings(settings, store, multilingual=False)
        with RateProgress(
            "Indexing", "entries", total=None, enabled=sys.stderr.isatty(), transient=True
        ) as bar:
            debunks = reindex(store, matcher, progress=bar.update)
    mode = "approximate" if matcher.approximate else "exact"
    typer.echo(f"Indexed {debunks} debunks in {time.perf_counter() - started:.0f} s ({mode} search)")
