"""The check-worthiness model (shipped artifact, estimator contract, loader errors) and its evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from typer.testing import CliRunner

from factcheck.checkworthiness import DOMAINS, CheckworthinessClassifier, CheckworthinessModel
from factcheck.cli import app
from factcheck.errors import InputError, ModelArtifactError, UnsupportedFormatError
from factcheck.evaluation.checkworthiness import (
    best_f1_threshold,
    evaluate,
    ranking_metrics,
    read_labelled,
)
from tests.conftest import shared_data

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "checkworthiness"
runner = CliRunner()


@pytest.fixture(scope="session")
def model() -> CheckworthinessModel:
    return CheckworthinessModel.load(MODEL_DIR)


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MODEL_DIR, tmp_path / "checkworthiness"))


# --- the shipped model ---------------------------------------------------------------------------


def test_shipped_model_ranks_a_factual_claim_above_pleasantries(model: CheckworthinessModel) -> None:
    worthy, polite = model.score(
        ["The unemployment rate fell to 3.5 percent in 2019.", "Thank you all for coming tonight."]
    )
    assert worthy > polite
    assert worthy >= model.threshold > polite


@pytest.mark.parametrize("domain", DOMAINS)
def test_shipped_model_scores_are_probabilities_in_every_domain(
    model: CheckworthinessModel, domain: str
) -> None:
    texts = ["Crime doubled in 2020.", "", "🙂", "ok", "x" * 5000, "Vaccines cause autism."]
    scores = model.score(texts, domain=domain)  # type: ignore[arg-type]
    assert scores.shape == (len(texts),)
    assert np.all((scores >= 0) & (scores <= 1))
    assert 0 < model.thresholds[domain] < 1


def test_shipped_model_scores_in_batches_the_same_as_at_once(model: CheckworthinessModel) -> None:
    texts = [f"Taxes rose {n} percent in {1990 + n}." for n in range(25)]
    np.testing.assert_allclose(model.score(texts, batch_size=4), model.score(texts))
    assert model.score([]).shape == (0,)


def test_character_ngrams_counted_per_word_equal_scikit_learns(model: CheckworthinessModel) -> None:
    texts = [
        "The unemployment rate fell to 3.5 percent in 2019, the lowest in fifty years.",
        "ÉCOLE Été straße İstanbul naïve café",
        "tabs\tand\u00a0non-breaking\u2003spaces  twice",
        "",
        "x",
        "The the THE the.",
    ]
    classifier = model.classifier
    expected = classifier.char_vectorizer_.transform(texts)
    assert abs(classifier._char_features(texts) - expected).max() == 0
    assert abs(classifier._char_features(texts) - expected).max() == 0  # again, from the word cache


def test_shipped_model_calibrates_each_domain_into_probabilities_that_keep_the_ranking(
    model: CheckworthinessModel,
) -> None:
    claims = ["Crime doubled in 2020.", "Unemployment fell to 3.5 percent last year."]
    pleasantries = ["Thank you, it is good to be here.", "Good morning everyone."]
    texts = claims + pleasantries
    by_domain = {}
    for domain in DOMAINS:
        scores = model.score(texts, domain=domain)  # type: ignore[arg-type]
        assert ((scores >= 0) & (scores <= 1)).all()
        assert scores[: len(claims)].min() > scores[len(claims) :].max()
        log_odds = model.classifier.decision_function(texts, domains=domain)
        assert list(np.argsort(scores)) == list(np.argsort(log_odds))  # calibration is monotone
        by_domain[domain] = tuple(np.round(scores, 6))
    assert len(set(by_domain.values())) == len(DOMAINS)  # each domain has its own calibration


def test_model_refuses_thresholds_for_an_unknown_domain(model: CheckworthinessModel) -> None:
    with pytest.raises(ValueError, match="unknown domain"):
        CheckworthinessModel(model.classifier, thresholds={"general": 0.5, "tweets": 0.5})


def test_shipped_model_records_its_data_threshold_and_dev_figures(model: CheckworthinessModel) -> None:
    metadata = model.metadata
    assert metadata["threshold"] == model.threshold
    assert set(metadata["training_data"]) == {"clef2020-task1", "clef2020-task5", "claimbuster"}
    assert set(metadata["dev_metrics"]) == set(metadata["training_data"])
    assert (MODEL_DIR / "CARD.md").is_file()
    assert sum(path.stat().st_size for path in MODEL_DIR.iterdir()) < 20 * 1024 * 1024


# --- loading and saving ----------------------------------------------------------------------------


def test_load_explains_how_to_train_when_the_model_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="factcheck train checkworthiness"):
        CheckworthinessModel.load(tmp_path / "nowhere")


def test_load_refuses_a_weights_file_changed_after_training(model_copy: Path) -> None:
    weights = model_copy / "weights.npz"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelArtifactError, match="corrupt"):
        CheckworthinessModel.load(model_copy)


def test_load_refuses_unparseable_weights_even_with_a_matching_checksum(model_copy: Path) -> None:
    import hashlib

    garbage = b"PK\x03\x04 not really a zip"
    (model_copy / "weights.npz").write_bytes(garbage)
    metadata = json.loads((model_copy / "metadata.json").read_text())
    metadata["files"]["weights.npz"] = hashlib.sha256(garbage).hexdigest()
    (model_copy / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ModelArtifactError, match="cannot load"):
        CheckworthinessModel.load(model_copy)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"thresholds": {}}'])
def test_load_refuses_a_broken_metadata_file(model_copy: Path, content: str) -> None:
    (model_copy / "metadata.json").write_text(content)
    with pytest.raises(ModelArtifactError, match=r"metadata\.json"):
        CheckworthinessModel.load(model_copy)


def test_load_says_which_model_file_is_missing(model_copy: Path) -> None:
    (model_copy / "vocabulary.json").unlink()
    with pytest.raises(ModelArtifactError, match=r"vocabulary\.json is missing"):
        CheckworthinessModel.load(model_copy)


def test_save_round_trips_and_never_overwrites_silently(model: CheckworthinessModel, tmp_path: Path) -> None:
    folder = model.save(tmp_path / "copy")
    again = CheckworthinessModel.load(folder)
    texts = ["Crime doubled in 2020.", "Hello there, friends."]
    np.testing.assert_allclose(again.score(texts), model.score(texts))
    assert again.thresholds == model.thresholds
    assert again.calibration == model.calibration
    with pytest.raises(FileExistsError):
        model.save(folder)


# --- the estimator contract (a 12-sentence fit, not a training run) --------------------------------

_TEXTS = [
    "Unemployment fell to 3.5 percent in 2019.",
    "Crime rose 20% in Chicago last year.",
    "The deficit grew by one trillion dollars.",
    "We lost 700,000 jobs in one month.",
    "Taxes went up for 80 percent of families.",
    "The wall cost 15 billion dollars.",
    "Thank you all for coming tonight.",
    "I love my family very much.",
    "What a beautiful evening it is.",
    "Let me finish my answer please.",
    "Good evening and welcome everyone.",
    "That is a great question, thank you.",
]
_LABELS = np.array([1] * 6 + [0] * 6)


def test_classifier_follows_the_scikit_learn_contract() -> None:
    classifier = CheckworthinessClassifier(C=2.0, word_min_df=1, char_min_df=1)
    with pytest.raises(NotFittedError):
        classifier.predict(["Crime rose."])
    assert classifier.fit(_TEXTS, _LABELS) is classifier
    assert clone(classifier).get_params() == classifier.get_params()
    probabilities = classifier.predict_proba(_TEXTS, domains="social")
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert list(classifier.predict(_TEXTS[:1] + _TEXTS[-1:])) == [1, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"y": [2] * 12}, "0 .* and 1"), ({"domains": "tweets"}, "unknown domain"), ({"y": [1, 0]}, "entries")],
)
def test_classifier_fit_names_the_bad_argument(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"y": _LABELS, **kwargs}
    labels = arguments.pop("y")
    with pytest.raises(ValueError, match=message):
        CheckworthinessClassifier(word_min_df=1, char_min_df=1).fit(_TEXTS, labels, **arguments)  # type: ignore[arg-type]


def test_classifier_state_rebuilds_the_same_model() -> None:
    classifier = CheckworthinessClassifier(word_min_df=1, char_min_df=1).fit(_TEXTS, _LABELS)
    vocabularies, arrays = classifier.to_state()
    rebuilt = CheckworthinessClassifier.from_state(classifier.get_params(), vocabularies, arrays)
    np.testing.assert_allclose(rebuilt.predict_proba(_TEXTS), classifier.predict_proba(_TEXTS))


# --- metrics ---------------------------------------------------------------------------------------


def test_ranking_metrics_follow_the_checkthat_scorer() -> None:
    metrics = ranking_metrics(np.array([0.9, 0.8, 0.7, 0.6, 0.5]), np.array([1, 0, 1, 0, 0]))
    assert metrics.average_precision == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert metrics.reciprocal_rank == 1.0
    assert metrics.r_precision == 0.5
    assert metrics.precision_at == {1: 1.0, 3: pytest.approx(2 / 3), 5: 0.4}


def test_ranking_metrics_keep_input_order_between_equal_scores() -> None:
    assert ranking_metrics(np.zeros(3), np.array([0, 0, 1])).average_precision == pytest.approx(1 / 3)


def test_best_f1_threshold_separates_perfectly_ranked_scores() -> None:
    threshold, f1 = best_f1_threshold(np.array([0.9, 0.7, 0.4, 0.1]), np.array([1, 1, 0, 0]))
    assert 0.4 < threshold < 0.7
    assert f1 == 1.0


# --- readers and the eval command on real dev data ---------------------------------------------------


def test_read_labelled_refuses_unknown_and_unlabelled_files(tmp_path: Path) -> None:
    unknown = tmp_path / "notes.tsv"
    unknown.write_text("a\tb\n")
    with pytest.raises(UnsupportedFormatError):
        read_labelled(unknown)
    test_input = tmp_path / "test-input.tsv"
    test_input.write_text("topic_id\ttweet_id\ttweet_url\ttweet_text\ncovid-19\t1\thttp://t\tx\n")
    with pytest.raises(InputError, match="check_worthiness"):
        read_labelled(test_input)
    with pytest.raises(InputError, match="no such file"):
        read_labelled(tmp_path / "missing.json")


def _run_eval(*args: str) -> dict[str, float]:
    result = runner.invoke(app, ["eval", "checkworthiness", "--model", str(MODEL_DIR), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _assert_in_range(metrics: dict[str, float]) -> None:
    for key in ("map", "f1_positive", "precision_positive", "recall_positive", "mrr", "p@1", "p@10"):
        assert 0.0 <= metrics[key] <= 1.0, key


def test_eval_command_scores_a_slice_of_the_task1_dev_tweets(tmp_path: Path) -> None:
    lines = (
        shared_data("clef2020_task1_checkworthy_tweets", "dev_v2.tsv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    sliced = tmp_path / "dev_slice.tsv"
    sliced.write_text("\n".join(lines[:41]) + "\n", encoding="utf-8")
    metrics = _run_eval("--data", str(sliced))
    assert metrics["dataset"] == "clef2020-task1"
    assert metrics["n_items"] == 40
    _assert_in_range(metrics)
    assert metrics["map"] > 0.5  # random ranking is about 0.35 on this data


def test_eval_command_scores_a_dev_transcript_of_task5(tmp_path: Path) -> None:
    transcript = shared_data("clef2020_task5_checkworthy_debates", "training", "20170919_Trump_UNGA.tsv")
    folder = tmp_path / "transcripts"
    folder.mkdir()
    shutil.copy(transcript, folder / transcript.name)
    metrics = _run_eval("--data", str(folder), "--split", "dev")
    assert (metrics["dataset"], metrics["n_groups"]) == ("clef2020-task5", 1)
    _assert_in_range(metrics)


def test_eval_command_keeps_only_the_models_claimbuster_dev_ids(tmp_path: Path) -> None:
    records = json.loads(shared_data("claimbuster", "2.5xNCS.json").read_text(encoding="utf-8"))
    sliced = tmp_path / "claimbuster_slice.json"
    sliced.write_text(json.dumps(records[:600]), encoding="utf-8")
    metrics = _run_eval("--data", str(sliced), "--split", "dev")
    assert metrics["dataset"] == "claimbuster"
    assert 0 < metrics["n_items"] < 600
    _assert_in_range(metrics)


def test_eval_reports_every_metric_for_any_labelled_data() -> None:
    data = read_labelled(shared_data("clef2020_task1_checkworthy_tweets", "dev_v2.tsv"))
    report = evaluate(np.linspace(1, 0, len(data.items)), data, threshold=0.5)
    assert set(report.to_dict()) >= {"map", "f1_positive", "p@1", "p@3", "p@5", "p@10", "p@20", "p@30", "mrr"}


def test_eval_command_fails_cleanly_on_an_unknown_format(tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('"just a string"')
    result = runner.invoke(app, ["eval", "checkworthiness", "--data", str(bogus)])
    assert result.exit_code == 1
    assert "Error:" in result.output
