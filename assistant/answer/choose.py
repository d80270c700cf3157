"""Which code set a lookup question is for: a diagnosis (ICD-10-CM), an inpatient procedure
(ICD-10-PCS), a supply, drug or service (HCPCS Level II), a licensed CPT procedure.

A question that names a code set goes to it. Otherwise each loaded code set's own texts say
how likely its language produces the question's words (naive Bayes over word roots, with
Dirichlet smoothing toward all sets' texts together, so a word no set knows counts for none).
A dose ("250 mg") speaks for the drug codes of HCPCS Level II. Between two procedure code
sets, ICD-10-PCS is for inpatient hospital reporting (Official Guidelines, Section II; PCS
Guidelines A.1) and CPT for the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.codeset import CodeSet
from assistant.text.stems import terms

# Smoothing weight, in texts: how strongly a set's estimate leans on all sets' texts together.
# Chosen on knowledge/eval/mixed_dev.jsonl (written for this; the ICD-10-CM, ICD-10-PCS and
# HCPCS dev sets' queries with their set).
SMOOTHING = 20.0
DOSE_BONUS = 4.0  # log-odds a stated dose adds for HCPCS (drugs are billed by dose there)
# Two sets within this log-odds of each other: the question is shown the best of each.
UNCLEAR = 2.0

_DOSE = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|g|gm|grams?|ml|cc|units?|iu|meq|microgram)\b", re.I
)
_INPATIENT = re.compile(
    r"\b(?:inpatient|admitted|admission|hospital stay|during (?:the|her|his) stay)\b", re.I
)
_VISIT = re.compile(
    r"\b(?:initial|subsequent|first|follow[- ]?up|second|new|er|ed)\s+(?:visit|encounter)\b|\bsequela\b",
    re.I,
)
PROCEDURE_SETS = ("icd10pcs", "cpt")


@dataclass(frozen=True)
class Choice:
    """A code set and how strongly the question speaks its language (log-likelihood)."""

    code_set: CodeSet
    score: float
    named: bool = False


def choose(question: str, codesets: Sequence[CodeSet]) -> list[Choice]:
    """The code sets for a lookup question, the likeliest first."""
    named = [cs for cs in codesets if cs.names.search(question)]
    if named:
        return [Choice(cs, 0.0, named=True) for cs in named]
    roots = [
        r
        for r in terms(_VISIT.sub(" ", question))
        if any(r in cs.vocabulary.frequency for cs in codesets)
    ]
    total = sum(cs.vocabulary.documents for cs in codesets) or 1
    background = {
        r: sum(cs.vocabulary.frequency.get(r, 0) for cs in codesets) / total for r in roots
    }
    scored = []
    for cs in codesets:
        vocab = cs.vocabulary
        score = sum(
            math.log(
                (vocab.frequency.get(r, 0) + SMOOTHING * background[r])
                / (vocab.documents + SMOOTHING)
            )
            for r in roots
        )
        if cs.name == "hcpcs" and _DOSE.search(question):
            score += DOSE_BONUS
        scored.append(Choice(cs, score))
    scored.sort(key=lambda c: -c.score)
    return _procedures_by_setting(question, scored)


def unclear(choices: list[Choice]) -> bool:
    """Whether the two likeliest sets are too close to call."""
    return (
        len(choices) > 1 and not choices[0].named and choices[0].score - choices[1].score < UNCLEAR
    )


def _procedures_by_setting(question: str, ranked: list[Choice]) -> list[Choice]:
    """With both procedure sets loaded, the inpatient one leads only for an inpatient stay."""
    names = [c.code_set.name for c in ranked]
    if not set(PROCEDURE_SETS) <= set(names) or names[0] not in PROCEDURE_SETS:
        return ranked
    want = "icd10pcs" if _INPATIENT.search(question) else "cpt"
    lead = next(c for c in ranked if c.code_set.name == want)
    return [lead, *(c for c in ranked if c is not lead)]
