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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.codesets.icd10pcs.codeset import SURGICAL
from assistant.core.codeset import CodeSet
from assistant.text.stems import content_terms, terms

# All constants below were chosen together by a grid search on the dev mix written for this
# (knowledge/eval/icd10cm_lay_dev, pcs_dev and hcpcs_dev: each query's set is its code's set),
# checked on their holdout files, and against the ICD-10-CM figures of ../shared/eval so that
# routing does not cost the diagnosis lookups (see the README's figures).
# Smoothing weight, in texts: how strongly a set's estimate leans on all sets' texts together.
SMOOTHING = 200.0
DOSE_BONUS = 4.0  # log-odds a stated dose adds for HCPCS (drugs are billed by dose there)
# Log prior odds: most questions are about diagnoses.
PRIORS = {"icd10cm": 2.5}
# Log-odds an operation word ("excision", "-ectomy") adds for the procedure code sets.
PROCEDURE_BONUS = 8.0
# Log-odds a state or an encounter ("status", "history of", "fitting and adjustment",
# "complication of") adds for ICD-10-CM, whose Chapter 21 and T80-T88 codes name them.
DIAGNOSIS_BONUS = 8.0
# Log-odds per unit of cosine similarity between the question and a set's nearest record: a
# question written like a set's titles is for that set.
CLOSENESS_WEIGHT = 30.0

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
_SIDES = terms("right left bilateral")
_STATE = re.compile(r"\b[a-z]{3,}ed\b", re.I)  # a past participle: "enlarged", "ruptured"
# A procedure named as the circumstance of a condition is a diagnosis question ("status post
# appendectomy", "infection following a procedure", "attention to colostomy"): ICD-10-CM
# codes these states (Chapter 21 Z codes, T80-T88 complications).
_AFTER = re.compile(
    r"\b(?:status post|s/p|history of|complications?|following|after|attention to|encounter for|"
    r"failure of|malfunction|infection of|presence of|absence of|due to|postprocedural|"
    r"post-?operative|status|replaced by|in situ|fitting and adjustment|not carried out|"
    r"examination|dependence on|mechanical complication"
    # Being "on" a treatment is a status ICD-10-CM codes (Z99.2 dependence on renal dialysis,
    # Z99.11 on a respirator, Z99.81 on supplemental oxygen, Z79 long term drug therapy).
    r"|on (?:renal |peritoneal |home )?(?:hemo)?dialysis|on (?:a )?(?:ventilator|respirator)"
    r"|on (?:supplemental |home )?oxygen|on long[- ]term)\b",
    re.I,
)


@dataclass(frozen=True)
class Choice:
    """A code set and how strongly the question speaks its language (log-likelihood)."""

    code_set: CodeSet
    score: float
    named: bool = False
    operation: bool = False  # a procedure set, and the question names one of its operations


def choose(
    question: str,
    codesets: Sequence[CodeSet],
    closeness: Mapping[str, float] | None = None,
) -> list[Choice]:
    """The code sets for a lookup question, the likeliest first. ``closeness`` is, per code
    set, the cosine similarity of the question to that set's nearest record, when known."""
    named = [cs for cs in codesets if cs.names.search(question)]
    if named:
        return [Choice(cs, 0.0, named=True) for cs in named]
    roots = [
        r
        for r in content_terms(_VISIT.sub(" ", question))
        if any(r in cs.vocabulary.frequency for cs in codesets)
    ]
    total = sum(cs.vocabulary.documents for cs in codesets) or 1
    background = {
        r: sum(cs.vocabulary.frequency.get(r, 0) for cs in codesets) / total for r in roots
    }
    scored = []
    likely = {
        cs.name: {
            r: math.log(
                (cs.vocabulary.frequency.get(r, 0) + SMOOTHING * background[r])
                / (cs.vocabulary.documents + SMOOTHING)
            )
            for r in roots
        }
        for cs in codesets
    }
    for cs in codesets:
        # A set that reports the side with a modifier (HCPCS RT/LT, CPT 50) seldom writes it in
        # its titles: a side word is no evidence against it, so it counts at the average rate
        # of all sets' texts. (As likely as in the set likeliest to say it was tried too: it
        # sent "left simple mastectomy" to a HCPCS quality-measure code.)
        sided = getattr(cs, "sides_by_modifier", False)
        score = sum(
            math.log(background[r]) if sided and r in _SIDES else likely[cs.name][r] for r in roots
        )
        score += PRIORS.get(cs.name, 0.0)
        score += CLOSENESS_WEIGHT * (closeness or {}).get(cs.name, 0.0)
        if cs.name == "icd10cm" and _AFTER.search(question):
            score += DIAGNOSIS_BONUS
        if cs.name == "hcpcs" and _DOSE.search(question):
            score += DOSE_BONUS
        operation = (
            cs.name in PROCEDURE_SETS
            and _names_procedure(question, codesets)
            and not _AFTER.search(question)
        )
        if operation:
            score += PROCEDURE_BONUS
        scored.append(Choice(cs, score, operation=operation))
    scored.sort(key=lambda c: -c.score)
    return _procedures_by_setting(question, scored)


def _names_procedure(question: str, codesets: Sequence[CodeSet]) -> bool:
    """Whether the question names an operation (the procedure code set's own action words)."""
    actions: frozenset[str] = frozenset().union(
        *(getattr(cs, "actions", frozenset()) for cs in codesets)
    )
    # "Enlarged", "dilated", "occluded" describe a state, as a diagnosis title does; an
    # operation is named by a noun ("enlargement", "dilation", "occlusion of").
    asked = terms(_STATE.sub(" ", question))
    if asked & actions or any(SURGICAL.search(r) for r in asked):
        return True
    return any(phrase <= asked for cs in codesets for phrase in getattr(cs, "action_phrases", ()))


def _procedures_by_setting(question: str, ranked: list[Choice]) -> list[Choice]:
    """With both procedure sets loaded, the inpatient one leads only for an inpatient stay."""
    names = [c.code_set.name for c in ranked]
    if not set(PROCEDURE_SETS) <= set(names) or names[0] not in PROCEDURE_SETS:
        return ranked
    want = "icd10pcs" if _INPATIENT.search(question) else "cpt"
    lead = next(c for c in ranked if c.code_set.name == want)
    return [lead, *(c for c in ranked if c is not lead)]
