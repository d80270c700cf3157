"""Excludes1/Excludes2 checks between codes reported together.

An Excludes note at a code or at any level above it (subcategory, category, block, chapter)
names other codes in its text: single codes (``(P70.2)``), whole categories or subcategories
(``(E10.-)``, ``(O24.4-)``), ranges in Tabular order (``(E08-E13)``, ``(O00-O9A)``, ``S06.1- to
S06.6-``) and lists of these, sometimes narrowed by a qualifier (``(E08-E13 with .44)``,
``(S02.- with 7th character B)``). Excludes1 means the two codes are never reported together;
Excludes2 means both may be reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assistant.codesets.icd10cm.notes import resolve
from assistant.codesets.icd10cm.syntax import compact
from assistant.codesets.icd10cm.tabular import Node, Tabular

# A code as written in a note: category, optional dotted tail; "-" and ".-" suffixes are left
# outside the match and mean "and everything under it", which prefix matching gives anyway.
_REF_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?![0-9A-Za-z])")
# What joins two codes into a range: "E08-E13", "S32.1--S32.9", "S06.1- to S06.6-".
_RANGE_JOIN = re.compile(r"\.?-?\s*(?:-|to)\s*")
_PARENS = re.compile(r"\(([^()]*)\)")
_WITH = re.compile(r"\bwith\b", re.IGNORECASE)
_POSITIONS = {"fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "seventh": 6, "7th": 6}


@dataclass(frozen=True)
class Reference:
    """Codes a note names: ``start`` alone (and everything under it) or the Tabular range
    ``start``..``end`` (``end`` inclusive of everything under it), optionally narrowed."""

    start: str  # compact form, "E10"
    end: str | None = None
    qualifier: str = ""  # the text after "with", e.g. ".44" or "7th character B"


@lru_cache(maxsize=8192)
def parse_references(note: str) -> tuple[Reference, ...]:
    """The code references in a note's text. Codes in parentheses are the references when
    there are any ("vitamin B12 deficiency anemia (D51.-)"); otherwise the whole text is read
    ("injury to visual cortex S04.04-")."""
    groups = [g for g in _PARENS.findall(note) if _REF_CODE.search(g)]
    refs: list[Reference] = []
    for group in groups or [note]:
        refs.extend(_group_references(group))
    return tuple(refs)


def _group_references(group: str) -> list[Reference]:
    first = _REF_CODE.search(group)
    if first is None:
        return []
    # A qualifier follows the codes it narrows: "E08-E13 with .44", "C91.0-C95.9 with 5th ...".
    split = _WITH.search(group, first.end())
    body = group[: split.start()] if split else group
    qualifier = group[split.end() :].strip(" ,;:") if split else ""
    matches = list(_REF_CODE.finditer(body))
    refs: list[Reference] = []
    i = 0
    while i < len(matches):
        start = compact(matches[i].group(1))
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt is not None and _RANGE_JOIN.fullmatch(body[matches[i].end() : nxt.start()]):
            refs.append(Reference(start, compact(nxt.group(1)), qualifier))
            i += 2
        else:
            refs.append(Reference(start, None, qualifier))
            i += 1
    return refs


# --- where codes sit in the Tabular --------------------------------------------------------
@dataclass
class _Order:
    """Tabular (document) order of every code, with the first and last position of each
    compact prefix so that ranges follow ICD-10-CM order (C7A sits between C75 and C76)."""

    position: dict[str, int]
    first: dict[str, int]
    last: dict[str, int]
    fallback: dict[tuple[str, bool], int | None] = field(default_factory=dict)

    def locate(self, code: str) -> int | None:
        """Position of a code, or of the XML leaf a derived 7th-character code is built on."""
        flat = compact(code)
        while flat:
            if flat in self.position:
                return self.position[flat]
            flat = flat[:-1]
        return None

    def bound(self, flat: str, *, last: bool) -> int | None:
        """First (or last) position of the codes under ``flat``. An end that is not in the
        release ("R10.1-R10.4-" once R10.4 is gone) falls back to the codes of its category
        that sort before it (a start: after it), then to the neighbouring categories."""
        table = self.last if last else self.first
        if flat in table:
            return table[flat]
        if (flat, last) not in self.fallback:
            self.fallback[(flat, last)] = self._near(flat, table, last)
        return self.fallback[(flat, last)]

    def _near(self, flat: str, table: dict[str, int], last: bool) -> int | None:
        for scope in (flat[:3], ""):
            near = [
                table[code]  # the last (or first) position under the nearby code
                for code in self.position
                if code.startswith(scope)
                and (scope or len(code) == 3)
                and (code < flat if last else code > flat)
            ]
            if near:
                return max(near) if last else min(near)
        return None


@lru_cache(maxsize=4)
def _order(tab: Tabular) -> _Order:
    position: dict[str, int] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, node in enumerate(tab.codes()):
        flat = compact(node.key)
        position[flat] = i
        for size in range(3, len(flat) + 1):
            first.setdefault(flat[:size], i)
            last[flat[:size]] = i
    return _Order(position, first, last)


def names_code(tab: Tabular, note: str, code: str) -> bool:
    """True when ``note`` names ``code`` (a dotted code present in ``tab``)."""
    return any(covers(tab, ref, code) for ref in parse_references(note))


def covers(tab: Tabular, ref: Reference, code: str) -> bool:
    """True when ``code`` lies inside the codes ``ref`` names."""
    flat = compact(code)
    if ref.end is None:
        inside = flat.startswith(ref.start)
    else:
        order = _order(tab)
        low, high, here = (
            order.bound(ref.start, last=False),
            order.bound(ref.end, last=True),
            order.locate(code),
        )
        inside = low is not None and high is not None and here is not None and low <= here <= high
    return inside and (not ref.qualifier or _qualifies(tab, ref.qualifier, code))


def _qualifies(tab: Tabular, qualifier: str, code: str) -> bool:
    """Whether ``code`` meets a note's narrowing: "with .44", "with .51-.52", "with final
    characters -23", "with 5th character 1", "with fifth or sixth character 1-4 or 6", "with
    7th character B or C", or words to find in the description ("with ketoacidosis")."""
    flat = compact(code)
    q = qualifier.lower()
    ordinals = re.findall(r"\b(fifth|5th|sixth|6th|seventh|7th)\b", q)
    values_text = re.split(r"characters?", q, maxsplit=1)[1] if "character" in q else q
    values = _values(values_text)
    if ordinals and values:
        spots = [_POSITIONS[o] for o in ordinals]
        if " to " in q and len(spots) == 2:  # "fifth to sixth characters 51"
            return flat[spots[0] : spots[1] + 1] in values
        return any(len(flat) > p and flat[p] in values for p in spots)
    if "final" in q and values and "-" in values_text.split()[0]:
        return any(flat.endswith(v) for v in values)  # "final characters -23"
    if values and "." in values_text:
        return any(flat[3:].startswith(v) for v in values)  # ".44", ".00 or .01"
    words = re.sub(r"\b(?:fifth|5th|sixth|6th|seventh|7th|characters?)\b", " ", q)
    words = " ".join(re.sub(r"[^a-z ]", " ", words).split())
    node = tab.node(code)
    return not words or (node is not None and words in node.description.lower())


def _values(text: str) -> set[str]:
    """Characters or character strings listed in a qualifier: "1-4 or 6", ".51-.52", "B or C"."""
    out: set[str] = set()
    for item in re.split(r"\s*(?:,|\bor\b|\band\b)\s*|\s+", text.strip()):
        item = item.strip(" .-")
        span = re.fullmatch(r"\.?(\w+)\s*-\s*\.?(\w+)", item)
        if span and span.group(1).isdigit() and span.group(2).isdigit():
            low, high = span.groups()
            out.update(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
        elif re.fullmatch(r"[0-9a-z]+", item) and (
            len(item) == 1 or any(c.isdigit() for c in item)
        ):
            out.add(item.upper())
    return out


# --- checking a set of codes ---------------------------------------------------------------
def check_codes(tab: Tabular, codes: list[str]) -> dict[str, Any]:
    """Excludes conflicts among codes reported together, in both directions: an Excludes1
    note at a code (or above it) naming another code is a conflict; an Excludes2 note means
    both may be reported and is listed under ``allowed_with_note``."""
    nodes: list[Node] = []
    for code in codes:
        node = resolve(tab, code, codes_only=True)
        if node.key not in {n.key for n in nodes}:
            nodes.append(node)
    conflicts: list[dict[str, str]] = []
    allowed: list[dict[str, str]] = []
    for node in nodes:
        levels = [node, *reversed(tab.ancestors(node.key))]
        for other in nodes:
            if other.key == node.key:
                continue
            for level in levels:
                for kind, found in (("excludes1", conflicts), ("excludes2", allowed)):
                    for note in level.notes.get(kind, []):
                        # A note never excludes the codes it is written over.
                        if names_code(tab, note, other.key) and not names_code(tab, note, node.key):
                            found.append(
                                {
                                    "code": node.key,
                                    "other": other.key,
                                    "note": note,
                                    "level": level.code,
                                }
                            )
    return {"codes": [n.key for n in nodes], "conflicts": conflicts, "allowed_with_note": allowed}


@lru_cache(maxsize=4)
def _keys(tab: Tabular) -> tuple[str, ...]:
    """Every code node in Tabular order (the positions ``_order`` gives)."""
    return tuple(node.key for node in tab.codes())


def codes_named(tab: Tabular, note: str, limit: int = 400) -> list[str]:
    """The billable codes a note names ("(N18.1-N18.6)", "(Z79.4)", "(I12.-, I13.-)"), in
    Tabular order, at most ``limit``; codes needing a 7th character are left out."""
    out: list[str] = []
    order, keys = _order(tab), _keys(tab)
    for ref in parse_references(note):
        if ref.end is None:
            low, high = order.bound(ref.start, last=False), order.bound(ref.start, last=True)
            if ref.start not in order.first:
                continue
        else:
            low, high = order.bound(ref.start, last=False), order.bound(ref.end, last=True)
        if low is None or high is None:
            continue
        for key in keys[low : high + 1]:
            if tab.is_billable(key) and key not in out and covers(tab, ref, key):
                out.append(key)
                if len(out) >= limit:
                    return out
    return out
