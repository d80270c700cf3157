"""Code intelligence on the Tabular List: a code's details with every inherited note, the
nearest valid codes for a mistyped one, and completing header codes and 7th characters.

7th characters are chosen by meaning, never from a table of codes: a question is read into a
``Meaning`` (initial/subsequent/sequela, open/closed, healing, fetus) and so is each
``sevenChrDef`` text of the code in hand, and the value whose meaning fits is taken.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from assistant.codes import compact, normalize_code
from assistant.tabular import CODE_SET, NOTE_TAGS, Node, Tabular

# The note kinds every answer carries, in the order a coder reads them (the Tabular's own
# order); its free-text <notes> are reported apart, under GENERAL.
NOTE_KINDS: tuple[str, ...] = tuple(kind for kind in NOTE_TAGS.values() if kind != "notes")
# The Tabular's free-text <notes> ("A fracture not indicated as open or closed should be coded
# to closed"), reported under this key next to the required ones.
GENERAL = "general"

_BLOCK_ID = re.compile(r"^[A-Z][0-9][0-9A-Z](?:-[A-Z][0-9][0-9A-Z])?$")


class UnknownCodeError(ValueError):
    """A code that is not in the release; the one-line message names the nearest valid codes."""

    def __init__(self, code: str, nearest: list[str], release: str) -> None:
        self.code = code
        self.nearest = nearest
        listed = ", ".join(nearest) if nearest else "none"
        super().__init__(f"{code} is not a valid {release} code; nearest valid codes: {listed}")


# --- looking codes up --------------------------------------------------------------------
def resolve(tab: Tabular, code: str, *, codes_only: bool = False) -> Node:
    """The node for a code as typed (``e1165``, `` E11.65 ``, ``E11.-``; a block id such as
    ``E08-E13`` too unless ``codes_only``), or ``UnknownCodeError`` naming the nearest codes."""
    text = "".join(code.split()).upper()
    # "E11.-" and "T36.0X5-" stand for the code written before the dash.
    node = tab.node(text.rstrip("-").rstrip(".")) if text.strip("-.") else None
    if node is None and _BLOCK_ID.match(text):
        node = tab.node(f"blk:{text}")
    if node is not None and not (codes_only and node.kind in {"chapter", "block"}):
        return node
    shown = normalize_code(text) or code.strip() or repr(code)
    raise UnknownCodeError(shown, nearest_codes(tab, text), f"FY{tab.version} {CODE_SET}")


def nearest_codes(tab: Tabular, text: str, limit: int = 5) -> list[str]:
    """Valid codes closest to ``text``: the longest existing prefix first, then its siblings
    and children ranked by string similarity (``E11.99`` -> ``E11.9, E11.29, ...``)."""
    raw = compact(text.upper().replace(" ", "").rstrip("-."))
    if not raw:
        return []
    keys, by_compact = _code_keys(tab)
    for length in range(len(raw), 0, -1):
        prefix = raw[:length]
        node = tab.node(by_compact[prefix]) if prefix in by_compact else None
        if node is not None:
            return _rank_near(tab, raw, node, limit)
        start = bisect_left(keys, prefix)
        matches = []
        for key in keys[start:]:
            if not key.startswith(prefix):
                break
            if len(key) == 3:  # categories: the closest level to an unknown category
                matches.append(by_compact[key])
        if matches:
            return _rank(raw, matches, limit)
    return []


def _rank_near(tab: Tabular, raw: str, node: Node, limit: int) -> list[str]:
    first = [node.key] if tab.is_billable(node.key) else []
    scope = node.key if node.children or tab.needs_seventh(node.key) else node.parent
    pool = [c for c in tab.billable_under(scope or node.key, limit=3000) if c not in first]
    return (first + _rank(raw, pool, limit))[:limit]


def _rank(raw: str, pool: list[str], limit: int) -> list[str]:
    """Closest first: longest shared prefix, then nearest length, then string similarity."""
    matcher = difflib.SequenceMatcher(b=raw, autojunk=False)

    def score(code: str) -> tuple[int, int, float]:
        flat = compact(code)
        shared = next((i for i, (a, b) in enumerate(zip(flat, raw, strict=False)) if a != b), None)
        matcher.set_seq1(flat)
        common = min(len(flat), len(raw)) if shared is None else shared
        return (-common, abs(len(flat) - len(raw)), -matcher.ratio())

    return sorted(pool, key=score)[:limit]  # stable: tabular order on ties


@lru_cache(maxsize=4)
def _code_keys(tab: Tabular) -> tuple[list[str], dict[str, str]]:
    """Sorted compact forms of every code node, and compact -> dotted code."""
    by_compact = {compact(n.key): n.key for n in tab.codes()}
    return sorted(by_compact), by_compact


# --- details -------------------------------------------------------------------------------
def code_details(tab: Tabular, code: str) -> dict[str, Any]:
    """Everything a coder checks for one code: description, billability, place in the
    hierarchy, every instructional note that applies (its own and each ancestor's, tagged with
    the level it is written at), valid 7th characters and children."""
    node = resolve(tab, code)
    chain = tab.ancestors(node.key)
    kinds = (*NOTE_KINDS, GENERAL)
    notes: dict[str, list[str]] = {kind: [] for kind in kinds}
    levels: dict[str, list[str]] = {kind: [] for kind in kinds}
    for level in (node, *reversed(chain)):  # the code's own notes first, then outwards
        for kind, texts in level.notes.items():
            key = GENERAL if kind == "notes" else kind
            notes[key].extend(texts)
            levels[key].extend(level.code for _ in texts)
    return {
        "code": node.code,
        "description": node.description,
        "billable": tab.is_billable(node.key),
        "version": tab.label,
        "hierarchy": [{"code": a.code, "description": a.description} for a in chain],
        "notes": notes,
        "note_levels": levels,
        "seventh_characters": _seventh_of(tab, node),
        "children": _children_of(tab, node),
    }


def _is_derived(tab: Tabular, node: Node) -> bool:
    """A full 7th-character code built from its XML leaf (``S72.001A`` from ``S72.001``)."""
    return node.parent is not None and tab.needs_seventh(node.parent)


def _seventh_of(tab: Tabular, node: Node) -> dict[str, str]:
    if node.kind in {"chapter", "block"}:
        return {}
    if _is_derived(tab, node):
        return tab.seventh_values(node.parent or "")
    if not node.children:
        return tab.seventh_values(node.key)
    values, _owner = tab.seventh_characters(node.key)
    if values:
        return values
    # A header whose 7th characters are defined lower down (per subcategory).
    found: dict[str, str] = {}
    stack = list(node.children)
    while stack:
        child = tab.node(stack.pop())
        if child is None:
            continue
        for char, meaning in child.seventh.items():
            found.setdefault(char, meaning)
        stack.extend(child.children)
    return dict(sorted(found.items()))


def _children_of(tab: Tabular, node: Node) -> list[str]:
    if node.kind != "chapter" and not node.children and tab.needs_seventh(node.key):
        return [tab.with_seventh(node.key, c) for c in tab.seventh_values(node.key)]
    return [child.code for key in node.children if (child := tab.node(key)) is not None]


# --- 7th characters by meaning -------------------------------------------------------------
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
    values = _seventh_of(tab, resolve(tab, code, codes_only=True))
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
