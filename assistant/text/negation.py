"""What a text says is absent ("without bleeding") or present ("with coma", "due to ...")."""

from __future__ import annotations

import re

from assistant.text.stems import terms

# "without (mention of) X", "not (specified as) X", "no X": the words after are negated.
_NEGATION = re.compile(
    r"\b(?:without(?: mention of)?|not(?: specified as| stated as| having(?: achieved)?)?|"
    r"no|absence of|except)\s+((?:[a-z0-9]+ *){1,3})"
)
# "without A, B, C, and D" to the end of a title negates the whole list (F03.C0 "... without
# behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety").
_NEGATED_LIST = re.compile(
    r"\bwithout\s+([a-z0-9 -]+(?:,\s*[a-z0-9 -]+)+,?\s+(?:and|or)\s+[a-z0-9 -]+)$"
)
# "non-X" ("non-dialysis", "non-Hodgkin", "non-ESRD use"): the one word after is negated.
_NON = re.compile(r"\bnon[\s-]+([a-z0-9]+)")
_POSITIVE = re.compile(r"\b(?:with|in|due to|having achieved)\s+((?:[a-z0-9]+[ ,]*){1,3})")


def strip_negated(text: str) -> str:
    """``text`` with every negated phrase blanked out (lower-cased)."""
    return _NON.sub(" ", _NEGATION.sub(" ", _NEGATED_LIST.sub(" ", text.lower().strip())))


def negated(text: str) -> set[str]:
    """Roots that the text says are absent ("without bleeding" -> {"bleed"})."""
    out: set[str] = set()
    lowered = text.lower().strip()
    for phrase in _NEGATED_LIST.findall(lowered):
        out |= terms(phrase)
    for phrase in _NEGATION.findall(lowered):
        out |= terms(phrase)
    for word in _NON.findall(lowered):
        out |= terms(word)
    return out


def asserted(text: str) -> set[str]:
    """Roots the text says are present after "with", "in" or "due to"."""
    out: set[str] = set()
    for phrase in _POSITIVE.findall(strip_negated(text)):
        out |= terms(phrase)
    return out
