"""The one input gate every interface passes text through before it reaches the answers.

Pure functions, no I/O: Unicode made safe to tokenize and to show (invalid UTF-8 and lone
surrogates replaced, control characters made spaces, invisible ones dropped, NFC), empty and
over-long questions rejected with one line, ``k`` checked, histories bounded, over-long
code-like tokens named, and text that cannot be a question about codes recognised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# Settings.top_k's own bound: more results than this are never shown by any interface.
MIN_K, MAX_K = 1, 50
# Messages of a history kept (the newest): follow-ups are read against the last few user
# turns, and a 1,000-turn history must cost no more than a 20-turn one.
HISTORY_MESSAGES = 40
# A history message longer than this is cut: an earlier question longer than the question
# limit never reached the answers, and an answer's text is not read again.
HISTORY_CHARS = 4000
# ICD-10-CM and ICD-10-PCS codes have 7 characters (plus a dot in ICD-10-CM), the longest of
# any code set medcode reads (HCPCS Level II and CPT codes have 5).
LONGEST_CODE = 7

UNREADABLE = (
    'I could not read that as a coding question. Type a description ("broken nose, first '
    'visit"), a code ("E11.65") or a question ("when is sepsis sequenced first?").'
)

_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidirectional overrides and isolates (they reorder what is shown, "Trojan source"), zero-width
# characters (they split a code in two invisibly) and the byte-order mark.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060")
_INVISIBLE |= frozenset("\u2066\u2067\u2068\u2069\ufeff")
# A token written like a code: a letter then a digit (ICD-10-CM, HCPCS: "E11.65", "J0696"), or
# capitals and digits starting with a digit (ICD-10-PCS: "0DTJ4ZZ"; PCS uses no I or O).
_CODE_LIKE = re.compile(
    r"(?<![\w.])(?:[A-Za-z]\d[A-Za-z0-9]*(?:\.[A-Za-z0-9]*)?"
    r"|\d[0-9A-HJ-NP-Z]*[A-HJ-NP-Z][0-9A-HJ-NP-Z]*)(?![\w])"
)
# Digits alone that are a code of some set: CPT (5 characters) and ICD-10-PCS (7).
_CODE_NUMBER = re.compile(r"(?<![\w.])(?:\d{4}[0-9FTU]|\d{7})(?![\w.])")
_LETTERS = re.compile(r"[^\W\d_]+")
# Below this share of letters among the visible characters, text is punctuation soup.
MIN_LETTER_SHARE = 1 / 3


class BadInput(ValueError):
    """Input no answer can be given for; the message is one line for the user.

    ``kind``: "empty", "too_long", "k", "history" or "code", so an interface can word it.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def clean(text: str | bytes | None) -> str:
    """Text safe to tokenize and to show: invalid UTF-8 and lone surrogates (how Python holds
    undecodable bytes of ``argv``) become U+FFFD, invisible characters go, control characters,
    tabs and line breaks become spaces (a NUL between two words must not join them), runs of
    spaces one, and the result is NFC."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = _SURROGATE.sub("\ufffd", str(text))
    kept = []
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            kept.append(" ")
        elif ch in _INVISIBLE:
            continue
        else:
            kept.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def question(text: str | bytes | None, limit: int) -> str:
    """The cleaned question, or ``BadInput`` when it is empty or longer than ``limit``."""
    cleaned = clean(text)
    if not cleaned:
        raise BadInput("empty", "empty question: type a description, a code or a question")
    if len(cleaned) > limit:
        raise BadInput(
            "too_long",
            f"question too long: {len(cleaned)} characters (limit {limit}); "
            "shorten it to the part you need coded",
        )
    return cleaned


def k(value: Any) -> int:
    """A result count from ``MIN_K`` to ``MAX_K`` (an int, or digits as typed), or ``BadInput``."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,6}\s*", value):
        number = int(value)
    if number is None:
        raise BadInput("k", f"k must be a whole number from {MIN_K} to {MAX_K}, not {value!r}")
    if not MIN_K <= number <= MAX_K:
        raise BadInput("k", f"k must be from {MIN_K} to {MAX_K}, not {number}")
    return number


def history(items: Iterable[Any] | None) -> list[dict[str, Any]]:
    """The last ``HISTORY_MESSAGES`` chat messages as ``{"role", "content"}`` with clean text.

    Gradio's typed parts (``[{"type": "text", "text": ...}]``) are flattened; messages that are
    not from the user or the assistant, or hold no text, are left out.
    """
    out: list[dict[str, Any]] = []
    for item in list(items or [])[-HISTORY_MESSAGES:]:
        if not isinstance(item, dict) or item.get("role") not in {"user", "assistant"}:
            continue
        content = clean(_text(item.get("content")))[:HISTORY_CHARS]
        if content:
            out.append({"role": item["role"], "content": content})
    return out


def _text(content: Any, depth: int = 0) -> str:
    if isinstance(content, str):
        return content
    if depth > 3:  # typed parts are one or two levels deep; deeper is not a message
        return ""
    if isinstance(content, list):
        return " ".join(_text(part, depth + 1) for part in content)
    if isinstance(content, dict):
        return _text(content.get("text") or content.get("content") or "", depth + 1)
    return ""


def overlong_codes(text: str) -> list[str]:
    """Tokens written like a code but longer than any code ("E11.999999999999"), in order."""
    found = []
    for match in _CODE_LIKE.finditer(text):
        token = match.group(0).rstrip(".")
        if sum(ch.isalnum() for ch in token) > LONGEST_CODE:
            found.append(token)
    return list(dict.fromkeys(found))


def overlong_message(token: str) -> str:
    """The one line that says why an over-long token is no code."""
    return (
        f"{token} is not a valid code: no code set has codes longer than {LONGEST_CODE} "
        "characters (ICD-10-CM: a letter, 2 digits, a dot and up to 4 more)"
    )


def readable(text: str) -> bool:
    """Whether cleaned text can be a question about codes.

    Not: no letters and no code ("!!!", "42", emoji only), no word of two different letters
    ("aaaa", "a a a", "[a-"), or fewer letters than a third of what is typed ("#$%^&*(a)").
    A code-like token makes any text readable: the code answers say what they know of it.
    """
    if _CODE_LIKE.search(text) or _CODE_NUMBER.search(text):
        return True
    words = _LETTERS.findall(text)
    if not any(len(set(word.casefold())) >= 2 for word in words):
        return False
    visible = sum(not ch.isspace() for ch in text)
    return sum(len(word) for word in words) >= MIN_LETTER_SHARE * visible
