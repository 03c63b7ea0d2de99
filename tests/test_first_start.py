"""A first start over debunks without MiniLM vectors: the server answers with the fast profile at once,
encodes in the background, then serves with the full profile; a restart resumes the encoding.

The shipped corpus (774 texts to encode) stands in for an imported collection by setting
`background_encode_min` under it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import factcheck.pipeline
from api.app import create_app
from factcheck.pipeline import Checker, unencoded_texts
from factcheck.settings import Settings

HOAX = "FORWARD THIS TO EVERYONE! My cousin who is a nurse said the covid jab has a tracking chip in it."


def _fresh(checker_settings: Settings, tmp_path: Path) -> Settings:
    return checker_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'fresh.db'}", "background_encode_min": 100}
    )


def _patch_encoding(monkeypatch: pytest.MonkeyPatch, before_chunk: Callable[[int], None]) -> None:
    """Run `before_chunk(chunks encoded so far)` before each chunk the background thread encodes."""
    real = factcheck.pipeline.encode_cached
    calls = [0]

    def encode(encoder: Any, texts: Sequence[str], cache: Any) -> Any:
        before_chunk(calls[0])
        calls[0] += 1
        return real(encoder, texts, cache)

    monkeypatch.setattr(factcheck.pipeline, "encode_cached", encode)


def _wait_for(condition: Callable[[], bool], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_fresh_database_answers_with_the_fast_profile_while_encoding_then_with_the_full_one(
    checker_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    _patch_encoding(monkeypatch, lambda chunks: released.wait(timeout=120))
    with TestClient(create_app(settings=_fresh(checker_settings, tmp_path))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["matching"] == "fast"
        assert body["encoding"]["done"] == 0 and body["encoding"]["total"] > 100
        checker: Checker = client.app.state.checker  # type: ignore[attr-defined]
        fast_match = checker.thresholds.match

        response = client.post("/v1/check", json={"text": HOAX})
        assert response.status_code == 200
        assert any(claim["status"] == "debunked" for claim in response.json()["claims"])

        released.set()
        _wait_for(lambda: client.get("/readyz").json()["matching"] == "full")
        assert "encoding" not in client.get("/readyz").json()
        # the full profile's own operating points, not the fast one's
        assert checker.thresholds.match == checker.matcher.match_threshold != fast_match
        assert unencoded_texts(checker.matcher, checker.store.iter_debunks()) == []
        response = client.post("/v1/check", json={"text": HOAX})
        assert any(claim["status"] == "debunked" for claim in response.json()["claims"])


def test_a_restart_after_a_partial_encoding_encodes_only_what_is_left(
    checker_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _fresh(checker_settings, tmp_path)
    monkeypatch.setattr(factcheck.pipeline, "BACKGROUND_ENCODE_CHUNK", 100)

    def killed_after_two_chunks(chunks: int) -> None:
        if chunks == 2:
            raise RuntimeError("killed")

    _patch_encoding(monkeypatch, killed_after_two_chunks)
    first = Checker.from_settings(settings, rejections=None, encode_in_background=True)
    _wait_for(lambda: first.encoding is not None and first.encoding.failed)
    assert first.profile == "fast" and first.encoding is not None
    written, total = first.encoding.done, first.encoding.total
    assert 0 < written < total
    first.store.close()

    monkeypatch.undo()
    second = Checker.from_settings(settings, rejections=None, encode_in_background=True)
    assert second.profile == "fast" and second.encoding is not None
    assert second.encoding.total == total - written  # the two chunks written before the kill are kept
    _wait_for(lambda: second.profile == "full" and second.encoding is None)
    second.store.close()
