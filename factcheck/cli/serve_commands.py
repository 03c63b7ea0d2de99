"""`factcheck serve`: the API (and editor UI) under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from factcheck.cli._apps import app, user_errors
from factcheck.corpus import ensure_initialised
from factcheck.cpu import limit_cpu_threads, threads_per_process
from factcheck.settings import Settings
from factcheck.store import open_store


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on [default: FACTCHECK_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: FACTCHECK_PORT or 8000].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes [default: FACTCHECK_API_WORKERS or one per core]."),
    ] = None,
) -> None:
    """Serve the API on http://127.0.0.1:8000, creating and filling the database on first start.

    Over a database with many debunks not yet encoded with MiniLM (an import), it answers at once with the
    fast profile and switches to the full one when the background encoding is done (see /readyz).

    Example:

        factcheck serve --port 8000
    """
    from api.workers import serve as serve_workers
    from api.workers import uvicorn_config

    settings = Settings()
    workers = workers or settings.api_workers or os.cpu_count() or 1
    # Read again by each worker's Settings: the cores are shared out among the workers.
    limit_cpu_threads(threads_per_process(workers, settings.cpu_threads))
    with user_errors():
        summary = ensure_initialised(open_store(settings.database_url), settings.corpus_dir)
    if summary is not None:
        typer.echo(f"First start: loaded {summary.added} debunks from {settings.corpus_dir}")
    config = uvicorn_config(
        "api.app:create_app",
        settings,
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )
    with user_errors():
        serve_workers(config, workers)
