"""What a Checker keeps about the debunks it indexed, in a few dozen bytes a debunk (issue 14).

A check needs, per debunk, only its id, the version indexed (for the sync) and whether it is matchable,
and per known phrasing its canonical key and debunk id. Keeping the `Debunk` records too cost about a
kilobyte of Python objects a debunk, a gigabyte per worker at a million; the few records a check returns
are read from the database instead (`DebunkRecords`), the recently used ones kept.

Keys are held as the first 64 bits of their SHA-1 (`canonical_key` is its hex): two phrasings share them
with a chance of about one in 10^13 per lookup at a million debunks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from factcheck.matching.retrieval import sorted_lookup
from factcheck.store import Store
from factcheck.types import Debunk

RECENT_DEBUNKS = 4096  # Debunk records a Checker keeps after a check read them (a few MB)


def key_hash(key: str) -> int:
    """The first 64 bits of a `canonical_key` (a SHA-1 hex digest)."""
    return int(key[:16], 16)


def _empty(dtype: type) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass(frozen=True)
class KeyTable:
    """Canonical key -> debunk id, as key hashes sorted for binary search and their ids alongside."""

    hashes: np.ndarray = field(default_factory=lambda: _empty(np.uint64))
    ids: np.ndarray = field(default_factory=lambda: _empty(np.int64))

    def get(self, key: str) -> int | None:
        wanted = np.uint64(key_hash(key))
        position = int(np.searchsorted(self.hashes, wanted))
        if position < len(self.hashes) and self.hashes[position] == wanted:
            return int(self.ids[position])
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.hashes)

    def changed(
        self, removed_ids: np.ndarray, hashes: Iterable[int], ids: Iterable[int], *, new_wins: bool
    ) -> KeyTable:
        """A copy without the keys of `removed_ids`, with these (hash, id) pairs added.

        A key given twice, or already held, keeps the last pair given with `new_wins`, else the first
        one held or given: the rules of a dict's assignment and of its `setdefault`.
        """
        kept = ~np.isin(self.ids, removed_ids)
        old_hashes, old_ids = self.hashes[kept], self.ids[kept]
        new_hashes = np.fromiter(hashes, dtype=np.uint64)
        new_ids = np.fromiter(ids, dtype=np.int64)
        if new_wins:  # np.unique keeps each hash's first occurrence: the last one, once reversed
            new_hashes, new_ids = new_hashes[::-1], new_ids[::-1]
        new_hashes, first = np.unique(new_hashes, return_index=True)
        new_ids = new_ids[first]
        if new_wins:
            held = ~np.isin(old_hashes, new_hashes)
            old_hashes, old_ids = old_hashes[held], old_ids[held]
        else:
            fresh = ~sorted_lookup(old_hashes, new_hashes)[1]
            new_hashes, new_ids = new_hashes[fresh], new_ids[fresh]
        positions = np.searchsorted(old_hashes, new_hashes)
        return KeyTable(np.insert(old_hashes, positions, new_hashes), np.insert(old_ids, positions, new_ids))


@dataclass(frozen=True)
class KnownDebunks:
    """The indexed debunks' ids, versions and known phrasings; replaced whole, never changed in place."""

    ids: np.ndarray = field(default_factory=lambda: _empty(np.int64))  # sorted; retired ones seen too
    versions: np.ndarray = field(default_factory=lambda: _empty(np.int64))  # the version indexed, by `ids`
    matchable: np.ndarray = field(default_factory=lambda: _empty(np.bool_))  # neither retired nor draft
    exact: KeyTable = field(default_factory=KeyTable)  # canonical key of a known phrasing -> debunk id
    # canonical key of one sentence of a known phrasing of several -> debunk id (see Checker.match_claims)
    sentences: KeyTable = field(default_factory=KeyTable)

    def _position(self, debunk_id: int) -> int | None:
        position = int(np.searchsorted(self.ids, debunk_id))
        return position if position < len(self.ids) and self.ids[position] == debunk_id else None

    def version(self, debunk_id: int) -> int | None:
        """The version indexed, or seen retired or as a draft; None for a debunk never seen."""
        position = self._position(debunk_id)
        return None if position is None else int(self.versions[position])

    def is_matchable(self, debunk_id: int) -> bool:
        position = self._position(debunk_id)
        return position is not None and bool(self.matchable[position])

    def matchable_versions(self, debunk_ids: Iterable[int]) -> dict[int, int]:
        """Id -> version indexed, of those of these debunks that are matchable."""
        wanted = np.fromiter(debunk_ids, dtype=np.int64)
        positions, present = sorted_lookup(self.ids, wanted)
        if not present.any():
            return {}
        held = present & self.matchable[positions]
        return dict(zip(wanted[held].tolist(), self.versions[positions[held]].tolist(), strict=True))

    def changed(
        self,
        versions: Mapping[int, tuple[int, bool]],
        exact: tuple[Iterable[int], Iterable[int]],
        sentences: tuple[Iterable[int], Iterable[int]],
    ) -> KnownDebunks:
        """A copy with these debunks (id -> (version, matchable)) set and their keys replaced by the given
        (hashes, ids) pairs: a changed debunk's exact keys win over another's, its sentences do not."""
        changed_ids = np.fromiter(versions, dtype=np.int64)
        kept = ~np.isin(self.ids, changed_ids)
        ids = np.concatenate([self.ids[kept], changed_ids])
        order = np.argsort(ids, kind="stable")
        return KnownDebunks(
            ids=ids[order],
            versions=np.concatenate(
                [self.versions[kept], np.fromiter((v for v, _ in versions.values()), dtype=np.int64)]
            )[order],
            matchable=np.concatenate(
                [self.matchable[kept], np.fromiter((m for _, m in versions.values()), dtype=np.bool_)]
            )[order],
            exact=self.exact.changed(changed_ids, *exact, new_wins=True),
            sentences=self.sentences.changed(changed_ids, *sentences, new_wins=False),
        )

    def nbytes(self) -> int:
        """The memory its arrays hold."""
        arrays = (
            self.ids,
            self.versions,
            self.matchable,
            *vars(self.exact).values(),
            *vars(self.sentences).values(),
        )
        return sum(array.nbytes for array in arrays)


class DebunkRecords:
    """The Debunk records a check returns, read from the store; the `size` most recently used are kept.

    Shared by concurrent checks, so guarded by its own small lock (never the Checker's write lock).
    """

    def __init__(self, store: Store, *, size: int = RECENT_DEBUNKS) -> None:
        self.store = store
        self.size = size
        self._recent: OrderedDict[int, Debunk] = OrderedDict()
        self._lock = threading.Lock()

    def matchable(self, indexed: Mapping[int, int]) -> dict[int, Debunk]:
        """Debunk id -> its record, for ids given with the version indexed: the record kept if at least
        that new, else the database's. Ids the database no longer holds, or holds retired or as a draft
        (retired since the last sync), are left out."""
        with self._lock:
            records = {}
            for debunk_id, version in indexed.items():
                kept = self._recent.get(debunk_id)
                if kept is not None and kept.version >= version:
                    self._recent.move_to_end(debunk_id)
                    records[debunk_id] = kept
        missing = [debunk_id for debunk_id in indexed if debunk_id not in records]
        if missing:
            fetched = self.store.get_many(missing)
            records.update(fetched)
            with self._lock:
                self._recent.update(fetched)
                while len(self._recent) > self.size:
                    self._recent.popitem(last=False)
        return {i: d for i, d in records.items() if not (d.retired or d.draft)}
