"""7th characters chosen by meaning, and completing header codes to billable ones.

7th characters are chosen by meaning, never from a table of codes: a question is read into a
``Meaning`` (initial/subsequent/sequela, open/closed, healing, fetus) and so is each
``sevenChrDef`` text of the code in hand, and the value whose meaning fits is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from assistant.codesets.icd10cm.notes import resolve, seventh_of
from assistant.codesets.icd10cm.tabular import Tabular


@dataclass(frozen=True)
class Meaning:
    """What a 7th character says about an encounter, read from a question or a definition."""

    stage: str | None = None  # initial | subsequent | sequela
    fracture: str | None = None  # open | closed
    gustilo: str | None = None  # "I or II" | "IIIA, IIIB, or IIIC"
    healing: str | None = None  # routine | delayed | nonunion | malunion
    fetus: str | None = None  # "0" (single or unspecified), "1".."5", "9" (other fetus)

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


_SEQUELA = re.compile(r"\bsequela|\blate[- ]effects?\b")
_SUBSEQUENT = re.compile(
    r"\bsubsequent\b|\bfollow[- ]?ups?\b|\brecheck\b|\broutine healing\b"
    r"|\bdelayed (?:healing|union)|\bnon-?union\b|\bmal-?union\b|\bcast (?:change|removal)\b"
)
_INITIAL = re.compile(
    r"\binitial\b|\bfirst (?:visit|encounter)\b|\bnew injury\b|\bactive treatment\b"
    r"|\b(?:er|ed)\s+visit\b|\bemergency (?:room|department)\b"
)
_HEALING = (
    ("nonunion", re.compile(r"\bnon-?union\b")),
    ("malunion", re.compile(r"\bmal-?union\b")),
    ("delayed", re.compile(r"\bdelayed (?:healing|union)\b")),
    ("routine", re.compile(r"\broutine healing\b|\bhealing (?:normally|as expected)\b")),
)
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5"}


def read_meaning(text: str) -> Meaning:
    """Read the encounter meaning from a question or from a ``sevenChrDef`` text."""
    t = " ".join(text.lower().split())
    stage = None
    if _SEQUELA.search(t):
        stage = "sequela"
    elif _SUBSEQUENT.search(t):
        stage = "subsequent"
    elif _INITIAL.search(t):
        stage = "initial"
    fracture = gustilo = None
    if "fracture" in t or "compound" in t:
        if re.search(r"\bclosed\b", t):
            fracture = "closed"
        elif re.search(r"\bopen\b(?! reduction)|\bcompound\b", t):
            fracture = "open"
    if fracture == "open":
        if re.search(r"\biii[abc]?\b|\btype 3\b", t):
            gustilo = "IIIA, IIIB, or IIIC"
        elif re.search(r"\btype (?:i|ii|1|2)\b|\bi or ii\b", t):
            gustilo = "I or II"
    healing = next((name for name, rx in _HEALING if rx.search(t)), None)
    return Meaning(stage, fracture, gustilo, healing, _read_fetus(t))


def _read_fetus(t: str) -> str | None:
    if "not applicable or unspecified" in t or re.search(
        r"\bsingle(?:ton)? (?:gestation|pregnancy)", t
    ):
        return "0"
    if "other fetus" in t:
        return "9"
    match = re.search(
        r"\bfetus (?:#|no\.? ?)?(\d)\b|\b(first|second|third|fourth|fifth) fetus\b", t
    )
    if match:
        return match.group(1) or _ORDINAL[match.group(2)]
    match = re.search(r"\btwin ([ab])\b", t)
    return {"a": "1", "b": "2"}[match.group(1)] if match else None


def describe_meaning(meaning: Meaning) -> str:
    """A meaning in the wording of the ``sevenChrDef`` texts ("initial encounter for closed
    fracture"); ``read_meaning`` reads it back to the same ``Meaning``."""
    parts: list[str] = []
    if meaning.stage == "sequela":
        parts.append("sequela")
    elif meaning.stage or meaning.fracture or meaning.healing:
        head = f"{meaning.stage} encounter" if meaning.stage else "encounter"
        if meaning.fracture:
            head += f" for {meaning.fracture} fracture"
            if meaning.gustilo:
                head += f" type {meaning.gustilo}"
        elif meaning.healing:
            head += " for fracture"
        if meaning.healing in {"routine", "delayed"}:
            head += f" with {meaning.healing} healing"
        elif meaning.healing:
            head += f" with {meaning.healing}"
        parts.append(head)
    if meaning.fetus == "0":
        parts.append("not applicable or unspecified")
    elif meaning.fetus == "9":
        parts.append("other fetus")
    elif meaning.fetus:
        parts.append(f"fetus {meaning.fetus}")
    return "; ".join(parts)


# The words that say which visit this is; they choose the 7th character, never the condition.
_VISIT = re.compile(
    r"\b(?:initial|subsequent) encounter\b|\bfirst (?:visit|encounter)\b|"
    r"\bfollow[- ]?up(?: visit)?\b|\brecheck\b|\bnew injury\b|\b(?:er|ed) visit\b|"
    r"\bemergency (?:room|department)(?: visit)?\b",
    re.I,
)


def without_visit(text: str) -> str:
    """``text`` without the words naming the kind of visit ("broken nose, first visit" ->
    "broken nose,"): they must not match titles ("first degree") while searching."""
    return " ".join(_VISIT.sub(" ", text).split())


def encounter_from_text(text: str) -> str | None:
    """The 7th-character meaning a question asks for ("follow-up visit" -> "subsequent
    encounter"), worded like the ``sevenChrDef`` texts, or None if it names none."""
    meaning = read_meaning(text)
    return describe_meaning(meaning) if meaning else None


# When a question leaves an axis open the ICD-10-CM conventions decide: a fracture not
# indicated as open or closed is coded closed; an open fracture without a Gustilo type is coded
# type I or II; a subsequent encounter without a healing problem has routine healing.
_DEFAULTS: tuple[tuple[str, str | None], ...] = (
    ("stage", None),
    ("fracture", "closed"),
    ("gustilo", "I or II"),
    ("healing", "routine"),
    ("fetus", None),
)


def choose_seventh(values: dict[str, str], encounter: str) -> str | None:
    """The 7th character among ``values`` (a code's own sevenChrDef) whose meaning fits
    ``encounter`` (a question or a meaning phrase), or None when it stays ambiguous."""
    want = read_meaning(encounter)
    candidates = {char: read_meaning(text) for char, text in values.items()}
    for axis, default in _DEFAULTS:
        present = {getattr(m, axis) for m in candidates.values()} - {None}
        target = getattr(want, axis) or default
        if not present or target is None:
            continue  # these values do not vary on this axis, or the question is silent
        kept = {c: m for c, m in candidates.items() if getattr(m, axis) in (target, None)}
        if not kept:
            return None
        candidates = kept
    return next(iter(candidates)) if len(candidates) == 1 else None


def seventh_for(tab: Tabular, code: str, encounter: str) -> str | None:
    """The 7th character for ``code`` that fits ``encounter``, from that code's own values."""
    values = seventh_of(tab, resolve(tab, code, codes_only=True))
    return choose_seventh(values, encounter) if values else None


def complete(
    tab: Tabular, code: str, encounter: str | None = None, limit: int | None = None
) -> list[str]:
    """Billable codes for ``code``: itself if final, else the billable codes under it, with the
    7th character that fits ``encounter`` (``S02.2`` + initial -> ``S02.2XXA``) or every valid
    7th character when none is given or the encounter does not decide it."""
    node = resolve(tab, code, codes_only=True)
    if tab.is_billable(node.key):
        return [node.key]
    out: list[str] = []
    for leaf in tab.leaves_under(node.key, limit):
        if tab.needs_seventh(leaf):
            values = tab.seventh_values(leaf)
            char = choose_seventh(values, encounter) if encounter else None
            chars = [char] if char else list(values)
            out.extend(tab.with_seventh(leaf, c) for c in chars)
        else:
            out.append(leaf)
    return out if limit is None else out[:limit]
