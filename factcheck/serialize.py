"""Reports as plain JSON-ready dicts: one shape for the CLI's --json, the API and the feed runs."""

from __future__ import annotations

import math
from typing import Any

from factcheck.types import CLAIM_STATUSES, Claim, ClaimVerdict, Debunk, Match, Report, TextBlock

_SUMMARY_FIELDS = (
    "id", "claim_reviewed", "label", "rating_text", "reviewer_name", "reviewer_site", "review_url",
    "review_date", "title", "explanation",
)  # fmt: skip


def debunk_summary(debunk: Debunk) -> dict[str, Any]:
    """What a reader needs beside a claim: the rating, who says so, why, and the link."""
    summary = {name: getattr(debunk, name) for name in _SUMMARY_FIELDS}
    summary["review_date"] = debunk.review_date.isoformat() if debunk.review_date else None
    return summary


def match_to_dict(match: Match) -> dict[str, Any]:
    return {
        "debunk": debunk_summary(match.debunk),
        "score": round(match.score, 4) if math.isfinite(match.score) else 1e6,
        "confidence": round(match.probability, 4),
        "matched_text": match.matched_text,
    }


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    return {
        "text": claim.text,
        "normalized": claim.normalized,
        "start": claim.start,
        "end": claim.end,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
        "checkworthiness": round(claim.checkworthiness, 4),
    }


def verdict_to_dict(verdict: ClaimVerdict) -> dict[str, Any]:
    signal = verdict.signal
    return {
        **claim_to_dict(verdict.claim),
        "status": verdict.status,
        "matches": [match_to_dict(match) for match in verdict.matches],
        "signal": None
        if signal is None
        else {
            "label": signal.label,
            "false_probability": round(signal.false_probability, 4),
            "note": signal.note,
        },
        "block": verdict.block,
        "block_confidence": None if verdict.block_confidence is None else round(verdict.block_confidence, 4),
    }


def block_to_dict(block: TextBlock) -> dict[str, Any]:
    return {
        "start": block.start,
        "end": block.end,
        "quote_depth": block.quote_depth,
        "forwards": block.forwards,
        "sender": block.sender,
        "subject": block.subject,
    }


def report_to_dict(report: Report, *, include_text: bool = False) -> dict[str, Any]:
    document = report.document
    counts = dict.fromkeys(CLAIM_STATUSES, 0)
    for verdict in report.claims:
        counts[verdict.status] += 1
    return {
        "document": {
            "title": document.title,
            "author": document.author,
            "date": document.date.isoformat() if document.date else None,
            "site": document.site,
            "language": document.language,
            "source_url": document.source_url,
            "kind": document.kind,
            "text_length": len(document.text),
            "text": document.text if include_text else None,
            "blocks": [block_to_dict(block) for block in document.blocks],
            "reader_note": document.reader_note,
        },
        "summary": {"claims": len(report.claims), **counts},
        "claims": [verdict_to_dict(verdict) for verdict in report.claims],
        "timings_ms": {stage: round(ms, 2) for stage, ms in report.timings_ms.items()},
    }
