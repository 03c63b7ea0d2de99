"""Editors' reviewed pairs as re-ranker training data, read back by the trainer's own readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.errors import InputError
from factcheck.evaluation.retrieval import Collection
from factcheck.review import ReviewedPair
from factcheck.store import Store
from factcheck.training.matcher import DATASETS, Split
from factcheck.training.review import (
    REVIEW_SPLIT,
    ReviewTrainingReport,
    add_reviewed_pairs,
    install_if_chosen,
)
from factcheck.types import Debunk
from tests.conftest import SHARED_DATA, shared_data

MICROCHIP = Debunk(
    claim_reviewed="COVID-19 vaccines contain microchips to track people.",
    label="false",
    title="No, vaccines do not contain microchips",
    review_url="https://desk.example.org/microchips",
    id=7,
)
FIVE_G = Debunk(
    claim_reviewed="5G towers spread the coronavirus.",
    label="false",
    review_url="https://desk.example.org/5g",
    id=9,
)
PAIRS = [
    ReviewedPair("Bill Gates hid tracking chips in every vaccine dose.", 7, True),
    ReviewedPair("Bill Gates hid tracking chips in every vaccine dose.", 9, False),
    ReviewedPair("Vaccines make you magnetic, look at this spoon.", 7, False),
]


def _snopes_split() -> Split:
    """A two-query train split whose collection already holds MICROCHIP's URL and claim (as record 2)."""
    collection = Collection(
        debunks=[
            Debunk(claim_reviewed="The moon landing was staged.", label="other", id=1),
            Debunk(
                claim_reviewed=MICROCHIP.claim_reviewed, label="other", review_url=MICROCHIP.review_url, id=2
            ),
        ],
        vclaim_to_debunk={"vclaim-sno-moon": 1, "vclaim-sno-chips": 2},
        format="checkthat2022",
        records=2,
    )
    return Split(
        REVIEW_SPLIT,
        collection,
        ["q1", "q2"],
        ["They faked the moon landing", "Chips in vaccines!"],
        {"q1": {1}, "q2": {2}},
    )


def test_augmented_train_split_holds_the_confirmed_pairs(tmp_path: Path) -> None:
    split = _snopes_split()
    augmented, added = add_reviewed_pairs(split, PAIRS, {7: MICROCHIP, 9: FIVE_G}, repeat=2)
    assert (added.queries, added.positives, added.debunks, added.unused_rejections) == (1, 1, 2, 1)
    mine = dict(zip(augmented.queries, augmented.texts, strict=True))
    mine = {q: t for q, t in mine.items() if q.startswith("review-")}
    assert sorted(mine) == ["review-0-0", "review-0-1"]
    assert set(mine.values()) == {"Bill Gates hid tracking chips in every vaccine dose."}
    collection = augmented.collection
    assert augmented.relevant["review-0-0"] == {collection.vclaim_to_debunk["vclaim-review-7"]}
    assert len(augmented.queries) == len(split.queries) + 2
    [ours] = [d for d in collection.debunks if d.review_url == MICROCHIP.review_url]
    assert collection.vclaim_to_debunk["vclaim-review-7"] == ours.id == 2  # merged, as the import merges
    assert ours.claim_reviewed == MICROCHIP.claim_reviewed
    [five_g] = [d for d in collection.debunks if d.review_url == FIVE_G.review_url]
    assert collection.vclaim_to_debunk["vclaim-review-9"] == five_g.id == 3  # a candidate to push down
    assert (split.queries, len(split.collection.debunks)) == (["q1", "q2"], 2)  # the original is untouched


def _staged(
    tmp_path: Path, before: dict[str, float], after: dict[str, float], **profiles: str
) -> ReviewTrainingReport:
    live, staged = tmp_path / "matcher", tmp_path / "matcher.with-reviews"
    for folder in (live, staged):
        folder.mkdir()
        (folder / "manifest.json").write_text(folder.name)
    return ReviewTrainingReport(
        before={name: before for name in profiles.get("live", "fast").split(",")},
        after={name: after for name in profiles.get("new", "fast").split(",")},
        staged_profiles=tuple(profiles.get("staged", profiles.get("new", "fast")).split(",")),
        model_dir=live,
        staged_dir=staged,
    )


@pytest.mark.parametrize(
    ("before", "after", "replace", "profiles", "installed"),
    [
        (0.60, 0.61, "if_not_worse", {}, True),
        (0.60, 0.60, "if_not_worse", {}, True),
        (0.60, 0.59, "if_not_worse", {}, False),
        (0.60, 0.59, "always", {}, True),
        (0.60, 0.70, "never", {}, False),
        (0.60, 0.70, "always", {"live": "full,fast", "new": "fast"}, False),  # would drop "full"
        (0.60, 0.70, "if_not_worse", {"live": "full,fast", "new": "fast", "staged": "fast,full"}, True),
    ],
)
def test_install_if_chosen_replaces_the_live_model_only_as_asked(
    tmp_path: Path, before: float, after: float, replace: str, profiles: dict[str, str], installed: bool
) -> None:
    report = _staged(tmp_path, {"map@5": before}, {"map@5": after}, **profiles)
    assert install_if_chosen(report, replace) is installed  # type: ignore[arg-type]
    live = (tmp_path / "matcher" / "manifest.json").read_text()
    assert live == ("matcher.with-reviews" if installed else "matcher")
    assert (tmp_path / "matcher.previous").exists() is installed


def test_augment_refuses_a_repeat_below_one(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        add_reviewed_pairs(_snopes_split(), PAIRS, {}, repeat=0)


runner = CliRunner()


def test_train_reranker_needs_with_reviews_and_confirmed_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    Store(url).migrate()
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", url)
    without = runner.invoke(app, ["train", "reranker"])
    assert without.exit_code == 1 and "--with-reviews" in without.output
    empty = runner.invoke(app, ["train", "reranker", "--with-reviews", "--out", str(tmp_path / "models")])
    assert empty.exit_code == 1
    assert "no confirmed matches to learn from yet" in empty.output


@pytest.mark.slow
def test_train_reranker_with_reviews_trains_compares_and_installs_only_if_not_worse(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A real (fast-profile) training run on the shared data; a few minutes on two cores."""

    from factcheck.review import ReviewQueue
    from factcheck.training.review import train_reranker_with_reviews
    from factcheck.types import Claim, ClaimVerdict, Document, Match, Report
    from tests.conftest import REPO_ROOT

    shared_data(DATASETS[REVIEW_SPLIT][0])
    static = REPO_ROOT / "models" / "embeddings" / "static"
    if not static.is_dir():
        pytest.skip(f"{static} is not there (run `factcheck train matcher` first)")
    models = tmp_path / "models"
    models.mkdir()
    (models / "embeddings").symlink_to(static.parent)
    store = Store(sqlite_url)
    store.migrate()
    queue = ReviewQueue(store)
    microchip = store.create_debunk(MICROCHIP, actor="t")
    five_g = store.create_debunk(FIVE_G, actor="t")
    for text, right, wrong in (
        ("Bill Gates hid tracking chips in every vaccine dose.", microchip, five_g),
        ("The new masts are what spread the corona virus, share!", five_g, microchip),
    ):
        claim = Claim(text=text, normalized=text, start=0, end=len(text), checkworthiness=0.9)
        matches = (Match(right, 1.0, 0.5), Match(wrong, 0.5, 0.2))
        report = Report(Document(text=text), (ClaimVerdict(claim, "needs_review", matches),))
        [item] = queue.flag_report(report, origin="api")
        item = queue.reject(item.id, wrong.id, expected_version=item.version, actor="t")  # type: ignore[arg-type]
        queue.confirm(item.id, right.id, expected_version=item.version, actor="t")  # type: ignore[arg-type]

    first = train_reranker_with_reviews(store, SHARED_DATA, models, profiles=("fast",))
    assert first.added is not None and (first.added.queries, first.added.positives) == (2, 2)
    assert first.before == {}  # nothing to compare with: installed
    assert first.replaced and (models / "matcher" / "reranker-fast.skops").is_file()
    assert 0.0 < first.after["fast"]["map@5"] <= 1.0
