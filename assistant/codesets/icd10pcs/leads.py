"""Reading the ICD-10-PCS Index the way a coder does: from the words of a description to tables.

A lead is a code prefix (3 to 7 characters) the Index gives for the description, with the
entries followed to reach it ("Appendectomy -> see Resection, Appendix 0DTJ"). Main terms
must be named by the description; subterms add to or take from an entry's score by the words
they share with it. A ``see`` without codes is followed into the named main term, whose
subterms are read against the description again ("Debridement, Excisional -> see Excision"
then "Excision, Skin, Lower Leg, Left 0HBL"). ``use`` entries become hints for the value of an
axis ("Foley catheter -> use Drainage Device").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.codesets.icd10pcs.index import IndexEntry, PcsIndex
from assistant.codesets.icd10pcs.words import SIDE_WORDS, Words, content_stems

# Scores, chosen on knowledge/eval/pcs_dev.jsonl: a main term named in full is worth more
# than any one subterm word, and a subterm word the description lacks costs a little over
# half of one it has, so a more specific entry wins only when its extra words are said.
MAIN_FULL = 3.0
MAIN_WORD = 0.5
SUB_WORD = 1.0
SUB_DERIVED = 0.6  # a subterm word found only through word parts or synonyms
SUB_MISSING = 0.6
SIDE_MATCH = 1.0
SIDE_CLASH = 2.5
NEGATED = 2.0
FOLLOW_COST = 0.5  # following a "see" is one step further from the description's words
MIN_COVERAGE = 0.6  # share of a main term's words the description must say
FOLLOW_KEEP = 12  # best entries kept per followed main term
MAX_DEPTH = 2
_QUALIFIER = re.compile(r"\s+with qualifier\s+(.+)$", re.I)
_PARENS = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class Lead:
    """A code prefix the Index gives for the description, and how it was reached."""

    prefix: str
    score: float
    entries: tuple[IndexEntry, ...]
    hints: frozenset[str] = field(default_factory=frozenset)  # stems the Index path adds


@dataclass(frozen=True)
class ValueHint:
    """A value an Index ``use`` entry names for a term of the description."""

    label: str  # "Drainage Device", "Zooplastic Tissue in Heart and Great Vessels"
    score: float
    entry: IndexEntry


def find_leads(words: Words, index: PcsIndex) -> tuple[list[Lead], list[ValueHint]]:
    """The leads and value hints the Index gives for ``words``, best first."""
    leads: list[Lead] = []
    hints: list[ValueHint] = []
    for key in _named_main_terms(words, index):
        entries = index.lookup(key)
        main = _main_score(entries[0].main_term, words)
        for entry in entries:
            score = main + _sub_score(entry.trail[1:], words)
            if entry.use and not entry.codes:
                hints.append(ValueHint(entry.use, score, entry))
                continue
            leads.extend(_resolve(entry, score, words, index, (entry,), 0))
    leads.sort(key=lambda lead: -lead.score)
    hints.sort(key=lambda hint: -hint.score)
    return leads, hints


def _named_main_terms(words: Words, index: PcsIndex) -> Iterable[str]:
    """The (casefolded) main terms the description names."""
    for key in index.by_main_term:
        if _main_score(index.entries[index.by_main_term[key][0]].main_term, words) > 0:
            yield key


def _main_score(title: str, words: Words) -> float:
    """How fully the description names a main term (0 when it does not)."""
    best = 0.0
    for alternative in _alternatives(title):
        stems = content_stems(alternative)
        if not stems:
            continue
        said = sum(1 for s in stems if words.has(s, derived=False))
        coverage = said / len(stems)
        if said and coverage >= MIN_COVERAGE:
            best = max(best, MAIN_FULL * coverage + MAIN_WORD * said)
    return best


def _alternatives(title: str) -> list[str]:
    """A main term and the names in its parentheses: 'EGD (esophagogastroduodenoscopy)'."""
    inside = _PARENS.findall(title)
    outside = _PARENS.sub(" ", title)
    return [outside, *inside, title.replace("(", " ").replace(")", " ")]


def _sub_score(subterms: Iterable[str], words: Words) -> float:
    """What the description's words say for a trail of subterms (may be negative)."""
    score = 0.0
    for subterm in subterms:
        lowered = subterm.lower()
        side = SIDE_WORDS.get(lowered, "")
        if side:
            score += _side_score(side, words.side)
            continue
        stems = content_stems(subterm)
        if lowered.startswith(("without", "no ")):
            # "Without IOL implant": against the description only when it says the thing.
            score -= NEGATED * sum(1 for s in stems if words.has(s, derived=False))
            continue
        for s in stems:
            if words.has(s, derived=False):
                score += SUB_WORD
            elif s in words.negated:
                score -= NEGATED
            elif words.has(s):
                score += SUB_DERIVED
            else:
                score -= SUB_MISSING
    return score


def _side_score(side: str, said: str) -> float:
    """A sided subterm against the side the description names."""
    if not said:
        return 0.0
    return SIDE_MATCH if side == said else -SIDE_CLASH


def _resolve(entry: IndexEntry, score: float, words: Words, index: PcsIndex,
             path: tuple[IndexEntry, ...], depth: int) -> list[Lead]:
    """The leads one entry gives: its codes, or those of the entries its ``see`` names."""
    hints = _hints(path)
    if entry.codes:
        return [Lead(entry.codes, score, path, hints)]
    if not entry.see or depth >= MAX_DEPTH:
        return []
    target, qualifier = _see_target(entry.see)
    if qualifier:
        hints = hints | frozenset(content_stems(qualifier))
    followed: list[tuple[float, IndexEntry]] = []
    for candidate in index.under(target):
        extra = candidate.trail[len(target):]
        followed.append((score - FOLLOW_COST + _sub_score(extra, words), candidate))
    followed.sort(key=lambda pair: -pair[0])
    leads: list[Lead] = []
    for sub_score, candidate in followed[:FOLLOW_KEEP]:
        for lead in _resolve(candidate, sub_score, words, index, (*path, candidate), depth + 1):
            leads.append(Lead(lead.prefix, lead.score, lead.entries, lead.hints | hints))
    return leads


def _see_target(see: str) -> tuple[tuple[str, ...], str]:
    """('Drainage',), 'Diagnostic' for 'Drainage with qualifier Diagnostic'."""
    qualifier = ""
    match = _QUALIFIER.search(see)
    if match:
        qualifier = match.group(1)
        see = see[: match.start()]
    return tuple(part.strip() for part in see.split(",") if part.strip()), qualifier


def _hints(path: Iterable[IndexEntry]) -> frozenset[str]:
    """Stems the followed entries add: their subterms and the words of their ``see``."""
    found: set[str] = set()
    for entry in path:
        for part in (*entry.trail[1:], entry.see):
            found.update(content_stems(part))
    return frozenset(found)
