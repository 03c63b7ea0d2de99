"""The approximate index on disk: written by the first process that needs it, mapped by every other.

A snapshot folder holds a faiss file and a file of rows per vector retriever (`AnnIndex.save`), the
lexical index's memory-mapped arrays (`ImpactIndex.save`), the entry texts (`TextColumn.save`), the
debunks' text profiles (what the pair features compare, computed once here instead of in every worker)
and `entries.npy`, the key of every entry it was built from, in position order: a 64-bit hash of
(debunk id, text). A process indexing the debunk database compares its entries with those keys
(`reconcile`): entries still there keep their position in the file, entries gone (retired or edited
since) become dead positions, and new entries are appended and added to the mapped index's exact delta.
A snapshot is never served stale: each start reconciles it with the database. When too much has
changed, or the models differ (`manifest.json`), it is rebuilt.

Issue 14: one copy of a million debunks' vectors shared by every worker, instead of one per process.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.matching.retrieval import TextColumn, sorted_lookup

__all__ = ["Reconciled", "entry_keys", "folder", "index_path", "locked", "read_keys", "reconcile", "write"]

FORMAT = 4  # 2: with the lexical index's arrays; 3: 8-bit vector codes, the entry texts; 4: 4-bit scan
# codes with 8-bit rows, the debunks' profiles
ENTRIES = "entries.npy"
MANIFEST = "manifest.json"
PROFILES = "profiles"  # a TextColumn: at each debunk's first entry, its profile's count and JSON; else ""
CURRENT = "current"  # the folder in use; a rebuild writes a new one beside it and renames it over
MAX_STALE = 0.1  # rebuild when more than this share of the snapshot's entries are dead or new


def entry_keys(debunk_ids: Sequence[int], texts: Sequence[str]) -> np.ndarray:
    """A 64-bit key per entry: what decides whether a snapshot's row still holds that entry."""
    keys = np.empty(len(texts), dtype=np.uint64)
    for i, (debunk_id, text) in enumerate(zip(debunk_ids, texts, strict=True)):
        digest = hashlib.blake2b(f"{debunk_id}\x00{text}".encode(), digest_size=8).digest()
        keys[i] = int.from_bytes(digest, "little")
    return keys


@dataclass(frozen=True)
class Reconciled:
    """How the current entries map onto a snapshot's positions."""

    order: np.ndarray  # per snapshot position: the current entry there, or -1 (dead)
    extra: np.ndarray  # current entries the snapshot lacks, in their order

    @property
    def stale_share(self) -> float:
        dead = int((self.order < 0).sum())
        return (dead + len(self.extra)) / max(len(self.order), 1)


def reconcile(snapshot: np.ndarray, current: np.ndarray) -> Reconciled:
    """Match current entry keys to a snapshot's (keys are unique within each: one text per debunk once)."""
    by_key = np.argsort(current, kind="stable")
    at, found = sorted_lookup(current[by_key], snapshot)
    order = np.where(found, by_key[at] if len(current) else -1, -1).astype(np.int64)
    taken = np.zeros(len(current), dtype=bool)
    taken[order[order >= 0]] = True
    return Reconciled(order, np.flatnonzero(~taken))


def read_keys(root: Path, manifest: dict[str, Any]) -> np.ndarray | None:
    """The snapshot's entry keys, or None when there is none or it was built with other models."""
    folder = root / CURRENT
    try:
        written = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if written != {"format": FORMAT, **manifest}:
        return None
    return np.load(folder / ENTRIES)


def write(
    root: Path,
    manifest: dict[str, Any],
    keys: np.ndarray,
    indexes: dict[str, Any],
    lexical: Any,
    texts: TextColumn,
    profiles: TextColumn,
) -> None:
    """Write a snapshot beside the current one, then put it in its place (readers never see half)."""
    fresh = root / f"building-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    for name, index in indexes.items():
        index.save(fresh / f"{name}.faiss")
    lexical.save(fresh)
    texts.save(fresh)
    profiles.save(fresh, PROFILES)
    np.save(fresh / ENTRIES, keys)
    (fresh / MANIFEST).write_text(json.dumps({"format": FORMAT, **manifest}), encoding="utf-8")
    current, old = root / CURRENT, root / f"old-{os.getpid()}"
    if current.exists():
        current.rename(old)  # processes mapping its files keep them until they close them
    fresh.rename(current)
    shutil.rmtree(old, ignore_errors=True)


def index_path(root: Path, name: str) -> Path:
    return folder(root) / f"{name}.faiss"


def folder(root: Path) -> Path:
    """The snapshot in use: its faiss files, the lexical index's arrays (impact.py), texts and keys."""
    return root / CURRENT


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """One process at a time checks and (re)builds the snapshot; the others wait, then map it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
