"""The Typer apps every command module attaches to; kept apart so command modules never import each other."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from factcheck.errors import FactcheckError
from factcheck.ingest import Source
from factcheck.settings import Settings
from factcheck.store import Store, open_store

app = typer.Typer(
    name="factcheck",
    help="Find claims in what you read and show the known debunks beside them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The debunk database: create, import, export, inspect, search.", no_args_is_help=True
)
eval_app = typer.Typer(help="Measure quality on the public datasets (dev/test splits).", no_args_is_help=True)
train_app = typer.Typer(help="Train the models shipped in models/.", no_args_is_help=True)

app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(train_app, name="train")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except FactcheckError as error:
        typer.echo(f"Error: {' '.join(str(error).split())}", err=True)
        raise typer.Exit(1) from None
    except OSError as error:
        typer.echo(f"Error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), err=True)
        raise typer.Exit(1) from None


@contextmanager
def vector_cache_at(path: Path | None) -> Iterator[Store | None]:
    """The SQLite file that keeps encoder vectors between training and evaluation runs (None: no cache)."""
    if path is None:
        yield None
        return
    cache = Store(f"sqlite:///{path}")
    cache.migrate()
    try:
        yield cache
    finally:
        cache.close()


def open_database(settings: Settings) -> Store:
    """The configured database, migrated; the error names the URL when it cannot be opened."""
    return open_store(settings.database_url)


def read_source(source: str) -> Source:
    """A command's SOURCE argument: `-` is stdin, an http(s) URL stays a URL, anything else a file path."""
    if source == "-":
        return sys.stdin.buffer.read()
    if source.startswith(("http://", "https://")):
        return source
    return Path(source)
