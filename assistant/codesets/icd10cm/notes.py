"""Code intelligence on the Tabular List: a code's details with every inherited note and the
nearest valid codes for a mistyped one."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from assistant.codesets.icd10cm.syntax import compact, normalize_code
from assistant.codesets.icd10cm.tabular import NOTE_TAGS, Node, Tabular
from assistant.core.codeset import UnknownCodeError

# The note kinds every answer carries, in the order a coder reads them (the Tabular's own
# order); its free-text <notes> are reported apart, under GENERAL.
NOTE_KINDS: tuple[str, ...] = tuple(kind for kind in NOTE_TAGS.values() if kind != "notes")
# The Tabular's free-text <notes> ("A fracture not indicated as open or closed should be coded
# to closed"), reported under this key next to the required ones.
GENERAL = "general"

_BLOCK_ID = re.compile(r"^[A-Z][0-9][0-9A-Z](?:-[A-Z][0-9][0-9A-Z])?$")


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
    raise UnknownCodeError(shown, nearest_codes(tab, text), tab.label)


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
        "seventh_characters": seventh_of(tab, node),
        "children": _children_of(tab, node),
    }


def _is_derived(tab: Tabular, node: Node) -> bool:
    """A full 7th-character code built from its XML leaf (``S72.001A`` from ``S72.001``)."""
    return node.parent is not None and tab.needs_seventh(node.parent)


def seventh_of(tab: Tabular, node: Node) -> dict[str, str]:
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
