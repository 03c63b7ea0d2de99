"""The dev set of chain e-mails (bench/email_dev/emails.jsonl): load, render to MIME, score reports.

Each record is one e-mail we wrote by hand: a forwarded hoax restating one debunk of the shipped
corpus (`kind` "hoax", `review_url` names its fact-check), or an ordinary e-mail about the same
names and topics that makes no debunked claim (`kind` "ordinary"). The record keeps the words; the
MIME form (`form`: plain, html, multipart, quoted-printable, base64) and the chain around it
(`chain`: forwarded, nested-quote, on-wrote, outlook, pasted, none; with the sender's own `note`
and an intermediate forwarder's `middle_note`) are rendered here, so a reader of the data sees the
text and every message is built the same way. `split` ("train"/"test", fixed in the file) keeps the
half that the message-level evidence model learns from apart from the half the figures come from.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from factcheck.types import Report

__all__ = [
    "SHOWN_TIERS",
    "TIERS",
    "ChainEmail",
    "MessageOutcome",
    "load_chain_emails",
    "message_outcome",
    "render_email",
    "summarize",
]

TIERS: dict[str, tuple[str, ...]] = {
    "match": ("debunked", "fact_checked"),
    "possibly_related": ("possibly_related",),
    "needs_review": ("needs_review",),
}
"""The claim statuses behind each tier, strongest first; readers see the first two, editors the third."""
SHOWN_TIERS = ("match", "possibly_related")

_FORWARDER = "Carol Jenkins <carol.jenkins@example.net>"
_MIDDLE = "Linda Park <lpark@example.org>"
_SENDER = "Aunt Mary <mary.w@example.com>"
_READER = "you@example.com"


@dataclass(frozen=True)
class ChainEmail:
    id: str
    kind: Literal["hoax", "ordinary"]
    split: Literal["train", "test"]
    subject: str
    body: str
    form: str
    chain: str
    note: str = ""
    middle_note: str = ""
    review_url: str = ""
    claim_reviewed: str = ""


def load_chain_emails(path: Path, *, split: str | None = None) -> list[ChainEmail]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    emails = [ChainEmail(**record) for record in records]
    return [email for email in emails if split is None or email.split == split]


def render_email(email: ChainEmail) -> bytes:
    """The raw RFC 822 bytes of one record, as a mail client would have saved it."""
    lines = _chain_lines(email)
    message = EmailMessage()
    message["From"] = _SENDER
    message["To"] = _READER
    message["Date"] = "Tue, 03 Mar 2009 20:02:11 -0500"
    message["Subject"] = email.subject
    plain = "\n".join("> " * depth + text if depth else text for depth, text in lines) + "\n"
    if email.form == "html":
        message.set_content(_as_html(lines), subtype="html")
    elif email.form == "multipart":
        message.set_content(plain)
        message.add_alternative(_as_html(lines), subtype="html")
    elif email.form in ("quoted-printable", "base64"):
        message.set_content(plain, cte=email.form)
    else:
        message.set_content(plain)
    return bytes(message)


def _chain_lines(email: ChainEmail) -> list[tuple[int, str]]:
    """(quote depth, line) of the body: the sender's note, then the chain's layers around the text."""
    original = _subject_core(email.subject)
    body = [line for paragraph in email.body.split("\n\n") for line in (paragraph, "")]
    lines: list[tuple[int, str]] = [(0, email.note), (0, "")] if email.note else []
    middle = [(0, email.middle_note), (0, "")] if email.middle_note else []
    if email.chain in ("forwarded", "outlook"):
        for forwarder, part in ((_MIDDLE, middle), (_FORWARDER, [(0, text) for text in body])):
            if forwarder == _MIDDLE and not part:
                continue
            lines += _forward_header(email.chain, forwarder, original) + part
    elif email.chain in ("nested-quote", "on-wrote"):
        inner = 2 if middle else 1
        if middle:
            lines += _reply_intro(email.chain, _MIDDLE) + [(1, text) for _, text in middle]
        lines += _reply_intro(email.chain, _FORWARDER, depth=inner - 1)
        lines += [(inner, text) for text in body]
    else:  # pasted into a new message, or an ordinary message: no quoting at all
        lines += middle + [(0, text) for text in body]
    return lines


def _forward_header(chain: str, sender: str, subject: str) -> list[tuple[int, str]]:
    if chain == "outlook":
        return [
            (0, "________________________________"),
            (0, f"From: {sender}"),
            (0, "Sent: Monday, March 2, 2009 9:14 AM"),
            (0, f"To: {_SENDER}"),
            (0, f"Subject: FW: {subject}"),
            (0, ""),
        ]
    return [
        (0, "---------- Forwarded message ---------"),
        (0, f"From: {sender}"),
        (0, "Date: Mon, Mar 2, 2009 at 9:14 AM"),
        (0, f"Subject: {subject}"),
        (0, f"To: {_SENDER}"),
        (0, ""),
    ]


def _reply_intro(chain: str, sender: str, depth: int = 0) -> list[tuple[int, str]]:
    if chain == "on-wrote":
        return [(depth, f"On Mon, Mar 2, 2009 at 9:14 AM, {sender} wrote:")]
    return []  # nested-quote: bare `>` levels, as old clients and mailing lists quote


def _as_html(lines: Sequence[tuple[int, str]]) -> str:
    """Webmail's rendering: quote levels as nested <blockquote>, lines as <div>."""
    parts = ["<html><body>"]
    depth = 0
    for line_depth, text in lines:
        while depth < line_depth:
            parts.append(
                '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid">'
            )
            depth += 1
        while depth > line_depth:
            parts.append("</blockquote>")
            depth -= 1
        parts.append(f"<div>{html.escape(text)}</div>" if text else "<div><br></div>")
    parts.extend(["</blockquote>"] * depth + ["</body></html>"])
    return "\n".join(parts)


def _subject_core(subject: str) -> str:
    for prefix in ("Fwd:", "FW:", "Fw:", "Re:"):
        subject = subject.removeprefix(prefix).strip()
    return subject


@dataclass(frozen=True)
class MessageOutcome:
    """What a reader of one message saw: the strongest tier and the fact-checks shown at each tier."""

    id: str
    kind: str
    split: str
    gold_url: str
    tier: str  # the strongest status among the message's claims
    shown: dict[str, tuple[str, ...]]  # tier (see TIERS) -> review URLs of the fact-checks at that tier
    best_probability: float
    error: str = ""

    @property
    def right_at(self) -> str | None:
        """The strongest tier at which the message's own fact-check was shown, if any."""
        return next(
            (tier for tier in SHOWN_TIERS if self.gold_url and self.gold_url in self.shown.get(tier, ())),
            None,
        )


_STATUS_ORDER = (
    "debunked",
    "fact_checked",
    "possibly_related",
    "needs_review",
    "no_match",
    "not_checkworthy",
)
_TIER_OF = {status: tier for tier, statuses in TIERS.items() for status in statuses}


def message_outcome(email: ChainEmail, report: Report | None, *, error: str = "") -> MessageOutcome:
    shown: dict[str, list[str]] = {}
    best = 0.0
    statuses = set()
    for verdict in report.claims if report is not None else ():
        statuses.add(verdict.status)
        if verdict.matches:
            best = max(best, verdict.matches[0].probability)
        if verdict.matches and verdict.status in _TIER_OF:
            urls = shown.setdefault(_TIER_OF[verdict.status], [])
            if verdict.matches[0].debunk.review_url not in urls:
                urls.append(verdict.matches[0].debunk.review_url)
    tier = next((status for status in _STATUS_ORDER if status in statuses), "no_claims")
    return MessageOutcome(
        id=email.id,
        kind=email.kind,
        split=email.split,
        gold_url=email.review_url,
        tier=tier,
        shown={status: tuple(urls) for status, urls in shown.items()},
        best_probability=best,
        error=error,
    )


def summarize(outcomes: Iterable[MessageOutcome]) -> dict[str, object]:
    """Message-level figures: recall at match, right fact-check shown, precision per tier, false flags.

    "At match" is `debunked` or `fact_checked` (the status follows the fact-check's rating; every hoax
    here has a refuting one). A false flag is an ordinary e-mail with a claim at match.

    Precision of a tier counts (message, fact-check shown at that tier) pairs: right when the
    fact-check is the message's own, wrong otherwise (every pair from an ordinary e-mail is wrong).
    """
    outcomes = list(outcomes)
    hoaxes = [o for o in outcomes if o.kind == "hoax"]
    ordinary = [o for o in outcomes if o.kind == "ordinary"]
    figures: dict[str, object] = {
        "hoax_emails": len(hoaxes),
        "ordinary_emails": len(ordinary),
        "recall_at_match": _share(sum(o.right_at == "match" for o in hoaxes), len(hoaxes)),
        "right_fact_check_shown": _share(sum(o.right_at is not None for o in hoaxes), len(hoaxes)),
        "matched_any_fact_check": _share(sum("match" in o.shown for o in hoaxes), len(hoaxes)),
        "right_at_needs_review": _share(
            sum(o.gold_url in o.shown.get("needs_review", ()) for o in hoaxes), len(hoaxes)
        ),
        "ordinary_flagged": sum("match" in o.shown for o in ordinary),
        "false_flags_per_ordinary_email": _share(
            sum(len(o.shown.get("match", ())) for o in ordinary), len(ordinary)
        ),
        "ordinary_possibly_related": sum("possibly_related" in o.shown for o in ordinary),
    }
    for tier in TIERS:
        pairs = [(o, url) for o in outcomes for url in o.shown.get(tier, ())]
        right = sum(url == o.gold_url for o, url in pairs)
        figures[f"precision_{tier}"] = _share(right, len(pairs))
        figures[f"pairs_{tier}"] = len(pairs)
    figures["missed_at_match"] = [
        {"id": o.id, "tier": o.tier, "best_probability": round(o.best_probability, 3), "error": o.error}
        for o in hoaxes
        if o.right_at != "match"
    ]
    figures["ordinary_flagged_ids"] = [o.id for o in ordinary if "match" in o.shown]
    return figures


def _share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None
