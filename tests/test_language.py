"""Language detection (factcheck.language) and the languages a document and its claims carry."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.claims import candidate_spans, extract_claims, sentence_pipeline, sentence_spans
from factcheck.language import LanguageDetector, default_detector, language_code, parse_languages
from factcheck.pipeline import Checker
from factcheck.settings import PROJECT_ROOT, Settings
from factcheck.types import Document
from tests.conftest import FIXTURES

POSTS = {
    "en": "My aunt says drinking hot water every fifteen minutes kills the coronavirus",
    "fr": "Ma tante dit que boire de l'eau chaude toutes les quinze minutes tue le coronavirus",
    "es": "Mi tía dice que tomar agua caliente cada quince minutos mata el coronavirus",
    "de": "Meine Tante sagt, alle fünfzehn Minuten heißes Wasser trinken tötet das Coronavirus",
}


@pytest.fixture(scope="module")
def scorer() -> CheckworthinessModel:
    return CheckworthinessModel.load(PROJECT_ROOT / "models" / "checkworthiness")


@pytest.mark.parametrize("language", sorted(POSTS))
def test_detect_finds_the_language_of_a_social_media_post(language: str) -> None:
    assert default_detector().detect(POSTS[language]) == language


@pytest.mark.parametrize("text", ["Vaccins : non", "5G 5G 5G !!!", "", "@ann @bob #covid"])
def test_detect_falls_back_when_the_text_says_too_little(text: str) -> None:
    assert default_detector().detect(text, fallback="de") == "de"
    assert default_detector().detected(text) is None


def test_the_declared_language_wins_over_the_text() -> None:
    assert default_detector().detect(POSTS["fr"], declared="es-MX") == "es"


def test_detection_answers_only_supported_languages() -> None:
    detector = LanguageDetector(languages=("en", "de"))
    assert detector.detect(POSTS["fr"], fallback="en") in {"en", "de"}
    assert detector.detected("Ceci est une phrase en français, bien évidemment, sans aucun doute.") != "fr"


@pytest.mark.parametrize(
    ("tag", "code"),
    [("fr-FR", "fr"), ("en_GB", "en"), ("DE", "de"), ("de, en", "de"), ("", ""), ("12", ""), ("<x>", "")],
)
def test_language_code_keeps_the_primary_subtag(tag: str, code: str) -> None:
    assert language_code(tag) == code


def test_parse_languages_reads_the_setting_and_names_a_bad_entry() -> None:
    assert parse_languages(" en, fr ,es,fr") == ("en", "fr", "es")
    with pytest.raises(ValueError, match="'french'"):
        parse_languages("en,french")
    with pytest.raises(ValidationError):
        Settings(languages="en,,x1")


def test_blank_pipelines_keep_each_languages_abbreviations_inside_the_sentence() -> None:
    french = "M. Dupont n'est pas d'accord avec l'OMS. Il a tort !"
    spans = sentence_spans(french, language="fr")
    assert [french[s.start : s.end] for s in spans] == [
        "M. Dupont n'est pas d'accord avec l'OMS.",
        "Il a tort !",
    ]


def test_a_spanish_sentence_starts_at_its_opening_mark() -> None:
    text = "¿Sabías que el Sr. García dijo eso? ¡Es totalmente falso! Las vacunas son seguras."
    spans = sentence_spans(text, language="es")
    assert [text[s.start : s.end] for s in spans] == [
        "¿Sabías que el Sr. García dijo eso?",
        "¡Es totalmente falso!",
        "Las vacunas son seguras.",
    ]


def test_an_unknown_language_code_gets_the_multilingual_tokenizer() -> None:
    assert len(sentence_spans("Uma frase aqui. Outra frase ali.", language="zz")) == 2


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Macron a démissionné ce soir"),
        ("es", "Macron ha dimitido esta noche"),
        ("de", "Merkel ist zurückgetreten heute"),
    ],
)
def test_a_short_claim_without_a_full_stop_is_kept_by_its_languages_verbs(language: str, text: str) -> None:
    assert [c.normalized for c in candidate_spans(text, language=language)] == [text]


def test_a_verbless_heading_is_still_dropped_in_french() -> None:
    assert candidate_spans("Santé et société en France", language="fr") == []


def test_claims_take_their_own_language_when_it_is_clear_else_the_documents(
    scorer: CheckworthinessModel,
) -> None:
    text = (
        "Incroyable, ma tante a reçu ce message ce matin sur WhatsApp.\n\n"
        f"{POSTS['en']}.\n\n"
        "Le CDC ment !\n\n"
        f"{POSTS['fr']}."
    )
    claims = extract_claims(Document(text=text), scorer=scorer)
    assert [(claim.text[:12], claim.language) for claim in claims] == [
        ("Incroyable, ", "fr"),
        ("My aunt says", "en"),
        ("Le CDC ment ", "fr"),  # three words: too few to detect, so the document's
        ("Ma tante dit", "fr"),
    ]


def test_the_checker_detects_a_documents_language_unless_it_is_declared(checker: Checker) -> None:
    report = checker.check(POSTS["de"] + ". " + POSTS["de"], kind="text", include_all=True)
    assert report.document.language == "de"
    assert {verdict.claim.language for verdict in report.claims} == {"de"}
    declared = checker.check("<html lang='fr-CA'><body><p>Short one.</p></body></html>", include_all=True)
    assert declared.document.language == "fr"
    hinted = checker.check(POSTS["es"], kind="text", language="es-ES", include_all=True)
    assert hinted.document.language == "es"
    short = checker.check("Vaccines: no.", kind="text", include_all=True)
    assert short.document.language == "en"


@pytest.mark.parametrize(
    "text",
    [
        "As vacinas contêm microchips para rastrear as pessoas, dizem os médicos",
        "Путин заявил, что вакцины содержат микрочипы для слежки за людьми",
    ],
)
def test_text_in_an_unsupported_language_is_not_taken_for_a_supported_one(text: str) -> None:
    assert default_detector().detected(text) is None
    assert default_detector().for_claim(text, document_language="pt") == "pt"


def test_an_english_sentence_quoted_on_a_page_in_an_unsupported_language_is_english() -> None:
    quoted = "Bill Gates will pay you 245 dollars for every person you forward this message to."
    assert default_detector().for_claim(quoted, document_language="ru") == "en"
    assert (
        default_detector().for_claim("Путин заявил, что вакцины опасны для людей", document_language="ru")
        == "ru"
    )


def test_a_claim_of_its_documents_function_words_keeps_the_documents_language_without_the_model() -> None:
    detector = LanguageDetector()
    detector._detector = None  # type: ignore[assignment]  # the model must not be asked
    assert (
        detector.for_claim("The mayor said that the bridge was closed for good", document_language="en")
        == "en"
    )


def test_every_post_of_the_comparison_set_is_detected_right_or_left_to_the_fallback() -> None:
    posts = json.loads((FIXTURES / "language" / "posts.json").read_text(encoding="utf-8"))
    answers = [
        (language, default_detector().detected(text)) for language, texts in posts.items() for text in texts
    ]
    assert [pair for pair in answers if pair[1] not in (pair[0], None)] == []
    assert sum(found == language for language, found in answers) >= 75


def test_factcheck_claims_prints_each_claims_language() -> None:
    from typer.testing import CliRunner

    from factcheck.cli import app

    text = f"{POSTS['fr']}.\n\n{POSTS['en']}.\n"
    result = CliRunner().invoke(app, ["claims", "-", "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert [claim["language"] for claim in json.loads(result.output)["claims"]] == ["fr", "en"]


@pytest.mark.parametrize("tag", ["en-US", "EN", "en_GB"])
def test_a_language_tag_picks_its_languages_pipeline(tag: str) -> None:
    assert sentence_pipeline(tag) is sentence_pipeline("en")


def test_a_claim_in_a_language_outside_the_configured_ones_is_not_matched(checker: Checker) -> None:
    # Before: this Russian sentence met "Michelle Obama ran up a $400 bill ..." cross-lingually.
    page = "<html lang='ru'><body><p>В столовке обед обошелся мне в 400 рублей, а Мишель Обама заказала омаров.</p></body></html>"
    [verdict] = checker.check(page, include_all=True).claims
    assert (verdict.claim.language, verdict.matches) == ("ru", ())
    assert verdict.status in ("no_match", "not_checkworthy")
    assert checker.detector.supports("fr-FR") and not checker.detector.supports("ru")
