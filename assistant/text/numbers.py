"""Numbers in a question and the ranges code titles give them: "BMI 42" falls in a title's
"40.0-44.9", "blood alcohol 95 mg" in "80-99 mg/100 ml", "10 days old" in "8 to 28 days old",
"a 4 lead unit" in "four or more leads", and a question's own range ("under 22 inches wide")
in the title whose range holds all of it ("width less than 22 inches")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

Span = tuple[float, float]

# Titles write small counts in words ("four or more leads", "less than five inches").
_WORDS = {
    w: float(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_N = r"(\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")\b"
# Up to two unit words between a number and its "or more" ("22 inches or greater",
# "16 sq. in. or less"), never the "or"/"and" itself.
_U = r"(?:\s*(?!(?:or|and|but|to)\b)[a-z][a-z./]*){0,2}\s*"
_EPS = 1e-9
_INF = math.inf
# A rule's pattern and the span it reads from the numbers it captured, in order.
_Make = Callable[[list[float]], Span]


def _rules(*pairs: tuple[str, _Make]) -> tuple[tuple[re.Pattern[str], _Make], ...]:
    return tuple((re.compile(p, re.I), make) for p, make in pairs)


# In titles and questions alike, most specific first: a span one rule takes is not read again.
_BOTH = _rules(
    (  # "more than 16 sq. in. but less than or equal to 48 sq. in."
        rf"\b(?:more|greater) than {_N}{_U}but (?:less|fewer) than or equal to {_N}",
        lambda v: (v[0] + _EPS, v[1]),
    ),
    (
        rf"\b(?:more|greater) than {_N}{_U}but (?:less|fewer) than {_N}",
        lambda v: (v[0] + _EPS, v[1] - _EPS),
    ),
    (rf"\b(?:no|not) more than {_N}|\bnot (?:to )?exceed(?:ing)? {_N}", lambda v: (-_INF, v[0])),
    (rf"\bup to and including {_N}", lambda v: (-_INF, v[0])),
    (rf"{_N}\s*(?:-|–|to)\s*{_N}", lambda v: (v[0], v[-1])),
    (rf"{_N}{_U}(?:or|and) (?:less|fewer|under|below|lower|younger)\b", lambda v: (-_INF, v[0])),
    (
        rf"\b(?:less|fewer) than or equal to {_N}|\bequal to or less than {_N}",
        lambda v: (-_INF, v[0]),
    ),
    (rf"\b(?:less|fewer) than {_N}", lambda v: (-_INF, v[0] - _EPS)),
    (rf"{_N}{_U}(?:or|and) (?:more|greater|over|above|older|higher)\b", lambda v: (v[0], _INF)),
    (
        rf"\b(?:greater|more) than or equal to {_N}|\bequal to or greater than {_N}"
        rf"|\bat least {_N}",
        lambda v: (v[0], _INF),
    ),
    (rf"\b(?:greater|more) than {_N}", lambda v: (v[0] + _EPS, _INF)),
)
# Only in questions: titles use these words for other things ("under direct supervision", a
# drug billed "up to 50 mg" per unit, "over 6.00d" lens powers).
_ASKED = _rules(
    (rf"\b(?:under|below) {_N}", lambda v: (-_INF, v[0] - _EPS)),
    (rf"\b(?:up to|at most) {_N}", lambda v: (-_INF, v[0])),
    (rf"\b(?:over|above|exceeding) {_N}", lambda v: (v[0] + _EPS, _INF)),
)
# A number that is part of a name, not a measurement: "type 2", "COVID-19", codes, ordinals.
_NOT_A_MEASURE = re.compile(
    r"\btype\s+\d|\b[a-z]\d[\w.]*|\d+(?:st|nd|rd|th)\b|\bcovid-?19\b|\bhiv-?\d|\bpart\s+\d", re.I
)
_DIGITS = re.compile(r"(\d+(?:\.\d+)?)")


def _value(token: str) -> float:
    word = _WORDS.get(token.lower())
    return float(token) if word is None else word


def _spans(
    text: str, rules: tuple[tuple[re.Pattern[str], _Make], ...]
) -> list[tuple[int, int, Span]]:
    """(start, end, span) of each range the rules read in ``text``."""
    found: list[tuple[int, int, Span]] = []
    for pattern, make in rules:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b, _ in found):
                continue
            found.append((m.start(), m.end(), make([_value(g) for g in m.groups() if g])))
    return found


@lru_cache(maxsize=65536)
def ranges(title: str) -> tuple[Span, ...]:
    """The numeric ranges a title gives ("40.0-44.9" -> (40.0, 44.9); "70 or greater")."""
    return tuple(span for _, _, span in _spans(title, _BOTH))


@lru_cache(maxsize=4096)
def asked(text: str) -> tuple[Span, ...]:
    """What a question states as measurements, each as the span it allows: a number is a
    point ("BMI 42" -> (42, 42)), a stated range is itself ("under 22 inches")."""
    blanked = _NOT_A_MEASURE.sub(" ", text)
    found = _spans(blanked, _ASKED + _BOTH)
    out = [span for _, _, span in sorted(found)]
    for m in _DIGITS.finditer(blanked):
        if not any(a <= m.start() < b for a, b, _ in found):
            out.append((float(m.group(1)), float(m.group(1))))
    return tuple(out)


def measures(text: str) -> tuple[float, ...]:
    """Numbers a question states as measurements (not "type 2", not a code)."""
    blanked = _NOT_A_MEASURE.sub(" ", text)
    return tuple(float(m.group(1)) for m in _DIGITS.finditer(blanked))


def number_fit(query: str, title: str) -> int:
    """+1 when all of some span the query states lies in a range of the title, -1 when the
    title gives ranges and every stated span lies outside all of them, 0 otherwise (either
    states no numbers, or a span only overlaps)."""
    spans = ranges(title)
    stated = asked(query)
    if not spans or not stated:
        return 0
    if any(lo <= a and b <= hi for a, b in stated for lo, hi in spans):
        return 1
    if all(b < lo or a > hi for a, b in stated for lo, hi in spans):
        return -1
    return 0
