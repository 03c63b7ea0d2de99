"""The pair models: one loop trains both on a tiny set, and the int8 ONNX exports score as torch does."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from factcheck.matching.crossencoder import CrossEncoderScorer
from factcheck.matching.embeddings import TransformerEncoder
from factcheck.matching.matcher import PACKAGED_TRANSFORMER_DIR
from factcheck.training.pairmodel import (
    BiEncoder,
    CrossEncoder,
    PairData,
    PairQuery,
    PairTrainingConfig,
    bi_encoder_batches,
    corpus_pairs,
    cross_encoder_batches,
    drop_likely_checked,
    export_int8,
    fit,
)
from factcheck.types import Debunk

torch = pytest.importorskip("torch")

QUERIES = [
    PairQuery(
        "5G towers spread the coronavirus",
        ("5G networks cause or spread COVID-19.",),
        ("The coronavirus was created in a lab.", "5G towers were burned in England."),
    ),
    PairQuery(
        "Three cats in Wyoming caught the plague",
        ("Three cats in Wyoming were diagnosed with the bubonic plague.",),
        ("A man in China was diagnosed with the plague.", "The plague is spread by fleas."),
    ),
    PairQuery(
        "The CDC says the flu shot causes the flu epidemic",
        ("A CDC doctor said the flu vaccine is causing the deadly flu epidemic.",),
        ("The CDC recommends a flu shot for everyone over six months.",),
    ),
    PairQuery(
        "Sweden stopped investigating rapes since the migrants came",
        ("Police in Sweden admitted they are no longer investigating rape since migrant arrivals.",),
        ("Sweden dropped its investigation of Julian Assange.",),
    ),
]
NO_DEBUNK = [
    PairQuery("The council met on Tuesday to approve the budget.", (), ("The city budget was cut in half.",))
]
CONFIG = PairTrainingConfig(bi_batch=2, cross_batch=4, bi_max_length=32, cross_max_length=48)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    torch.set_num_threads(2)
    out = tmp_path_factory.mktemp("pairs")
    bi = BiEncoder(max_length=CONFIG.bi_max_length)
    before = bi.encoder.embeddings.word_embeddings.weight.detach().clone()
    bi_losses = fit(
        bi, bi.parameter_groups(1e-4), bi_encoder_batches(QUERIES, CONFIG), epochs=2, seed=0, max_steps=3
    )
    moved = float((bi.encoder.embeddings.word_embeddings.weight - before).abs().max())
    export_int8(bi, out / "bi", output="last_hidden_state", pair=False, metadata={"max_seq_length": 32})
    cross = CrossEncoder(max_length=CONFIG.cross_max_length)
    cross_losses = fit(
        cross,
        cross.parameter_groups(1e-4, 1e-2),
        cross_encoder_batches(QUERIES, NO_DEBUNK, CONFIG),
        epochs=3,
        seed=0,
    )
    export_int8(cross, out / "cross", output="logit", pair=True, metadata={"max_seq_length": 48})
    return {"bi": bi, "cross": cross, "out": out, "losses": (bi_losses, cross_losses), "moved": moved}


def test_one_loop_trains_both_models(trained: dict[str, object]) -> None:
    bi_losses, cross_losses = trained["losses"]  # type: ignore[misc]
    assert len(bi_losses) == 2 and all(np.isfinite(bi_losses))
    assert trained["moved"] > 0  # max_steps=3 still updated the weights
    assert len(cross_losses) == 3 and cross_losses[-1] < cross_losses[0]


def test_bi_encoder_export_matches_torch(trained: dict[str, object]) -> None:
    bi: BiEncoder = trained["bi"]  # type: ignore[assignment]
    texts = [q.text for q in QUERIES] + [q.positives[0] for q in QUERIES]
    with torch.no_grad():
        expected = bi.embed(texts).numpy()
    got = TransformerEncoder(Path(trained["out"]) / "bi").encode(texts)  # type: ignore[arg-type]
    cosines = (expected * got).sum(axis=1)
    assert cosines.min() > 0.97, cosines


def test_cross_encoder_export_matches_torch(trained: dict[str, object]) -> None:
    cross: CrossEncoder = trained["cross"]  # type: ignore[assignment]
    scorer = CrossEncoderScorer(Path(trained["out"]) / "cross")  # type: ignore[arg-type]
    for query in QUERIES:
        debunks = [*query.positives, *query.neighbours]
        with torch.no_grad():
            expected = cross.logits([query.text] * len(debunks), debunks).numpy()
        got = scorer.logits(query.text, debunks)
        assert np.abs(got - expected).max() < 0.25, (got, expected)
        assert np.argmax(got) == np.argmax(expected)


def test_in_batch_gold_of_another_query_is_not_a_negative() -> None:
    """Two queries of one debunk in a batch: each one's positive is masked out of the other's negatives."""
    first = PairQuery(QUERIES[0].text, QUERIES[0].positives, ())
    same = PairQuery("5G spreads covid", QUERIES[0].positives, ())
    batches = bi_encoder_batches([first, same], PairTrainingConfig(bi_batch=2))(random.Random(0))
    model = BiEncoder(max_length=16)
    with torch.no_grad():
        loss = model.loss(batches[0])
    # with both positives identical and masked, each row's only candidate is its own positive
    assert float(loss) == pytest.approx(0.0, abs=1e-5)


def test_mined_pairs_round_trip(tmp_path: Path) -> None:
    data = PairData(
        train=QUERIES, no_debunk=NO_DEBUNK, dev={"2020-dev": QUERIES[:1]}, counts={"x": 1}, corpus=QUERIES[1:]
    )
    data.save(tmp_path / "mined.json")
    assert PairData.load(tmp_path / "mined.json") == data


def test_corpus_pairs_read_a_title_as_the_claim_and_never_a_duplicate_as_its_neighbour() -> None:
    def debunk(claim: str, title: str) -> Debunk:
        return Debunk(claim_reviewed=claim, label="false", title=title)

    debunks = [
        debunk(
            "Three cats in Wyoming were diagnosed with the bubonic plague.", "Wyoming Cats Have the Plague?"
        ),
        debunk("Three cats in Wyoming were diagnosed with bubonic plague.", "Plague Cats of Wyoming"),
        debunk("A man in China was diagnosed with the plague.", "Plague Case in China"),
        debunk("The plague is spread by fleas on rats.", "The plague is spread by fleas on rats."),
        debunk("5G networks cause or spread COVID-19.", "Does 5G Spread the Coronavirus?"),
    ]
    encoder = TransformerEncoder(Path("models/embeddings") / PACKAGED_TRANSFORMER_DIR)
    pairs = corpus_pairs(debunks, encoder, held_out=["5G networks cause, or spread, COVID-19"])
    by_title = {pair.text: pair for pair in pairs}
    # a title equal to its claim teaches nothing; a held-out (dev gold) debunk stays out of training
    assert set(by_title) == {
        "Wyoming Cats Have the Plague?",
        "Plague Cats of Wyoming",
        "Plague Case in China",
    }
    first = by_title["Wyoming Cats Have the Plague?"]
    assert first.positives == (debunks[0].claim_reviewed,)
    # the other Wyoming debunk is the same claim checked twice: not a negative
    assert debunks[1].claim_reviewed not in first.neighbours
    assert debunks[2].claim_reviewed in first.neighbours


def test_cross_encoder_epochs_mix_in_the_drawn_number_of_corpus_pairs() -> None:
    corpus = [PairQuery(f"title {i}", (f"claim {i}",), (f"other {i}",)) for i in range(10)]
    config = PairTrainingConfig(cross_batch=4, cross_corpus_pairs=3, cross_no_debunk_sentences=None)
    rows = [row for batch in cross_encoder_batches([], [], config, corpus)(random.Random(0)) for row in batch]
    positives = [(claim, debunk) for claim, debunk, label in rows if label == 1.0]
    assert len(positives) == 3 and all(
        debunk == claim.replace("title", "claim") for claim, debunk in positives
    )
    assert sum(1 for *_, label in rows if label == 0.0) == 3


def test_sentences_the_matcher_nearly_flagged_are_drawn_every_epoch() -> None:
    """A news sentence without a debunk that today's matcher nearly matched is the negative the
    cross-encoder most needs: it joins every epoch on top of the random sample."""
    easy = [PairQuery(f"easy {i}", (), (f"debunk {i}",), hardness=0.01) for i in range(20)]
    hard = PairQuery(
        "Covey's 7 Habits guided my career", (), ("Michelle Obama plagiarized Covey",), hardness=0.9
    )
    config = PairTrainingConfig(cross_batch=4, cross_no_debunk_sentences=2, cross_hard_no_debunk=0.2)
    for seed in range(5):
        rows = [
            row
            for batch in cross_encoder_batches([], [*easy, hard], config)(random.Random(seed))
            for row in batch
        ]
        claims = [claim for claim, _, label in rows if label == 0.0]
        assert hard.text in claims and len(claims) in (2, 3)  # drawn once, whether or not sampled too


def test_a_debate_sentence_politifact_confidently_matches_is_no_negative() -> None:
    mined = {
        "neg-train-politifact": [
            PairQuery(
                "We've lost 60,000 factories since China joined the WTO.",
                (),
                ("We lost 70,000 factories",),
                hardness=0.99,
            ),
            PairQuery("Thank you all for coming tonight.", (), ("A debunk",), hardness=0.05),
        ],
        "neg-train-snopes": [
            PairQuery("Covey's 7 Habits guided me", (), ("Michelle Obama plagiarized Covey",), hardness=0.9)
        ],
    }
    counts: dict[str, int] = {}
    drop_likely_checked(mined, counts)
    assert [q.text for q in mined["neg-train-politifact"]] == ["Thank you all for coming tonight."]
    assert len(mined["neg-train-snopes"]) == 1  # Snopes' near misses are the same-topic negatives wanted
    assert counts == {"neg-train-politifact_dropped_as_likely_checked": 1}
