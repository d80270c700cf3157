"""Numbers in a question and the ranges code titles give them: "BMI 42" falls in a title's
"40.0-44.9", "blood alcohol 95 mg" in "80-99 mg/100 ml", "10 days old" in "8 to 28 days old"."""

from __future__ import annotations

import math
import re
from functools import lru_cache

_NUMBER = r"(\d+(?:\.\d+)?)"
_RANGES = (
    (re.compile(rf"{_NUMBER}\s*(?:-|–|to)\s*{_NUMBER}"), lambda a, b: (a, b)),
    (
        re.compile(rf"{_NUMBER}\s*(?:or|and)\s+(?:less|fewer|under|below|lower|younger)\b"),
        lambda a, _b: (-math.inf, a),
    ),
    (re.compile(rf"\b(?:less|fewer) than\s+{_NUMBER}"), lambda a, _b: (-math.inf, a - 1e-9)),
    (
        re.compile(rf"{_NUMBER}\s*(?:or|and)\s+(?:more|greater|over|above|older|higher)\b"),
        lambda a, _b: (a, math.inf),
    ),
    (re.compile(rf"\b(?:greater|more|over) than\s+{_NUMBER}"), lambda a, _b: (a + 1e-9, math.inf)),
)
# A number that is part of a name, not a measurement: "type 2", "COVID-19", codes, ordinals.
_NOT_A_MEASURE = re.compile(
    r"\btype\s+\d|\b[a-z]\d[\w.]*|\d+(?:st|nd|rd|th)\b|\bcovid-?19\b|\bhiv-?\d|\bpart\s+\d", re.I
)
_ANY = re.compile(_NUMBER)


@lru_cache(maxsize=65536)
def ranges(title: str) -> tuple[tuple[float, float], ...]:
    """The numeric ranges a title gives ("40.0-44.9" -> (40.0, 44.9); "70 or greater")."""
    out: list[tuple[float, float]] = []
    taken: list[tuple[int, int]] = []
    for pattern, make in _RANGES:
        for m in pattern.finditer(title):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            values = [float(g) for g in m.groups() if g is not None]
            out.append(make(values[0], values[-1]))
            taken.append(m.span())
    return tuple(out)


@lru_cache(maxsize=4096)
def measures(text: str) -> tuple[float, ...]:
    """Numbers a question states as measurements (not "type 2", not a code)."""
    blanked = _NOT_A_MEASURE.sub(" ", text)
    return tuple(float(m.group(1)) for m in _ANY.finditer(blanked))


def number_fit(query: str, title: str) -> int:
    """+1 when a number of the query lies in a range of the title, -1 when the title gives
    ranges and none holds a number the query states, 0 when either says no numbers."""
    spans = ranges(title)
    numbers = measures(query)
    if not spans or not numbers:
        return 0
    return 1 if any(low <= n <= high for n in numbers for low, high in spans) else -1
