"""Alphabetic Index trails read as the Index reads them: "Colitis, amebic, acute" is the main
term Colitis narrowed by amebic, then acute, i.e. "acute amebic colitis"; "Fracture, femur,
neck" is a fracture of the femur, at its neck; "Diabetes, type 2, with, hyperglycemia" is type
2 diabetes with hyperglycemia. Search models and titles read the natural order better.
"""

from __future__ import annotations

import re

MAIN_WORDS = 3  # an Index main term is a word or a short phrase ("Attack, heart")
SUBTERM_WORDS = 5
# Subterms that connect what follows (Official Guidelines I.A.15: "with"; the Index's "due to",
# "in", "following" subterms).
_CONNECTOR = re.compile(
    r"^(?:with|without|due to|in|of|from|following|complicating|affecting|after|during|"
    r"associated with|by)\b",
    re.I,
)
# Modifiers that read before the main term: adjectives (by their endings), types and kinds.
_ADJECTIVE = re.compile(
    r"^(?:acute|chronic|primary|secondary|congenital|acquired|recurrent|mild|moderate|severe|"
    r"bilateral|left|right|open|closed|type \w+|stage \w+|\w+(?:ic|al|ous|ar|ary|ed|ive|oid|ile|"
    r"ial|ical|tic|less|ior)|malignant|persistent|intermittent|recurrent|pregnant)$",
    re.I,
)
_QUALIFIER = re.compile(
    r"(?:right|left|bilateral)(?: side| sided)?|(?:first|initial|subsequent|follow[- ]?up|"
    r"second|er|ed)(?: visit| encounter)?|sequela|",
    re.I,
)


def is_trail(text: str) -> bool:
    """Whether ``text`` is written as an Index trail: a short main term, then subterms (a side
    or the visit after a comma is a qualifier of a description, not a subterm)."""
    parts = [p.strip() for p in text.split(",") if not _QUALIFIER.fullmatch(p.strip())]
    if len(parts) < 2 or not all(parts):
        return False
    main = parts[0].split()
    return (
        len(main) <= MAIN_WORDS
        and not _CONNECTOR.search(parts[0])
        and " of " not in f" {parts[0].lower()} "
        and all(len(p.split()) <= SUBTERM_WORDS for p in parts[1:])
    )


def natural(text: str) -> str:
    """The trail in the order of a description (``text`` itself when it is no trail)."""
    if not is_trail(text):
        return text
    parts = [p.strip() for p in text.split(",")]
    main = parts[0]
    before: list[str] = []
    sites: list[str] = []
    tail: list[str] = []
    for part in parts[1:]:
        if not part:
            continue
        if tail or _CONNECTOR.search(part):
            tail.append(part)
        elif _ADJECTIVE.match(part):
            before.append(part)
        else:
            sites.append(part)
    words = [*reversed(before), main]
    if sites:
        words += ["of", " of ".join(reversed(sites))]
    words += tail
    return " ".join(" ".join(words).split())
