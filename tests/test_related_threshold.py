"""The possibly_related threshold: chosen on dev predictions, recorded in the matcher manifest."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from factcheck.training.related import (
    MIN_BAND,
    RelatedThreshold,
    choose_related_threshold,
    record_related_threshold,
)
from factcheck.verdicts import recorded_related_threshold

MODELS = Path(__file__).resolve().parent.parent / "models"


def _dev(band: list[tuple[float, bool]], matched: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """`matched` right claims above the match threshold (0.9), then the band's (score, right) pairs."""
    pairs = [(0.95, True)] * matched + band
    return np.asarray([p for p, _ in pairs]), np.asarray([r for _, r in pairs])


def test_the_band_threshold_is_the_lowest_whose_band_is_right_at_least_the_target() -> None:
    # 0.85..0.76: 9 right of 10 (0.9); then 0.70..0.61: 5 right of 10 (band 0.7 from 0.61 down)
    band = [(0.85 - i / 100, i != 3) for i in range(10)] + [(0.70 - i / 100, i % 2 == 0) for i in range(10)]
    top, correct = _dev(band)
    chosen = choose_related_threshold(top, correct, match=0.9, floor=0.1, target=0.8)
    assert chosen == pytest.approx(0.66)  # 12 right of the 15 in [0.66, 0.9); one lower: 12 of 16
    in_band = correct[(top >= chosen) & (top < 0.9)]
    assert in_band.mean() >= 0.8 and len(in_band) >= MIN_BAND


def test_the_tier_is_off_when_no_band_reaches_the_target_though_the_matches_above_would_lift_it() -> None:
    band = [(0.85 - i / 100, i % 3 != 0) for i in range(30)]  # two right in three
    top, correct = _dev(band, matched=60)
    assert choose_related_threshold(top, correct, match=0.9, floor=0.1, target=0.8) == 0.9
    cumulative = choose_related_threshold(top, correct, match=0.9, floor=0.1, target=0.8, basis="cumulative")
    assert cumulative < 0.9 and correct[top >= cumulative].mean() >= 0.8


def test_a_band_of_fewer_than_min_band_claims_does_not_count() -> None:
    top, correct = _dev([(0.85, True), (0.84, True), (0.5, False)])
    assert choose_related_threshold(top, correct, match=0.9, floor=0.1, target=0.8) == 0.9


def test_recording_keeps_every_other_manifest_key_and_a_retrain_invalidates_it(tmp_path: Path) -> None:
    shutil.copy(MODELS / "matcher" / "manifest.json", tmp_path / "manifest.json")
    (tmp_path / "matcher").mkdir()
    shutil.move(tmp_path / "manifest.json", tmp_path / "matcher" / "manifest.json")
    before = json.loads((tmp_path / "matcher" / "manifest.json").read_text())
    match = before["profiles"]["full"]["match_threshold"]
    result = RelatedThreshold(
        profile="full",
        threshold=0.7,
        precision_target=0.8,
        basis="band",
        dev_precision=None,
        dev_precision_at_or_above=0.9,
        dev_shown=0,
        dev_claims_with_debunk=3,
        dev_recall_gain=0.0,
        dev_claims_without_debunk=4,
        dev_negatives_shown=0.0,
        match_threshold=match,
        suggest_threshold=0.1,
        splits=("2020-dev",),
        matcher_trained="2026-11-27",
        computed="2026-12-07",
    )
    record_related_threshold(tmp_path, result)
    record_related_threshold(tmp_path, replace(result, threshold=0.75))  # rerunnable
    text = (tmp_path / "matcher" / "manifest.json").read_text()
    after = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    record = after["profiles"]["full"].pop("related_threshold")
    before["profiles"]["full"].pop("related_threshold", None)
    assert after == before
    assert record["threshold"] == 0.75 and record["command"] == "factcheck train related-threshold"
    after["profiles"]["full"]["related_threshold"] = record
    assert recorded_related_threshold(after, "full") == 0.75
    after["profiles"]["full"]["match_threshold"] = match + 0.01  # the matcher was retrained
    assert recorded_related_threshold(after, "full") is None
