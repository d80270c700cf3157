"""The codes a case question leads to, beside the rule quoted for it.

"Admitted with sepsis and pneumonia, which first?" is answered by the guideline that rules on
the case; a coder then needs the codes of the conditions it names. Each condition is looked up
on its own in ICD-10-CM and shown with its citation; the order is left to the quoted rule,
which says it (the assistant does not guess a sequence the rule does not give).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.answer.lookup import code_line
from assistant.core.answer import Sources
from assistant.text.stems import terms

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

# A case: someone who has, presents with or is admitted for something (not a rule question
# such as "when is sepsis sequenced first?", which names a condition but no case).
_CASE = re.compile(
    r"\b(?:admitted|admission|presents?|presenting|presented|patient|pt|seen|comes?|came|"
    r"has|had|diagnosed|documented|treated|man|woman|child|boy|girl|year[- ]old)\b"
    # ... or asks what to code for conditions it names ("X due to Y, what do I code first?").
    r"|\b(?:which|what)\b[^?,;]*\bfirst\s*\??\s*$|\bwhat do (?:i|we) code\b"
    r"|\bhow (?:should|do|would) (?:i|we|you) code\b|\bhow (?:should|is) (?:it|this) (?:be )?coded\b",
    re.I,
)
# The asking part of a case question, wherever it stands ("which first?", "how should it be
# coded?", "what is the principal diagnosis for ...").
_ASKING = re.compile(
    r"\b(?:so\s+)?(?:which|what|how|should|do|does|can|when|in what order)\b"
    r"(?:\s+(?:one|code|codes|condition|diagnosis|is|are|gets?|goes|should|would|do|does|can|"
    r"i|we|you|it|this|they|be|the|a|principal|primary|first-listed|listed|sequenced?|"
    r"coded?|reported?|assigned?|selected|order|first|come|comes))*\b(?:\s+(?:for|with|in))?",
    re.I,
)
# Words that frame a case rather than name its conditions.
_FRAME = re.compile(
    r"\b(?:(?:a|an|the)\s+)?(?:patient|pt|man|woman|child|boy|girl|\d+[- ]year[- ]old)\b|"
    r"\b(?:was|is|gets?|got|been|being)?\s*(?:admitted|seen|treated|diagnosed)\b"
    r"(?:\s+(?:to|in|at)\s+(?:the\s+)?(?:hospital|er|ed|icu))?|"
    r"\b(?:who|presents?|presenting|presented|comes?\s+in|came\s+in|has|had|documented)\b",
    re.I,
)
_LEADING = re.compile(r"^(?:(?:with|for|of|to|and|the|a|an)\s+)+", re.I)
# Where one condition ends and the next begins ("with" stays: "sepsis with septic shock" and
# "diabetes with CKD" are combinations the Tabular codes as one).
_BETWEEN = re.compile(r"\s*(?:,|;|\band\b|\bplus\b|\bas well as\b|\balso\b)\s*", re.I)
_CAUSE = re.compile(r"\s+(?:due to|secondary to|caused by|from)\s+", re.I)
MAX_CONDITIONS = 4  # a case question rarely names more; past that it is a record, not a case
# Least cosine similarity of a named condition to the code shown for it. A case question's
# fragments ("assume they are related", "the underdosing") are not conditions; read against
# the 55 lines knowledge/eval/guidelines_cases_* gave on 2026-12-04 (with the lookups' 0.35),
# those under 0.6 were wrong in 11 of 13, those above in 13 of 42 (still too many: a known
# weakness). A higher bar shows fewer codes, never other ones.
CASE_DENSE = 0.6
# A drug event is coded by its substance (the Table of Drugs and Chemicals, I.C.19.e).
_DRUG_EVENT = re.compile(
    r"^(?:underdosing of|poisoning by|adverse effect of|toxic effect of)\s+(?P<what>[^,]+)", re.I
)


def conditions(question: str) -> list[str]:
    """The conditions a case question names, in its order; [] for a question with no case."""
    if not _CASE.search(question):
        return []
    text = _FRAME.sub(" ", _ASKING.sub(",", question.strip().rstrip("?.! ")))
    parts: list[str] = []
    for chunk in _BETWEEN.split(text):
        parts += _CAUSE.split(chunk)
    found = [_LEADING.sub("", " ".join(p.split())).strip(" -:?.") for p in parts]
    found = [p for p in found if len(re.findall(r"[A-Za-z]{3,}", p)) >= 1]
    if any(re.search(r"\bor\b", p, re.I) for p in found):
        return []  # "sepsis or the localized infection": a rule asked in general, no case

    return list(dict.fromkeys(found))[:MAX_CONDITIONS]


def case_lines(composer: Composer, question: str, sources: Sources) -> tuple[list[str], list[str]]:
    """The lines listing each named condition's best ICD-10-CM code, and those codes."""
    cs = composer.codesets.get("icd10cm")
    search = composer.searches.get("icd10cm")
    named = conditions(question)
    if cs is None or search is None or not named:
        return [], []
    lines: list[str] = []
    codes: list[str] = []
    for condition in named:
        hits = search.search_codes(condition, k=1)
        if not hits or not hits[0].billable or hits[0].dense < CASE_DENSE:
            continue
        hit = hits[0]
        if not fits_a_drug_event(condition, hit.description):
            continue  # "the underdosing" names no drug: its code is the drug's (I.C.19.e)
        hit.code_set = hit.code_set or cs.name
        if hit.code in codes:
            continue
        codes.append(hit.code)
        lines.append(f'- "{condition}": {code_line(cs, hit, sources)}')
    if not lines:
        return [], []
    head = (
        "\nCodes for the conditions the question names (each looked up on its own; sequence "
        "them as the rule above says, and check the record for detail they leave open):"
    )
    return [head, *lines], codes


def fits_a_drug_event(condition: str, title: str) -> bool:
    """False for a drug event's code ("Underdosing of cocaine") when the condition names
    none of its substance: such a code is chosen by the drug, never by the event alone."""
    drug = _DRUG_EVENT.match(title)
    return drug is None or bool(terms(drug["what"]) & terms(condition))
