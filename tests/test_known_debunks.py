"""What the Checker keeps about indexed debunks (factcheck._known): ids, versions and key hashes only, the
records of a check's candidates read from the database; edits and retirements seen after a sync."""

from __future__ import annotations

import numpy as np

from factcheck._known import KeyTable, KnownDebunks, key_hash
from factcheck._text import canonical_key
from factcheck.pipeline import Checker
from factcheck.types import Debunk

EDITED_CLAIM = "Gargling warm salt water every evening for a week rewires your immune system for good."


def _an_english_debunk(checker: Checker) -> Debunk:
    return next(
        d for d in checker.store.iter_debunks() if d.language == "en" and len(d.claim_reviewed.split()) >= 8
    )


def test_a_check_returns_the_full_record_of_each_candidate(editor_checker: Checker) -> None:
    debunk = _an_english_debunk(editor_checker)
    matches = editor_checker.search(debunk.claim_reviewed)
    assert matches[0].debunk == debunk and matches[0].probability == 1.0
    assert matches[0].matched_text == debunk.claim_reviewed
    assert all(m.debunk == editor_checker.store.get(m.debunk.id or 0) for m in matches)


def test_an_edit_written_by_another_process_is_matched_after_the_sync(editor_checker: Checker) -> None:
    debunk = _an_english_debunk(editor_checker)
    editor_checker.search(debunk.claim_reviewed)  # its record is now among the recently read ones
    edited = editor_checker.store.update_debunk(
        debunk.id or 0, {"claim_reviewed": EDITED_CLAIM}, expected_version=debunk.version, actor="test"
    )
    assert editor_checker.sync_index() == 1
    match = editor_checker.search(EDITED_CLAIM)[0]
    assert match.debunk == edited and match.probability == 1.0 and match.matched_text == EDITED_CLAIM


def test_a_debunk_retired_by_another_process_is_not_matched_after_the_sync(editor_checker: Checker) -> None:
    debunk = _an_english_debunk(editor_checker)
    assert editor_checker.search(debunk.claim_reviewed)[0].debunk == debunk
    retired = editor_checker.store.retire_debunk(
        debunk.id or 0, expected_version=debunk.version, actor="test"
    )
    editor_checker.sync_index()
    assert debunk.id not in {m.debunk.id for m in editor_checker.search(debunk.claim_reviewed)}
    known = editor_checker._known
    assert known.version(debunk.id or 0) == retired.version and not known.is_matchable(debunk.id or 0)


def test_the_checker_keeps_no_debunk_records_only_a_few_bytes_a_debunk_and_phrasing(
    editor_checker: Checker,
) -> None:
    known = editor_checker._known
    assert len(known.ids) == editor_checker.store.count()
    assert all(isinstance(value, np.ndarray | KeyTable) for value in vars(known).values())
    entries = len(known.ids) + len(known.exact) + len(known.sentences)
    assert known.nbytes() <= 17 * entries  # id, version, matchable; a key's hash and id


def test_a_phrasing_goes_to_the_last_debunk_given_and_a_sentence_to_the_first() -> None:
    """The rules of the dicts it replaced: assignment for phrasings, `setdefault` for sentences."""
    phrasing, sentence = key_hash(canonical_key("a phrasing")), key_hash(canonical_key("a sentence"))
    known = KnownDebunks().changed(
        {1: (1, True), 2: (1, True)}, ([phrasing, phrasing], [1, 2]), ([sentence, sentence], [1, 2])
    )
    assert known.exact.get(canonical_key("a phrasing")) == 2
    assert known.sentences.get(canonical_key("a sentence")) == 1
    later = known.changed({3: (1, True)}, ([phrasing], [3]), ([sentence], [3]))
    assert later.exact.get(canonical_key("a phrasing")) == 3
    assert later.sentences.get(canonical_key("a sentence")) == 1
    retired = later.changed({3: (2, False)}, ([], []), ([], []))
    assert retired.version(3) == 2 and retired.matchable_versions([1, 2, 3, 4]) == {1: 1, 2: 1}
    assert known.exact.get(canonical_key("a phrasing")) == 2  # the copies left `known` as it was
