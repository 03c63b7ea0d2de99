"""The review workflow on real SQLite and PostgreSQL: what enters the queue, grouping, decisions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from factcheck._text import canonical_key
from factcheck.errors import ConflictError, InputError, NotFoundError
from factcheck.review import ReviewQueue, claim_tokens
from factcheck.store import Store
from factcheck.store.review_models import ReviewSightingRow
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report

MICROCHIP = Debunk(
    claim_reviewed="COVID-19 vaccines contain microchips to track people.",
    label="false",
    rating_text="False",
    reviewer_name="Example Fact Check",
    review_url="https://factcheck.example.org/microchips",
)
FIVE_G = Debunk(
    claim_reviewed="5G towers spread the coronavirus.",
    label="false",
    rating_text="False",
    reviewer_name="Example Fact Check",
    review_url="https://factcheck.example.org/5g",
)
CLAIM_TEXT = "Bill Gates hid tracking chips inside every covid vaccine dose."


def _claim(text: str, *, checkworthiness: float = 0.7, document: str = "") -> Claim:
    start = document.find(text) if document else 0
    return Claim(
        text=text,
        normalized=text.lower(),
        start=start,
        end=start + len(text),
        checkworthiness=checkworthiness,
    )


def _report(
    text: str,
    *,
    status: str = "needs_review",
    matches: tuple[Match, ...] = (),
    source_url: str = "https://news.example.com/a",
    checkworthiness: float = 0.7,
) -> Report:
    document_text = f"Before the claim. {text} After the claim."
    return Report(
        document=Document(text=document_text, source_url=source_url),
        claims=(
            ClaimVerdict(
                claim=_claim(text, checkworthiness=checkworthiness, document=document_text),
                status=status,  # type: ignore[arg-type]
                matches=matches,
            ),
        ),
    )


@pytest.fixture
def debunks(store: Store) -> tuple[Debunk, Debunk]:
    return store.create_debunk(MICROCHIP, actor="seed"), store.create_debunk(FIVE_G, actor="seed")


@pytest.fixture
def queue(store: Store) -> ReviewQueue:
    return ReviewQueue(store)


def _suggest(debunk: Debunk, probability: float = 0.4) -> Match:
    return Match(
        debunk=debunk, score=probability * 10, probability=probability, matched_text=debunk.claim_reviewed
    )


def test_flag_report_queues_needs_review_claims_with_their_candidates_and_context(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, five_g = debunks
    report = _report(CLAIM_TEXT, matches=(_suggest(microchip, 0.5), _suggest(five_g, 0.2)))
    [item] = queue.flag_report(report, origin="api")
    assert item.status == "open"
    assert item.text == CLAIM_TEXT
    assert item.seen_count == 1
    assert [c.debunk.id for c in item.candidates] == [microchip.id, five_g.id]
    [sighting] = item.sightings
    assert sighting.source_url == "https://news.example.com/a"
    assert "Before the claim." in sighting.context and CLAIM_TEXT in sighting.context


@pytest.mark.parametrize("status", ["debunked", "no_match", "not_checkworthy"])
def test_flag_report_ignores_claims_that_need_no_review(queue: ReviewQueue, status: str) -> None:
    assert queue.flag_report(_report(CLAIM_TEXT, status=status), origin="api") == []
    assert queue.page().total == 0


def test_identical_and_near_identical_claims_are_grouped_with_a_count(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    match = (_suggest(microchip),)
    queue.flag_report(_report(CLAIM_TEXT, matches=match), origin="api")
    queue.flag_report(_report(CLAIM_TEXT.upper() + "!!", matches=match), origin="api")  # identical
    queue.flag_report(
        _report("Bill Gates hid tracking chips inside every single covid vaccine dose.", matches=match),
        origin="feed",
    )  # near-identical: one extra word
    queue.flag_report(_report("Drinking hot water cures the flu in one day.", matches=match), origin="api")
    page = queue.page()
    assert page.total == 2
    grouped = next(item for item in page.items if item.seen_count > 1)
    assert grouped.seen_count == 3
    assert grouped.wordings == 2
    assert grouped.origins == ("api", "feed")


def test_a_new_sighting_does_not_read_the_earlier_ones(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    # A claim seen on thousands of pages must not make the next sighting read them all back.
    microchip, _ = debunks
    report = _report(CLAIM_TEXT, matches=(_suggest(microchip),))
    for _ in range(5):
        queue.flag_report(report, origin="api")
    loaded: list[object] = []

    def record(target: object, context: object) -> None:
        loaded.append(target)

    event.listen(ReviewSightingRow, "load", record)
    try:
        [item] = queue.flag_report(report, origin="api")
    finally:
        event.remove(ReviewSightingRow, "load", record)
    assert item.seen_count == 6
    assert len(loaded) <= 1  # the item comes back with its latest sighting only


def test_claim_tokens_fold_case_accents_and_punctuation() -> None:
    assert claim_tokens("Café, CAFE! café?") == {"cafe"}


def test_queue_is_ordered_by_how_often_a_claim_was_seen(queue: ReviewQueue) -> None:
    queue.add_unmatched(_claim("The moon landing was filmed in a studio in Nevada."), origin="feed")
    for _ in range(4):
        queue.add_unmatched(_claim("Wind turbines cause cancer in people living nearby."), origin="feed")
    first, second = queue.page().items
    assert first.text.startswith("Wind turbines")
    assert first.seen_count == 4
    assert first.priority > second.priority


def test_queue_filters_by_status_origin_and_text(queue: ReviewQueue) -> None:
    queue.add_unmatched(_claim("The moon landing was filmed in a studio in Nevada."), origin="feed")
    reported = queue.add_reader_report(
        "Wind turbines cause cancer in people living nearby.", comment="The extension said nothing"
    )
    assert reported is not None
    assert [i.id for i in queue.page(origin="reader").items] == [reported.id]
    assert [i.text for i in queue.page(text="MOON").items] == [
        "The moon landing was filmed in a studio in Nevada."
    ]
    assert queue.page(status="confirmed").total == 0
    assert queue.page(status=None).total == 2
    with pytest.raises(InputError):
        queue.page(status="bogus")


def test_confirm_makes_the_claim_a_variant_of_the_debunk_and_is_audited(
    store: Store, queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    confirmed = queue.confirm(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    assert confirmed.status == "confirmed"
    assert confirmed.debunk_id == microchip.id
    assert confirmed.resolved_by == "ana"
    assert confirmed.version == item.version + 1
    assert CLAIM_TEXT in store.get(microchip.id).variants  # type: ignore[arg-type]
    [entry] = [e for e in store.audit_entries(target_type="review_item") if e.action == "confirm"]
    assert entry.actor == "ana"
    assert entry.before["status"] == "open"  # type: ignore[index]
    assert entry.after["status"] == "confirmed"  # type: ignore[index]
    assert queue.reviewed_pairs()[0].matches is True


def test_confirm_with_a_stale_version_is_a_conflict_that_names_who_changed_it(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, five_g = debunks
    [item] = queue.flag_report(
        _report(CLAIM_TEXT, matches=(_suggest(microchip), _suggest(five_g))), origin="api"
    )
    queue.reject(item.id, five_g.id, expected_version=item.version, actor="ben")  # type: ignore[arg-type]
    with pytest.raises(ConflictError, match="since you opened it"):
        queue.confirm(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]


def test_two_editors_deciding_at_once_never_both_win(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    outcomes: list[str] = []

    def decide(actor: str) -> None:
        try:
            if actor == "ana":
                queue.confirm(item.id, microchip.id, expected_version=item.version, actor=actor)  # type: ignore[arg-type]
            else:
                queue.mark_not_checkworthy(item.id, expected_version=item.version, actor=actor)
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]


def test_reject_remembers_the_pair_so_it_is_not_suggested_again(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    rejected = queue.reject(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    assert rejected.status == "open"
    assert rejected.candidates[0].rejected
    assert rejected.open_candidates == ()
    key = canonical_key(CLAIM_TEXT)
    assert queue.rejection_check()(key, microchip.id)  # type: ignore[arg-type]
    assert (key, microchip.id) in queue.rejected_pairs()
    assert {debunk_id for k, debunk_id in queue.rejected_pairs() if k == key} == {microchip.id}
    # The same suggestion again is dropped rather than queued a second time.
    assert queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api") == []
    assert [p.matches for p in queue.reviewed_pairs()] == [False]


def test_reject_of_a_debunk_that_is_not_a_candidate_is_not_found(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, five_g = debunks
    [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    with pytest.raises(NotFoundError):
        queue.reject(item.id, five_g.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    assert queue.get(item.id).version == item.version  # nothing changed


def test_not_checkworthy_claims_are_counted_but_not_queued_again(queue: ReviewQueue) -> None:
    item = queue.add_unmatched(_claim("Our new phone is the best phone ever made."), origin="feed")
    assert item is not None
    queue.mark_not_checkworthy(item.id, expected_version=item.version, actor="ana", note="advertising")
    again = queue.add_unmatched(_claim("Our new phone is the best phone ever made."), origin="feed")
    assert again is not None and again.id == item.id
    assert again.status == "not_checkworthy"
    assert again.seen_count == 2
    assert queue.page().total == 0
    # Dismissed is the wording (the canonical key), not the exact text: a louder copy is not queued either.
    louder = queue.add_unmatched(_claim("OUR NEW PHONE is the best phone ever made!"), origin="feed")
    assert louder is not None and (louder.id, louder.status) == (item.id, "not_checkworthy")
    assert queue.page().total == 0


def test_create_debunk_from_a_claim_resolves_the_item_with_the_claim_as_variant(
    store: Store, queue: ReviewQueue
) -> None:
    item = queue.add_reader_report(
        "Eating garlic protects you from every virus.", source_url="https://x.example"
    )
    assert item is not None
    draft = Debunk(
        claim_reviewed="Garlic prevents viral infections.",
        label="false",
        rating_text="False",
        reviewer_name="Our Desk",
        review_url="https://desk.example.org/garlic",
    )
    resolved, created = queue.create_debunk(item.id, draft, expected_version=item.version, actor="ana")
    assert resolved.status == "new_debunk"
    assert resolved.debunk_id == created.id
    assert created.variants == ("Eating garlic protects you from every virus.",)
    assert store.get(created.id).provenance == "editor:ana"  # type: ignore[arg-type]
    assert queue.dashboard().new_debunks[-1] == 1


def test_create_debunk_that_fails_leaves_the_item_as_the_editor_saw_it(
    store: Store, queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    item = queue.add_reader_report("5G towers spread the coronavirus.")
    assert item is not None
    with pytest.raises(ConflictError):  # the same claim and review URL exist already
        queue.create_debunk(item.id, FIVE_G, expected_version=item.version, actor="ana")
    again = queue.get(item.id)
    assert (again.status, again.version) == ("open", item.version)


def test_reopen_puts_a_decided_item_back_and_forgets_the_dismissal(queue: ReviewQueue) -> None:
    item = queue.add_unmatched(_claim("Our new phone is the best phone ever made."), origin="feed")
    assert item is not None
    dismissed = queue.mark_not_checkworthy(item.id, expected_version=item.version, actor="ana")
    with pytest.raises(ConflictError, match="reopen it first"):
        queue.mark_not_checkworthy(item.id, expected_version=dismissed.version, actor="ana")
    reopened = queue.reopen(item.id, expected_version=dismissed.version, actor="ben")
    assert reopened.status == "open"
    # Once the item is decided otherwise, the wording seen again is a new item: the dismissal is gone.
    queue.create_debunk(
        item.id,
        Debunk(claim_reviewed="Phone ads claim to be the best phone.", label="other"),
        expected_version=reopened.version,
        actor="ben",
    )
    again = queue.add_unmatched(_claim("Our new phone is the best phone ever made."), origin="feed")
    assert again is not None and again.id != item.id and again.status == "open"


def test_reader_report_can_name_the_debunk_the_tool_got_wrong(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    item = queue.add_reader_report(
        "Vaccines make you magnetic.",
        comment="It showed the microchip debunk; that is a different claim",
        debunk_id=microchip.id,
    )
    assert item is not None
    assert [c.debunk.id for c in item.candidates] == [microchip.id]
    assert item.sightings[0].comment.startswith("It showed")
    with pytest.raises(InputError):
        queue.add_reader_report("   ")


def test_get_of_a_missing_item_is_not_found(queue: ReviewQueue) -> None:
    with pytest.raises(NotFoundError):
        queue.get(12345)


def test_dashboard_counts_flagged_and_confirmed_per_day_and_the_top_claims(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    for _ in range(3):
        [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    queue.add_unmatched(_claim("The moon landing was filmed in a studio in Nevada."), origin="feed")
    queue.confirm(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    board = queue.dashboard(days=7)
    assert len(board.days) == 7
    assert board.days[-1] - board.days[0] == timedelta(days=6)
    assert board.flagged[-1] == 4
    assert board.confirmed[-1] == 1
    assert board.top_claims[0].text == CLAIM_TEXT
    assert board.status_counts == {"open": 1, "confirmed": 1}


def test_rejection_check_answers_from_memory_and_rereads_after_its_max_age(
    queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    cached = queue.rejection_check(max_age_s=3600)
    fresh = queue.rejection_check(max_age_s=0)
    key = canonical_key(CLAIM_TEXT)
    assert not cached(key, microchip.id)  # type: ignore[arg-type]
    [item] = queue.flag_report(_report(CLAIM_TEXT, matches=(_suggest(microchip),)), origin="api")
    queue.reject(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    assert not cached(key, microchip.id)  # type: ignore[arg-type]
    assert fresh(key, microchip.id)  # type: ignore[arg-type]


def test_wordings_are_keyed_and_added_as_the_matcher_normalises_them(
    store: Store, queue: ReviewQueue, debunks: tuple[Debunk, Debunk]
) -> None:
    microchip, _ = debunks
    raw = f"BREAKING: {CLAIM_TEXT} Share if you agree!! https://t.co/abc"
    report = Report(
        document=Document(text=raw),
        claims=(
            ClaimVerdict(
                claim=Claim(text=raw, normalized=CLAIM_TEXT, start=0, end=len(raw), checkworthiness=0.8),
                status="needs_review",
                matches=(_suggest(microchip),),
            ),
        ),
    )
    [item] = queue.flag_report(report, origin="api")
    reported = queue.add_reader_report(f"{CLAIM_TEXT} Please forward to everyone you know")
    assert reported is not None and reported.id == item.id  # the reader's wording is the same claim
    assert item.claim_key == canonical_key(CLAIM_TEXT)
    queue.confirm(item.id, microchip.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    variants = store.get(microchip.id).variants  # type: ignore[arg-type]
    assert variants == (CLAIM_TEXT,)  # not the packaging it circulated in
