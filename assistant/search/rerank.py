"""Re-ranking code candidates with what embeddings miss: negation, qualifiers, word overlap.

Sentence embeddings place "duodenitis with bleeding" next to "duodenitis without bleeding" and
"other specified" next to "unspecified". Coders read those words first, so the final score adds
explicit features to the dense similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.negation import asserted, negated, strip_negated
from assistant.text.numbers import number_fit
from assistant.text.stems import root, terms

_UNSPECIFIED = re.compile(r"\b(unspecified|nos|not otherwise specified)\b")
OTHER = re.compile(r"\bother\b", re.I)  # an "other" (residual) code's title
BARE_WORDS = 2  # a query of at most this many words names a bare diagnosis
# Per "other" title when a description says neither "other" nor "unspecified", and per title
# word that narrows it beyond what it states; chosen on knowledge/eval/icd10cm_lay_dev and
# followups_dev (top1 0.883 -> 0.917 and 0.657 -> 0.743) at a cost of 0.003 on the ICD-10-CM
# dev set of ../shared/eval; larger values cost more there than they gained.
OTHER_UNSAID = 0.5
NARROWING = 0.25
_DEFAULT = re.compile(
    r"\b(unspecified (?:part|site)s? of|unspecified|nos|without complications?|uncomplicated)\b"
)
# "A or B" in a title covers either: "bronchus or lung" narrows nothing for "lung".
_ALTERNATIVE = re.compile(r"\b([a-z]+) or ([a-z]+)\b")


GENERIC = frozenset(root(w) for w in ("disorder", "disease", "condition", "syndrome"))
# Examples in a title ("(e.g., pneumatic, gel)", HCPCS L4350) and what it says it includes
# ("includes any type interface", "including insertion supplies") narrow nothing down.
_EXAMPLES = (
    re.compile(r"\((?:e\.g\.|for example)[^)]*\)"),
    re.compile(r",\s*(?:e\.g\.|for example)[^();]*"),
    re.compile(r",\s*includ(?:es|ing)\b[^,;]*"),
)


def narrowing(title: str, q: frozenset[str]) -> int:
    """How many of the title's specifics the query words ``q`` leave unstated; of two words
    the title offers as alternatives ("bronchus or lung"), stating one states both."""
    extra = set(specifics(title) - q)
    for pair in _ALTERNATIVE.findall(title.lower()):
        roots = terms(" ".join(pair))
        if roots & q:
            extra -= roots
    return len(extra)


def specifics(title: str) -> frozenset[str]:
    """Title words that narrow a condition down: all but a trailing "unspecified ..." clause,
    the default words (uncomplicated, without complications, NOS), what the title says is
    absent ("without foreign body"), its examples and inclusions, and generic nouns."""
    lowered = title.lower()
    for pattern in _EXAMPLES:
        lowered = pattern.sub(" ", lowered)
    clauses = lowered.split(",")
    kept = [c for n, c in enumerate(clauses) if not (n and c.strip().startswith("unspecified"))]
    return terms(strip_negated(_DEFAULT.sub(" ", ",".join(kept)))) - GENERIC


# Axes along which ICD-10-CM splits a condition into sibling codes. A title that takes a
# different value on an axis the query states ("single episode" for "recurrent") contradicts it.
AXES = (
    ("single", "recurrent"),
    ("acute", "chronic"),
    ("left", "right"),
    ("upper", "lower"),
    ("benign", "malignant"),
    ("primary", "secondary"),
    ("male", "female"),
    ("congenital", "acquired"),
    ("open", "closed"),
    ("displaced", "nondisplaced"),
    ("partial", "complete"),
    ("anterior", "posterior"),
    ("mild", "moderate", "severe"),
)
_AXES = tuple(frozenset(root(w) for w in axis) for axis in AXES)


# Axes that a query may leave unsaid; the code set then has an unspecified value for them.
# Newborn and pregnancy codes belong on the newborn's or the mother's record only (Official
# Guidelines I.C.16.a, I.C.15.a): a query naming neither is not about them.
SILENT_AXES = tuple(
    frozenset(root(w) for w in axis)
    for axis in (
        ("left", "right", "bilateral"),
        ("mild", "moderate", "severe"),
        ("newborn", "neonatal", "perinatal", "fetus", "fetal"),
        ("pregnancy", "pregnant", "puerperium", "puerperal", "delivery", "childbirth"),
    )
)
# A neoplasm is coded as secondary (metastatic) or in situ only when the record says so: the
# Guidelines have its secondary sites "determined" from the documentation (I.C.2), so "lung
# cancer" alone is the primary site's code. Other titles use "secondary" otherwise
# ("Secondary esophageal varices"), so the axis is read on neoplasm titles only.
_BEHAVIOR = frozenset(root(w) for w in ("secondary", "metastatic", "metastasis", "situ"))
_NEOPLASM = re.compile(r"\b(?:neoplasms?|carcinomas?|malignan\w*|melanomas?)\b", re.I)


def unstated(query: str, candidate: str) -> int:
    """Axes on which the candidate states a value while the query states none."""
    q, c = terms(query), terms(candidate)
    behavior = bool(c & _BEHAVIOR) and not (q & _BEHAVIOR) and bool(_NEOPLASM.search(candidate))
    return behavior + sum(1 for axis in SILENT_AXES if (c & axis) and not (q & axis))


# Per axis the question states a value on ("right", "severe", "chronic") that the candidate
# leaves unsaid: the code with that detail is the more specific one, and a code is assigned to
# the highest specificity the record documents (Official Guidelines I.B.1 and I.A.9.b).
MISSED_AXIS = 1.0
_STATED_AXES = tuple(dict.fromkeys((*SILENT_AXES[:2], *_AXES)))


# "unspecified severity" names the severity axis without a value; its stem is severe's.
_AXIS_NAMES = re.compile(r"\bunspecified severity\b", re.I)


def missed(query: str, candidate: str) -> int:
    """Axes on which the query states a value and the candidate states none."""
    q, c = terms(query), terms(_AXIS_NAMES.sub(" ", candidate))
    return sum(1 for axis in _STATED_AXES if (q & axis) and not (c & axis))


def contradictions(query: str, candidate: str) -> int:
    """Axes on which the candidate states a value and the query states only other values."""
    q, c = terms(query), terms(candidate)
    return sum(1 for axis in _AXES if (q & axis) and (c & axis) and not (q & c & axis))


@dataclass(frozen=True)
class Weights:
    overlap: float = 0.3
    polarity: float = 0.1
    qualifier: float = 0.04
    # A number of the question inside (or outside) a title's range ("BMI 42" and "40.0-44.9"):
    # sibling titles differ by nothing else, so this outweighs their small cosine differences.
    number: float = 0.1


def features(query: str, candidate: str, typed: str | None = None) -> tuple[float, float, float]:
    """(word overlap F1, polarity agreement, qualifier agreement) of a query and a code title.

    ``typed`` is what the user typed when ``query`` is its bridged form ("pink eye" for
    "pink eye conjunctivitis"): whether the diagnosis is bare is judged on the typed words.
    """
    q, c = terms(query), terms(candidate)
    bare_words = len(terms(typed)) if typed is not None else len(q)
    q_neg, c_neg = negated(query), negated(candidate)
    # What the title says is absent and the query does not mention is no word of the
    # condition: it neither matches nor dilutes the overlap. For a bare diagnosis, nor are
    # the title's default words and examples ("Myalgia, unspecified site" says "myalgia" no
    # less than "Epidemic myalgia"). Measured: the lay sets dev, holdout, holdout 3 and
    # holdout 7 gained a row each, the Tabular tuning set, its holdout and the trails holdout
    # lost one each, lookup_dev none; for every query (not only bare ones) the tuning set and
    # its holdout lost 0.006 and 0.018 top1, so longer descriptions keep those words.
    c_said = c - (c_neg - q)
    if bare_words <= BARE_WORDS:
        c_said -= c - specifics(candidate) - GENERIC - q
    common = len(q & c_said)
    overlap = 0.0 if not common else 2 * common / (len(q) + len(c_said))
    q_pos, c_pos = asserted(query), asserted(candidate)
    polarity = 0.0
    polarity -= len(q_neg & c_pos) + len(q_pos & c_neg)
    polarity += 0.5 * len(q_neg & c_neg)
    polarity -= contradictions(query, candidate)
    polarity -= 0.5 * len(q_neg & (c - c_neg - c_pos))  # names, plainly, what the query rules out
    qualifier = 0.0
    q_unspec, c_unspec = (
        bool(_UNSPECIFIED.search(query.lower())),
        bool(_UNSPECIFIED.search(candidate.lower())),
    )
    q_other, c_other = bool(OTHER.search(query)), bool(OTHER.search(candidate))
    if q_other and not q_unspec:
        qualifier += 1.0 if c_other else (-1.0 if c_unspec else 0.0)
    if q_unspec:
        qualifier += 1.0 if c_unspec else 0.0
    # A side or a severity the record does not give is coded as unspecified (I.A.9.b).
    qualifier -= unstated(query, candidate)
    qualifier -= MISSED_AXIS * missed(query, candidate)

    if bare_words > BARE_WORDS and not q_other and not q_unspec:
        # Any description is coded to the detail it documents (Official Guidelines I.A.9.b):
        # a title that is "other" specified, or that adds conditions the description does not
        # state ("recurrent", "with behavioral disturbance"), fits it less than one that does not.
        qualifier -= OTHER_UNSAID * c_other
        qualifier -= NARROWING * min(
            narrowing(part, q) for part in [candidate, *candidate.split(" and ")]
        )
    if bare_words <= BARE_WORDS and not q_other and not q_unspec:
        # A bare diagnosis ("pneumonia", "shingles") is coded to its unspecified or
        # uncomplicated form until the record says more (Official Guidelines I.A.9.b).
        # Each word of the title that narrows the diagnosis beyond the query counts against it.
        qualifier += 1.0 if _DEFAULT.search(candidate.lower()) else (-1.0 if c_other else 0.0)
        # A title joining conditions with "and" ("Syncope and collapse") covers each of them.
        parts = [candidate, *candidate.split(" and ")]
        qualifier -= 0.5 * min(narrowing(part, q) for part in parts)
    return overlap, polarity, qualifier


def rescore(
    query: str,
    candidate: str,
    dense: float,
    weights: Weights = Weights(),
    typed: str | None = None,
) -> float:
    overlap, polarity, qualifier = features(query, candidate, typed)
    return (
        dense
        + weights.overlap * overlap
        + weights.polarity * polarity
        + weights.qualifier * qualifier
        + weights.number * number_fit(query, candidate)
    )
