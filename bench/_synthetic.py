"""Synthetic debunks for the benchmarks at scale (scale.py, import_scale.py): real claims spliced in pairs."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from factcheck._text import canonical_key
from factcheck.types import Debunk


def splice(first: str, second: str) -> str:
    """The first half of `first`'s words, then the second half of `second`'s."""
    a, b = first.split(), second.split()
    return " ".join(a[: len(a) // 2] + b[len(b) // 2 :])


def new_splices(
    debunks: Sequence[Debunk], rng: random.Random, seen: set[str]
) -> Iterator[tuple[int, int, str]]:
    """Endless (a, b, claim): debunk a's claim spliced with debunk b's, drawn again until the wording (by
    `canonical_key`) is not in `seen`, which it extends. Lazy, so a caller's own draws from `rng` between
    items keep their place in the sequence."""
    while True:
        a, b = rng.sample(range(len(debunks)), 2)
        claim = splice(debunks[a].claim_reviewed, debunks[b].claim_reviewed)
        key = canonical_key(claim)
        if not claim or key in seen:
            continue
        seen.add(key)
        yield a, b, claim
