"""Shared fixtures: real databases (SQLite files, throwaway PostgreSQL), the real pipeline, the app.

The shipped models load once per session, in `checker`. Tests that only read use `checker` and its
database as they are; tests that write (debunks, reviews, users) take `editor_checker`, which has its own
copy of that database for the one test and borrows the loaded models.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from factcheck.importers import read_records
from factcheck.settings import Settings
from factcheck.store import Store
from factcheck.types import Debunk
from tests.fixtures.feeds.server import FeedServer
from tests.postgres import throwaway_database

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from factcheck.pipeline import Checker

REPO_ROOT = Path(__file__).resolve().parent.parent
# The benchmark tests import bench/'s scripts as modules. Appended, after the repository: bench/api.py
# must not shadow the `api` package.
sys.path.append(str(REPO_ROOT / "bench"))
SHARED_DATA = Path(os.environ.get("FACTCHECK_SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).parent / "fixtures"

# The accounts of `people`: one password, and a hasher cheap enough to make accounts in every test.
PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


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
    with throwaway_database() as url:
        yield url


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

    Its database is shared by every test that reads: a test that writes takes `editor_checker`.
    """
    from factcheck.pipeline import Checker

    built = Checker.from_settings(checker_settings, rejections=_rejections)
    database = _sqlite_path(checker_settings)
    _copy_sqlite(database, database.with_name("pristine.db"))  # before any test writes to it
    yield built
    built.store.close()


@pytest.fixture(scope="session")
def pristine_database(checker_settings: Settings, checker: Checker) -> Path:
    """The session database as `checker` first built it: corpus and cached vectors, no test's writes."""
    return _sqlite_path(checker_settings).with_name("pristine.db")


@pytest.fixture
def editor_settings(checker_settings: Settings, pristine_database: Path, tmp_path: Path) -> Settings:
    """Settings over this test's own copy of the pristine session database."""
    copy = tmp_path / "editor.db"
    _copy_sqlite(pristine_database, copy)
    return checker_settings.model_copy(update={"database_url": f"sqlite:///{copy}"})


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while another connection has the file open."""
    reading = sqlite3.connect(source)
    writing = sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        writing.close()
        reading.close()


@pytest.fixture
def editor_checker(editor_settings: Settings, checker: Checker) -> Iterator[Checker]:
    """The real pipeline over the test's own database, for the tests that add debunks, reviews and users.

    It borrows the session Checker's loaded models; only the index is built again (from cached vectors).
    """
    from factcheck.matching import Matcher
    from factcheck.matching.crosslingual import CrossLingual
    from factcheck.pipeline import Checker

    store = Store(editor_settings.database_url)
    shared = checker.matcher
    crosslingual = shared.crosslingual
    matcher = Matcher(
        reranker=shared.reranker,
        static=shared.static,
        transformer=shared.transformer,
        vector_cache=store,
        config=shared.config,
        gate=shared.gate,
        # its own index of the test's debunks, with the shared scorer and e5 model
        crosslingual=None
        if crosslingual is None
        else CrossLingual(scorer=crosslingual.scorer, model_path=crosslingual.model_path),
    )
    built = Checker(
        store=store,
        matcher=matcher,
        checkworthiness=checker.checkworthiness,
        classifier=checker.classifier,
        thresholds=checker.thresholds,
        fetcher=checker.fetcher,
        is_rejected=_rejections(store),
        index_sync_seconds=checker.index_sync_seconds,
    )
    built.rebuild_index()
    yield built
    store.close()


@pytest.fixture
def app(checker_settings: Settings, checker: Checker) -> FastAPI:
    """The API over the session Checker; a module whose tests write overrides it with `editor_app`."""
    from api.app import create_app

    return create_app(settings=checker_settings, checker=checker)


@pytest.fixture
def editor_app(editor_settings: Settings, editor_checker: Checker) -> FastAPI:
    """The API over the test's own database (see `editor_checker`)."""
    from api.app import create_app

    return create_app(settings=editor_settings, checker=editor_checker)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """FastAPI's in-process client of `app`."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def people(editor_checker: Checker) -> dict[str, str]:
    """One account per role in the test's own database: role -> username; the password is PASSWORD."""
    from factcheck.accounts import Accounts

    accounts = Accounts(editor_checker.store, hasher=FAST_HASHER)
    for role in ("admin", "editor", "viewer"):
        accounts.add_user(f"test-{role}", PASSWORD, role=role, display_name=f"Test {role}", actor="test")
    return {role: f"test-{role}" for role in ("admin", "editor", "viewer")}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A feed and article server on 127.0.0.1 (see tests/fixtures/feeds/server.py)."""
    with FeedServer() as running:
        yield running


def _rejections(store: Store) -> Callable[[str, int], bool]:
    """The editors' rejections, as the API, CLI and feeds wire them."""
    from factcheck.review import ReviewQueue

    return ReviewQueue(store).rejection_check()


@pytest.fixture(scope="session")
def corpus_debunks() -> list[Debunk]:
    """The shipped corpus's debunks, numbered from 1 as a database would, without opening one."""
    _, records = read_records(Path(__file__).resolve().parent.parent / "corpus" / "debunks.jsonl")
    found = [record for record in records if isinstance(record, Debunk)]
    return [dataclasses.replace(debunk, id=number) for number, debunk in enumerate(found, start=1)]
