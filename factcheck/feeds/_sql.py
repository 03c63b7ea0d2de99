"""SQLAlchemy helpers of the feed modules: an INSERT that skips duplicates, an UPDATE's row count."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite); returns how many rows went in."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is None:
        raise NotImplementedError(f"feeds need PostgreSQL or SQLite, not {dialect}")
    inserted = 0
    for start in range(0, len(rows), 500):  # SQLite limits the number of bound parameters
        statement = (
            module.insert(model)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing()
            .returning(model.id)
        )
        inserted += len(session.execute(statement).all())  # only the rows that went in come back
    return inserted


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE matched (Session.execute is typed as returning a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)
