"""The feeds table: which feeds `feeds run` polls. Adding one is idempotent by canonical URL."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from sqlalchemy import func, select

from factcheck.errors import InputError, NotFoundError
from factcheck.feeds._sql import insert_ignoring_duplicates
from factcheck.feeds.parsing import url_key
from factcheck.feeds.records import Feed
from factcheck.store import Store
from factcheck.store.feed_models import ArticleRow, FeedRow
from factcheck.store.models import utcnow


def add_feed(store: Store, url: str, *, name: str = "") -> Feed:
    """Add a feed to poll; adding the same URL again (in any spelling) returns the existing one."""
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"a feed URL must be an absolute http(s) URL, got {url!r}")
    if len(cleaned) > 2048:
        raise InputError("the feed URL is longer than 2,048 characters")
    key = url_key(cleaned)
    with store.transaction() as session:
        insert_ignoring_duplicates(
            session,
            FeedRow,
            [
                {
                    "url": cleaned,
                    "url_key": key,
                    "name": (name.strip() or parts.hostname)[:200],
                    "etag": "",
                    "last_modified": "",
                    "last_status": "",
                    "last_error": "",
                    "created_at": utcnow(),
                }
            ],
        )
        row = session.scalars(select(FeedRow).where(FeedRow.url_key == key)).one()
        return _feed_from_row(row, {})


def list_feeds(store: Store) -> list[Feed]:
    with store.transaction() as session:
        counts: dict[int, dict[str, int]] = {}
        for feed_id, status, count in session.execute(
            select(ArticleRow.feed_id, ArticleRow.status, func.count())
            .where(ArticleRow.feed_id.is_not(None))
            .group_by(ArticleRow.feed_id, ArticleRow.status)
        ):
            counts.setdefault(feed_id or 0, {})[status] = count
        rows = session.scalars(select(FeedRow).order_by(FeedRow.id)).all()
        return [_feed_from_row(row, counts.get(row.id, {})) for row in rows]


def remove_feed(store: Store, feed: int | str) -> Feed:
    """Stop polling a feed (by id or URL); its articles and their results stay."""
    with store.transaction() as session:
        query = select(FeedRow)
        if isinstance(feed, int) or (isinstance(feed, str) and feed.isdigit()):
            query = query.where(FeedRow.id == int(feed))
        else:
            query = query.where(FeedRow.url_key == url_key(feed))
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError(f"no feed {feed!r}; `factcheck feeds list` shows them")
        removed = _feed_from_row(row, {})
        session.delete(row)
        return removed


def _feed_from_row(row: FeedRow, counts: Mapping[str, int]) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        name=row.name,
        created_at=row.created_at,
        last_polled_at=row.last_polled_at,
        last_status=row.last_status,
        last_error=row.last_error,
        etag=row.etag,
        last_modified=row.last_modified,
        articles=dict(counts),
    )
