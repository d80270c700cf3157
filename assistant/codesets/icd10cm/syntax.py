"""ICD-10-CM code syntax: normalising what users type and finding code-like tokens in text."""

from __future__ import annotations

import re

# A category is a letter and two characters, one a digit (E11, QA0); up to four more follow the dot.
_RAW = re.compile(r"^([A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9]))\.?([0-9A-Z]{0,4})$")

# Code-like tokens inside prose: "E11.65", "S02.2XXA", "e1165", "E11.-". Word-bounded so that
# ordinary words and section ids ("I.C.1.d") are not taken for codes.
CODE_TOKEN = re.compile(
    r"(?<![\w.])([A-Za-z](?:[0-9][0-9A-Za-z]|[A-Za-z][0-9])(?:\.[0-9A-Za-z-]{1,4}|[0-9A-Za-z]{1,4})?)(?![\w])"
)


def normalize_code(text: str) -> str | None:
    """Return the dotted upper-case form of a code (``e1165`` -> ``E11.65``), or None."""
    raw = text.strip().upper().replace(" ", "")
    match = _RAW.match(raw)
    if not match:
        return None
    head, tail = match.groups()
    return f"{head}.{tail}" if tail else head


def compact(code: str) -> str:
    """Code without the dot, as used for prefix matching (``E11.65`` -> ``E1165``)."""
    return code.replace(".", "")
