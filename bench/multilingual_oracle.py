"""bench/multilingual.py with every claim's language set to its post's: cross-lingual matching judged
apart from language detection (issue 15).

The claims stage detects a claim's language (`Claim.language`); this runs the same benchmark with the
language each post or news sentence was written in instead, so a miss here is matching's, not
detection's. The "before" figures (today's English-only matching) come from the same run with the
cross-lingual path turned off.

    .venv/bin/python bench/multilingual_oracle.py --split check             # cross-lingual path
    FACTCHECK_MULTILINGUAL=false .venv/bin/python bench/multilingual_oracle.py --split check   # before
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import multilingual

import factcheck.pipeline as pipeline
from factcheck.pipeline import Checker

_language = ["en"]  # the language of the item being checked


def _with_language(extract: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def extract_claims(*args: Any, **kwargs: Any) -> list[Any]:
        return [dataclasses.replace(claim, language=_language[0]) for claim in extract(*args, **kwargs)]

    return extract_claims


def _windows_with_language(windows: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def claim_windows(*args: Any, **kwargs: Any) -> list[Any]:
        return [
            dataclasses.replace(w, claim=dataclasses.replace(w.claim, language=_language[0]))
            for w in windows(*args, **kwargs)
        ]

    return claim_windows


def main() -> None:
    run_items = multilingual.run_items
    search = Checker.search

    def run_each(checker: Checker, items: Sequence[multilingual.Item], *, rank: bool) -> list[Any]:
        runs = []
        for item in items:
            _language[0] = item.language
            runs += run_items(checker, [item], rank=rank)
        return runs

    pipeline.extract_claims = _with_language(pipeline.extract_claims)  # type: ignore[assignment]
    pipeline.claim_windows = _windows_with_language(pipeline.claim_windows)  # type: ignore[assignment]
    Checker.search = lambda self, text, *, k=5, language=None: search(  # type: ignore[method-assign]
        self, text, k=k, language=_language[0]
    )
    multilingual.run_items = run_each  # type: ignore[assignment]
    multilingual.main()


if __name__ == "__main__":
    main()
