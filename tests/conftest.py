"""Shared fixtures: real databases (a SQLite file and a throwaway PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from factcheck.settings import Settings
from factcheck.store import Store

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("FACTCHECK_SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get(
    "FACTCHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the test is skipped when the datasets are not beside the checkout."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'factcheck.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server, dropped afterwards."""
    name = f"factcheck_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on both real databases."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(scope="session")
def checker_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for one shared Checker: a SQLite file filled from corpus/, the shipped models."""
    folder = tmp_path_factory.mktemp("checker")
    return Settings(database_url=f"sqlite:///{folder / 'checker.db'}", rate_limit="", log_format="text")


@pytest.fixture(scope="session")
def checker(checker_settings: Settings) -> Iterator[Checker]:
    """The real pipeline over the shipped corpus and models, built once for the test session.

    Tests that change debunks through it must leave the corpus records as they found them.
    """
    from factcheck.pipeline import Checker

    built = Checker.from_settings(checker_settings, rejections=_rejections)
    yield built
    built.store.close()


@pytest.fixture(scope="session")
def editor_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the editor workflow's own Checker: its tests add variants, debunks and users."""
    folder = tmp_path_factory.mktemp("editor")
    return Settings(database_url=f"sqlite:///{folder / 'editor.db'}", rate_limit="", log_format="text")


@pytest.fixture(scope="session")
def editor_checker(editor_settings: Settings) -> Iterator[Checker]:
    """The real pipeline over its own SQLite file (filled from corpus/), for the review and editor tests."""
    from factcheck.pipeline import Checker

    built = Checker.from_settings(editor_settings, rejections=_rejections)
    yield built
    built.store.close()


def _rejections(store: Store) -> Callable[[str, int], bool]:
    """The editors' rejections, as the API, CLI and feeds wire them."""
    from factcheck.review import ReviewQueue

    return ReviewQueue(store).rejection_check()
