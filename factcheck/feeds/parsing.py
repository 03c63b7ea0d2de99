"""Feed URLs and feed documents: one spelling per article URL, and the entries of an RSS or Atom feed."""

from __future__ import annotations

import calendar
import hashlib
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from factcheck._text import canonical_key, collapse_whitespace
from factcheck.errors import InputError
from factcheck.feeds.records import FeedItem
from factcheck.ingest.html import html_to_text

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/xml",
        "text/xml",
        "text/plain",
        "text/html",  # some servers send feeds as web pages; feedparser decides
        "application/octet-stream",
    }
)
"""Media types a feed URL may answer with; anything else is refused before its body is read."""

# Query parameters that only track the click; removing them makes one article one URL.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "cmpid", "icid", "ocid", "__twitter_impression",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MIN_WORDS_FOR_HASH = 8
"""Fewer words than this (a bare headline, an empty page) say too little to tell two stories apart."""


def canonical_url(url: str) -> str:
    """One spelling per article: no tracking parameters, fragment, default port or trailing slash.

    Scheme and host are lowercased, the remaining query parameters sorted. Two links to the
    same article from two feeds (or two campaigns) give the same string.

    Example:
        >>> canonical_url("HTTPS://Example.org:443/news/story/?utm_source=rss&id=7#comments")
        'https://example.org/news/story?id=7'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMS and not key.lower().startswith(_TRACKING_PREFIXES)
    )
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def url_key(url: str) -> str:
    """The database identity of a URL: sha256 of its canonical form."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()


def parse_feed(data: bytes | str, *, url: str = "", content_type: str = "") -> list[FeedItem]:
    """The entries of an RSS (0.9x, 1.0, 2.0) or Atom feed, with absolute http(s) links.

    A feed with recoverable errors gives what feedparser could read; one with no entries and a
    parse error raises InputError. `data` is never taken as a URL or file name.
    """
    import feedparser  # the feeds need it, the rest of the library does not

    if isinstance(data, str):
        data, content_type = data.encode("utf-8"), "application/xml; charset=utf-8"
    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url
    # A stream, never a str: feedparser opens a str that looks like a URL or path.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom elements"
        where = f"{url} " if url else ""
        raise InputError(f"{where}is not a readable RSS or Atom feed: {reason}")
    items = []
    for entry in parsed.entries:
        link = _entry_link(entry, base=url)
        if not link:
            continue
        summary = entry.get("summary") or ""
        items.append(
            FeedItem(
                url=link,
                title=collapse_whitespace(entry.get("title") or "")[:1000],
                summary=collapse_whitespace(html_to_text(summary) if "<" in summary else summary)[:5000],
                published=_entry_time(entry),
                guid=str(entry.get("id") or "")[:1000],
            )
        )
    return items


def _entry_link(entry: Mapping[str, Any], *, base: str) -> str:
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or () if link.get("rel") == "alternate"]
    candidates.append(entry.get("id"))
    for candidate in candidates:
        if not candidate or not isinstance(candidate, str):
            continue
        absolute = urljoin(base, candidate.strip()) if base else candidate.strip()
        if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).hostname:
            return absolute[:2048]
    return ""


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def feed_item_hash(item: FeedItem) -> str | None:
    """Same title and summary under another URL is the same story (syndication, URL variants)."""
    if len(item.summary.split()) < MIN_WORDS_FOR_HASH:
        return None
    return canonical_key(f"{item.title}\n{item.summary}")
