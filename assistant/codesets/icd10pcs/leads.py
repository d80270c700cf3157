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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.codesets.icd10pcs.index import IndexEntry, PcsIndex
from assistant.codesets.icd10pcs.operations import suffix_operations
from assistant.codesets.icd10pcs.words import (
    SIDE_WORDS,
    SUFFIXES,
    Words,
    content_stems,
    expand,
    same,
    tokens,
)

# Scores, chosen on knowledge/eval/pcs_dev.jsonl (all of them: one set of hand-set weights,
# tried against the development rows, never the held-out ones). A main term named in full is
# worth more than any one subterm word, and a subterm word the description lacks costs a
# little over half of one it has, so a more specific entry wins only when its words are said.
MAIN_FULL = 3.0
MAIN_WORD = 0.5
MAIN_DERIVED = 0.6  # share for a main-term word read from word parts or synonyms ("shunt")
HEAD_SHARE = 0.8  # share for a main term named only by the part before its comma
SUB_WORD = 1.0
SUB_DERIVED = 0.6  # a subterm word found only through word parts or synonyms
SUB_MISSING = 0.6
SIDE_MATCH = 1.0
SIDE_CLASH = 2.5  # more than a subterm word: a wrong side is a wrong code
SIDE_UNSAID = 0.3  # a sided entry when the description names no side: less fitting
NEGATED = 2.0  # a subterm the description says is absent ("without mesh")
FOLLOW_COST = 0.5  # following a "see" is one step further from the description's words
MIN_COVERAGE = 0.6  # share of a main term's words the description must say (2 of 3)
FOLLOW_KEEP = 12  # best entries kept per followed main term; more changed no dev top-5
MAX_DEPTH = 2  # "see" chains followed; the Index's longest useful chain has two steps
MAX_RENAMED = 3  # words of a main term whose parentheses may give another name for it
RELAX = 1.0  # what a lead loses when its Index code is cut back to the body part
MIN_ROOT = 4  # shortest word root read from a compound main term ("herni" of Herniorrhaphy)
_QUALIFIER = re.compile(r"\s+with qualifier\s+(.+)$", re.I)
_PARENS = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class Lead:
    """A code prefix the Index gives for the description, and how it was reached."""

    prefix: str
    score: float
    entries: tuple[IndexEntry, ...]
    hints: frozenset[str] = field(default_factory=frozenset)  # stems the Index path adds
    exact: bool = False  # every word of every entry on the path is in the description
    said: frozenset[str] = frozenset()  # the description's stems the path's entries name


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
    compounds = suffix_operations(index)
    for key, (main, full, _) in _named_main_terms(words, index, compounds):
        for entry in index.lookup(key):
            sub, missing = _sub_score(entry.trail[1:], words)
            exact = full and not missing
            if entry.use and exact:  # a value to use, for a term the description says in full
                hints.append(ValueHint(entry.use, main + sub, entry))
            if entry.use and not entry.codes:
                continue
            leads.extend(_resolve(entry, main + sub, exact, words, index, (entry,), 0))
    return _sorted(leads + _relaxed(leads)), sorted(hints, key=lambda hint: -hint.score)


def _relaxed(leads: list[Lead]) -> list[Lead]:
    """Each lead to a full code or a long prefix, cut back to its body part."""
    # The Index sometimes gives a whole code whose device or qualifier the description does
    # not say (a coder checks the row); the cut lead lets the row's values compete, a step behind.
    return [
        Lead(lead.prefix[:4], lead.score - RELAX, lead.entries, lead.hints, said=lead.said)
        for lead in leads
        if len(lead.prefix) > 4
    ]


def _sorted(leads: list[Lead]) -> list[Lead]:
    """Leads best first, one per prefix (the best way to it kept)."""
    best: dict[str, Lead] = {}
    for lead in leads:
        if lead.prefix not in best or lead.score > best[lead.prefix].score:
            best[lead.prefix] = lead
    return sorted(best.values(), key=lambda lead: -lead.score)


def _named_main_terms(
    words: Words, index: PcsIndex, compounds: Mapping[str, Mapping[str, float]]
) -> list[tuple[str, tuple[float, bool, frozenset[str]]]]:
    """The (casefolded) main terms the description names: (score, named in full, stems)."""
    # A term whose words all belong to a longer term named in full that leads to codes is left
    # out: in "dilation and curettage", "dilation" names no Dilation of its own.
    named = []
    for key, positions in index.by_main_term.items():
        found = _main_score(index.entries[positions[0]].main_term, words, compounds)
        if found[0] > 0:
            named.append((key, found))
    longer = [
        used
        for key, (_, full, used) in named
        if full and len(used) > 1 and any(e.codes or e.see for e in index.lookup(key))
    ]
    return [
        item for item in named if not (item[1][2] and any(item[1][2] < used for used in longer))
    ]


def _main_score(
    title: str, words: Words, compounds: Mapping[str, Mapping[str, float]]
) -> tuple[float, bool, frozenset[str]]:
    """How fully the description names a main term: (score, all said, stems it took)."""
    best, full, used = _compound_score(title, words, compounds), False, frozenset[str]()
    for alternative in _alternatives(title):
        stems = content_stems(alternative)
        if not stems:
            continue
        named = sum(1 for s in stems if words.has(s, derived=False))
        derived = sum(1 for s in stems if not words.has(s, derived=False) and words.has(s))
        weight = named + MAIN_DERIVED * derived
        coverage = weight / len(stems)
        if weight and coverage >= MIN_COVERAGE:
            score = MAIN_FULL * coverage + MAIN_WORD * weight
            if score > best:
                said = frozenset(w for s in stems for w in words.stems if same(s, w))
                best, full, used = score, named == len(stems), said
    head = content_stems(_head_of(title))
    if head and best == 0 and all(words.has(s, derived=False) for s in head):
        used = frozenset(w for s in head for w in words.stems if same(s, w))
        best = HEAD_SHARE * (MAIN_FULL + MAIN_WORD * len(head))
    return best, full, used


def _compound_score(
    title: str, words: Words, compounds: Mapping[str, Mapping[str, float]]
) -> float:
    """A one-word compound main term said in two words: "hernia repair" for Herniorrhaphy."""
    # The word's stem must begin a word of the description, and the description must name a
    # root operation the Index's main terms with that suffix lead to (suffix_operations).
    word = title.lower()
    suffix = next((s for s in SUFFIXES if word.endswith(s)), "")
    root = word[: len(word) - len(suffix)].rstrip("o")
    if not suffix or " " in word or len(root) < MIN_ROOT:
        return 0.0
    if not any(s.startswith(root) for s in words.stems):
        return 0.0
    operations = compounds.get(suffix, {})
    if any(words.has(s, derived=False) for op in operations for s in content_stems(op)):
        return MAIN_FULL + 2 * MAIN_WORD
    return 0.0


@lru_cache(maxsize=1 << 13)
def _alternatives(title: str) -> list[str]:
    """A main term, and the names in its parentheses that are other names for it."""
    # 'PEG (percutaneous endoscopic gastrostomy)' is also named by what it stands for; in
    # 'Cochlear implant (CI), multiple channel (electrode)' the one-word parentheses only
    # qualify the term, so they name nothing alone.
    title = expand(title)  # "Suction curettage (D&C)" also reads "dilation and curettage"
    outside = _PARENS.sub(" ", title)
    # Only a short term's parentheses rename it ("PEG", "Suction curettage (D&C)"); in a long
    # one they spell out a part ("... used during transcatheter aortic valve replacement").
    short = len(tokens(outside)) <= MAX_RENAMED
    inside = [
        part
        for part in _PARENS.findall(title)
        if short and (len(part.split()) >= 2 or outside.isupper())
    ]
    return [outside, *inside, title.replace("(", " ").replace(")", " ")]


def _head_of(title: str) -> str:
    """The part of a main term before its comma ("Polypectomy"), "" when it has none."""
    return title.split(",")[0] if "," in title else ""


def _sub_score(subterms: Iterable[str], words: Words) -> tuple[float, int]:
    """What the description says for a trail of subterms: (score, words it does not say)."""
    score, missing = 0.0, 0
    for subterm in subterms:
        lowered = subterm.lower()
        side = SIDE_WORDS.get(lowered, "")
        if side:
            score += _side_score(side, words.side)
            missing += side != words.side
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
                missing += 1
            elif words.has(s, route=True):
                score += SUB_DERIVED
            else:
                score -= SUB_MISSING
                missing += 1
    return score, missing


def _side_score(side: str, said: str) -> float:
    """A sided subterm against the side the description names."""
    if not said:
        return -SIDE_UNSAID
    return SIDE_MATCH if side == said else -SIDE_CLASH


def _resolve(
    entry: IndexEntry,
    score: float,
    exact: bool,
    words: Words,
    index: PcsIndex,
    path: tuple[IndexEntry, ...],
    depth: int,
) -> list[Lead]:
    """The leads one entry gives: its codes, or those of the entries its ``see`` names."""
    hints = _hints(path, words, index)
    if entry.codes:
        return [Lead(entry.codes, score, path, hints, exact, _said(path, words))]
    if not entry.see or depth >= MAX_DEPTH:
        return []
    target, qualifier = _see_target(entry.see)
    if qualifier:
        hints = hints | frozenset(content_stems(qualifier))
    followed: list[tuple[float, bool, IndexEntry]] = []
    for candidate in index.under(target):
        sub, missing = _sub_score(candidate.trail[len(target) :], words)
        followed.append((score - FOLLOW_COST + sub, exact and not missing, candidate))
    followed.sort(key=lambda item: -item[0])
    leads: list[Lead] = []
    for sub_score, sub_exact, candidate in followed[:FOLLOW_KEEP]:
        path_on = (*path, candidate)
        for lead in _resolve(candidate, sub_score, sub_exact, words, index, path_on, depth + 1):
            leads.append(replace(lead, hints=lead.hints | hints))
    return leads


def _see_target(see: str) -> tuple[tuple[str, ...], str]:
    """('Drainage',), 'Diagnostic' for 'Drainage with qualifier Diagnostic'."""
    qualifier = ""
    match = _QUALIFIER.search(see)
    if match:
        qualifier = match.group(1)
        see = see[: match.start()]
    return tuple(part.strip() for part in see.split(",") if part.strip()), qualifier


def _hints(path: Iterable[IndexEntry], words: Words, index: PcsIndex) -> frozenset[str]:
    """Stems the followed entries add for the characters their codes leave open."""
    # The words of a see beyond its root operation; a subterm the description names in part
    # ("Gastrectomy, Vertical (sleeve)" adds "vertical" for "sleeve"); and an unsaid subterm
    # below a said one when it is the only one there, so a property of the term rather than
    # one option among several ("Lavage, Bronchial alveolar, diagnostic" adds "diagnostic";
    # "..., Epidural Space, Gas" adds nothing).
    found: set[str] = set()
    for entry in path:
        # The see's first part names the root operation, which no other axis is about; with a
        # code beside it, the rest names what that code already fixes (the body system of
        # "see Bypass, Hepatobiliary System and Pancreas 0F1"), not a body part.
        for part in _see_target(entry.see)[0][1:] if entry.see and not entry.codes else ():
            found.update(content_stems(part))
        below_said = False
        for depth, subterm in enumerate(entry.trail[1:], start=1):
            stems = content_stems(subterm)
            if any(words.has(s) for s in stems):
                found.update(stems)
                below_said = True
            elif below_said and len(_children(index, entry.trail[:depth])) == 1:
                found.update(stems)
    return frozenset(found)


def _said(path: Iterable[IndexEntry], words: Words) -> frozenset[str]:
    """The description's stems that the entries of a path name (main terms and subterms)."""
    stems = {s for entry in path for part in entry.trail for s in content_stems(part)}
    return frozenset(w for w in words.stems if any(same(s, w) for s in stems))


@lru_cache(maxsize=1 << 14)
def _children(index: PcsIndex, trail: tuple[str, ...]) -> frozenset[str]:
    """The distinct subterms directly below ``trail`` in the Index."""
    depth = len(trail)
    return frozenset(e.trail[depth] for e in index.under(trail) if len(e.trail) > depth)
