"""The curated debunks shipped in corpus/: loaded into an empty database on first start."""

from __future__ import annotations

from pathlib import Path

from factcheck.importers import read_records
from factcheck.store import ImportSummary, Store

CORPUS_FILE = "debunks.jsonl"


def load_corpus(store: Store, corpus_dir: Path) -> ImportSummary:
    """Upsert the shipped corpus; running it again changes nothing."""
    path = corpus_dir / CORPUS_FILE
    _, records = read_records(path, format="jsonl")
    return store.import_records(records, source=str(path), format="jsonl")


def ensure_initialised(store: Store, corpus_dir: Path) -> ImportSummary | None:
    """Migrate, and fill an empty database from the corpus; None when it already had debunks."""
    store.migrate()
    if store.count(include_retired=True) > 0:
        return None
    return load_corpus(store, corpus_dir)
