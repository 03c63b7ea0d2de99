"""A throwaway PostgreSQL database: created on entry, dropped (with its open connections) on exit.

The one copy shared by the test fixtures (`postgres_url` in conftest, the Celery feed tests) and by
bench/feeds.py, so it imports nothing from pytest. The server's URL names a user who may create
databases; FACTCHECK_TEST_POSTGRES_URL overrides the local default.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "FACTCHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def throwaway_database(
    admin_url: str = POSTGRES_ADMIN_URL, *, prefix: str = "factcheck_test"
) -> Iterator[str]:
    """Yield the URL of a new, empty database on `admin_url`'s server; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
