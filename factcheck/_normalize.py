"""The wording of a claim without the social-media packaging it circulates in: one normaliser for all.

Claims (`Claim.normalized`), the check-worthiness model (training and scoring) and the matcher's queries
all see text through `normalize_claim_text`, so a tweet and the same words in an article look alike to
every stage. `Claim.text` keeps the original. What is removed or rewritten, in order:

    packaging                         example                                   becomes
    URLs, pic.twitter.com links       "... https://t.co/x"                      removed
    tweet signature                   "... — Bio Div (@BioDiv) January 14, 2020" removed
    attribution tail                  "... via @WorldNewsDaily", "(h/t @ann)"   removed
    list bullets, emoji runs          "• ... 😱😱"                               removed
    calls to share                    "Share if you agree", "Please forward",   removed
                                      "Partagez un max", "Compártelo", "Bitte teilen"
    retweet / reply-chain handles     "RT @foo:", "@ann @bob Vaccines ..."      removed
    attention markers                 "BREAKING:", "#BREAKING", "JUST IN 🚨",   removed
                                      "URGENT :", "ÚLTIMA HORA:", "EILMELDUNG:"
    a handle used as a name           "@realDonaldTrump wins", "says @WHO"      "real Donald Trump wins", "says WHO"
    hashtags                          "#AustralianFires", "#masks"              "Australian Fires", "masks"
    shouting                          "THE CDC ADMITS VACCINES CAUSE AUTISM"    "THE CDC admits vaccines cause autism"
    repeated marks, dot and comma runs "!!!", "?!?!", "....", ",,"              "!", "?", "...", ","

Each pattern runs only when a cheap test says it can match: this runs on every sentence of every
document. The packaging words are those of English, French, Spanish and German posts, in one set of
patterns: none of the other languages' words is an English word, so English text is normalised as before.
"""

from __future__ import annotations

import html
import re

__all__ = ["normalize_claim_text"]

_EMOJI = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, symbols, flags' regional indicators, ...
    "\u2600-\u27bf"  # misc symbols and dingbats
    "\u2b00-\u2bff"  # arrows and stars used as emoji
    "\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u25aa-\u25fe\u2934\u2935\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d\u20e3"  # variation selectors, zero-width joiner, keycap
    "\U000e0020-\U000e007f"  # tag characters (subdivision flags)
)
_EMOJI_RUN = re.compile(f"[{_EMOJI}]+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|ly|co|io)/\S*",
    re.I,
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# "— Name (@handle) January 14, 2020": how an embedded tweet signs off (its author and date).
SIGNATURE = re.compile(
    rf"\s*[—–-]{{1,2}}\s*[^—–\n]{{0,80}}?\(@\w{{1,30}}\)\s*(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})?\s*$"
)
_ATTRIBUTION_TAIL = re.compile(
    r"[\s(\[]*\b(?:via|vía|h/t|ht|hat\s+tip|cc|source:?|fuente:?|quelle:?)\s*@\w+[)\].!]*\s*$", re.I
)
_RETWEET = re.compile(r"^\s*RT\s+@\w+\s*:?\s*", re.I)
# A leading run of handles is a reply chain ("@ann @bob Vaccines are safe") unless a lower-case word
# follows it: then the handle is the sentence's subject ("@realDonaldTrump wins Indiana").
_HANDLE_RUN_START = re.compile(r"^\s*(?:[.]?@\w+\b[,:]?\s*)+(?=[^\s\w]*[A-Z0-9\"'“‘#]|$)")
_HANDLE_RUN_END = re.compile(r"(?:\s+@\w+[.,]?){2,}\s*$")
_HANDLE = re.compile(r"(?<![\w@])@(\w+)")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MARKERS = (
    r"breaking(?:\s+news)?|just\s+in|urgent|alert|developing|update[d]?|news\s+flash|flash"
    r"|watch|must\s+read|read\s+this|important|attention|warning|fyi|psa|new"
    r"|alerte|derni[èe]re\s+(?:minute|heure)|à\s+lire|info\s+exclusive"  # fr
    r"|urgente|alerta|[úu]ltima\s+hora|atenci[óo]n|importante"  # es
    r"|eilmeldung|achtung|wichtig|dringend"  # de
)
_LEADING_MARKER = re.compile(rf"^\s*[\W_]*\b(?:{_MARKERS})\b\s*[!]*\s*[:\-–—|!]+\s*", re.I)
# "ALERT The virus ..." once the emoji after the marker are gone, or "#BREAKING Pope ...": a marker
# in capitals, or as a hashtag, before a capital.
_LEADING_CAPS_MARKER = re.compile(
    r"^(?:BREAKING(?: NEWS)?|JUST IN|URGENT|ALERT|DEVELOPING|UPDATE|NEWS FLASH|WARNING|ATTENTION|FYI|PSA"
    r"|ALERTE|DERNIÈRE MINUTE|URGENTE|ALERTA|ÚLTIMA HORA|ATENCIÓN|EILMELDUNG|ACHTUNG"
    r"|#(?i:breaking(?:news)?|justin|urgent|alert|developing|update|newsflash|warning|fyi|psa"
    r"|alerte|derniereminute|urgente|alerta|ultimahora|eilmeldung|achtung))"
    r"\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'“‘«#@¡¿])"
)
_LINE_BULLET = re.compile(r"(?m)^[ \t]*(?:[-*•·▪‣◦►▶✓✔➢–—]|\d{1,3}[.)])[ \t]+")
_CALL_TO_SHARE = re.compile(
    r"(?:"
    r"\b(?:please\s+|pls\s+|plz\s+)(?:share|forward|repost|retweet|rt|pass\s+(?:it|this)\s+on|spread\s+the\s+word"
    r"|copy\s+and\s+paste)\b[^.!?:\n]*"
    r"|\b(?:share|forward|retweet|repost|rt|like)\s+(?:this\s+|it\s+)?if\s+you\s+(?:agree|care|believe)[^.!?\n]*"
    r"|\b(?:share|forward|send|pass)\s+(?:this|it)\s+(?:on\s+|along\s+)?(?:to|with)\s+(?:everyone|all|every"
    r"|your\s+(?:friends|family|contacts))[^.!?\n]*"
    r"|\bpass\s+(?:it|this)\s+on\b"
    r"|\bcopy\s+and\s+paste\b[^.!?\n]*"
    r"|\bspread\s+the\s+word\b"
    r"|\b(?:partagez|diffusez|faites\s+(?:tourner|passer)|fais\s+(?:tourner|passer)|à\s+partager"
    r"|merci\s+de\s+(?:partager|diffuser|faire\s+tourner))\b[^.!?\n]*"  # fr
    r"|\b(?:compartan|compártelo|compartelo|comp[áa]rtanlo|difundan|dif[úu]ndelo|p[áa]salo"
    r"|comparte\s+(?:esto|si))\b[^.!?\n]*"  # es
    r"|\b(?:bitte\s+(?:teilen|weiterleiten|verbreiten)|unbedingt\s+teilen|teilt\s+(?:das|es|dies)"
    r"|leitet\s+(?:das|es)\s+weiter)\b[^.!?\n]*"  # de
    r")[.!?]*",
    re.I,
)
# Every alternative of _CALL_TO_SHARE contains one of these (or the word "rt").
_CALL_TO_SHARE_HINTS = (
    *("share", "forward", "repost", "retweet", "pass ", "copy", "spread", "send", "if you"),
    *("partag", "diffus", "tourner", "passer"),  # fr
    *("compart", "difund", "pásalo", "pasalo"),  # es
    *("teilen", "teilt", "weiter", "verbreit"),  # de
)
_RT_WORD = re.compile(r"\brt\b", re.I)
_CAPS_WORD = re.compile(r"\b[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’]*[A-ZÀ-ÖØ-Þ]\b")
# Shouted words this short may be acronyms (CDC, WHO, NASA) and stay as they are.
MAX_ACRONYM_CHARS = 4
_REPEATED_MARKS = re.compile(r"[!?]{2,}")
_DOT_RUN = re.compile(r"\.{4,}|…{2,}")
_COMMA_RUN = re.compile(r",{2,}")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.!?;:])(?=\s|$)")
_EDGE_CHARS = " \t\r\n\f\v\u00a0\u2028\u2029-–—|:;,~*>"


def _words_of_tag(match: re.Match[str]) -> str:
    return _CAMEL.sub(" ", match.group(1))


def _unshout(text: str) -> str:
    """Lower-case the long words of a text written mostly in capitals; short ones may be acronyms."""
    shouted = _CAPS_WORD.findall(text)
    if len(shouted) < 3 or len(shouted) < 0.6 * len(text.split()):
        return text
    return _CAPS_WORD.sub(
        lambda match: match.group(0) if len(match.group(0)) <= MAX_ACRONYM_CHARS else match.group(0).lower(),
        text,
    )


def normalize_claim_text(text: str) -> str:
    """The wording of a claim without the packaging it circulates in (see the module docstring).

    >>> normalize_claim_text("BREAKING: 5G towers spread the virus!!! https://t.co/x Share if you agree")
    '5G towers spread the virus!'
    """
    if "&" in text:
        text = html.unescape(text)
    lowered = text.lower()
    if "/" in text or "www." in lowered:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = SIGNATURE.sub("", text)
        text = _ATTRIBUTION_TAIL.sub("", text)
    text = _LINE_BULLET.sub(" ", text)
    if not text.isascii():
        text = _EMOJI_RUN.sub(" ", text)
    if any(hint in lowered for hint in _CALL_TO_SHARE_HINTS) or _RT_WORD.search(text):
        text = _CALL_TO_SHARE.sub(" ", text)
    previous = None
    while previous != text:
        previous = text
        if "@" in text:
            text = _RETWEET.sub("", text)
            text = _HANDLE_RUN_START.sub("", text)
        text = _LEADING_MARKER.sub("", text)
        text = _LEADING_CAPS_MARKER.sub("", text)
        text = text.strip(_EDGE_CHARS)
    if "@" in text:
        text = _HANDLE_RUN_END.sub("", text)
        text = _HANDLE.sub(_words_of_tag, text)
    if "#" in text:
        text = _HASHTAG.sub(_words_of_tag, text)
    text = _unshout(text)
    text = _REPEATED_MARKS.sub(lambda match: "?" if "?" in match.group(0) else "!", text)
    if ".." in text or "……" in text:
        text = _DOT_RUN.sub("...", text)
    if ",," in text:
        text = _COMMA_RUN.sub(",", text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    return text.strip(_EDGE_CHARS)
