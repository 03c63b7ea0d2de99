"""How often non-English texts pass the check-worthiness gate: the English model vs the transferred one.

The multilingual dev set (`bench/multilingual_dev/`) holds posts that restate known hoaxes (all should pass
the gate) and ordinary news sentences, one JSON object a line with `language` and `text` (and `split`).
Each text becomes a Document in its language and goes through `extract_claims`, as the pipeline does; a
text passes when one of its claims scores at or above the general threshold of the model that scored it.
The same text is scored twice: by the English n-gram model alone (what happened before transfer) and by
the language-routed scorer (the transferred e5 model for every non-English claim).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.checkworthiness_multilingual import LanguageRoutedScorer
from factcheck.claims import CheckworthinessScorer, extract_claims
from factcheck.errors import InputError
from factcheck.types import Document

__all__ = ["GateShare", "gate_shares"]


@dataclass(frozen=True)
class GateShare:
    """Share of the texts of one language (or "all") with a claim at or above the gate, per scorer."""

    language: str
    texts: int
    english: float
    transferred: float

    def to_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "texts": self.texts,
            "english": self.english,
            "transferred": self.transferred,
        }


def _rows(path: Path, split: str | None) -> Iterator[tuple[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            language, text = str(row["language"]), str(row["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{number}: expected a JSON object with language and text ({exc})"
            ) from exc
        if split is None or row.get("split") == split:
            yield language, text


def _passes(text: str, language: str, scorer: CheckworthinessScorer, threshold: float) -> bool:
    claims = extract_claims(Document(text=text, language=language), scorer=scorer)
    return any(claim.checkworthiness >= threshold for claim in claims)


def gate_shares(
    path: str | Path,
    *,
    english: CheckworthinessModel,
    routed: LanguageRoutedScorer,
    split: str | None = None,
    transferred_threshold: float | None = None,
) -> list[GateShare]:
    """Per language, then "all": the share of texts in `path` that pass the gate under each scorer.

    The transferred model's gate is its general threshold unless `transferred_threshold` is given.
    """
    outcomes: dict[str, list[tuple[bool, bool]]] = {}
    gate = routed.transferred.threshold if transferred_threshold is None else transferred_threshold
    for language, text in _rows(Path(path), split):
        transferred_cut = gate if routed.transfers(language) else english.threshold
        outcomes.setdefault(language, []).append(
            (
                _passes(text, language, english, english.threshold),
                _passes(text, language, routed, transferred_cut),
            )
        )
    if not outcomes:
        raise InputError(f"{path} holds no texts" + (f" in split {split!r}" if split else ""))
    groups = {language: outcomes[language] for language in sorted(outcomes)}
    groups["all"] = [pair for pairs in outcomes.values() for pair in pairs]
    return [
        GateShare(
            language=language,
            texts=len(pairs),
            english=sum(e for e, _ in pairs) / len(pairs),
            transferred=sum(t for _, t in pairs) / len(pairs),
        )
        for language, pairs in groups.items()
    ]
