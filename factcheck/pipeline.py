"""`Checker`: wires the stages (ingest -> claims -> match/classify -> verdicts); every edge calls it."""

from __future__ import annotations

from factcheck.corpus import ensure_initialised
from factcheck.settings import Settings
from factcheck.store import Store, open_store


class Checker:
    def __init__(self, *, store: Store) -> None:
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings) -> Checker:
        store = open_store(settings.database_url)
        ensure_initialised(store, settings.corpus_dir)
        return cls(store=store)
