"""Question routing: which knowledge a question needs (codes, notes, guidelines, career...)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.core.codeset import CodeSet
from assistant.text.tokens import words

LOOKUP, DETAIL, CHECK, GUIDELINE, CAREER, CPT, HCPCS, PCS, OPEN = (
    "lookup",
    "code",
    "check",
    "guideline",
    "career",
    "cpt",
    "hcpcs",
    "pcs",
    "open",  # not decided by its words: the chain compares what each collection finds
)

_CAREER = re.compile(
    r"\b(career|job|jobs|salary|salaries|earn|pay|paid|wage|income|hire|hiring|become|"
    r"certif\w*|cpc|coc|cic|crc|cpb|cca|ccs|ccs-p|rhit|rhia|aapc|ahima|exam|exams|ceus?|"
    r"degree|school|college|course|courses|study|studying|learn|learning|remote|work from home|"
    r"newcomer|beginner|entry[- ]level|outlook|ethic\w*|hipaa|upcoding|fraud|day[- ]to[- ]day|"
    r"coder do|coders do|practi[cs]e)\b",
    re.I,
)
# Asking which rule decides a case or between readings of it: "what is the principal
# diagnosis?", "which goes first?", "do I code the cancer or a history code?", "is that a
# poisoning or an adverse effect?", "should I assume they are related?", "by default?".
_RULE_ASK = (
    r"\b(?:principal|first[- ]listed) diagnos\w*|\bsequenc\w*"
    r"|\b(?:code[sd]?|list(?:ed)?|sequence[sd]?|report(?:ed)?|goes|go|comes?) first\b"
    r"|(?<!code )(?<!codes )\bdo (?:i|we|you) (?:also )?(?:code|report|assign)\b"
    r"|\b(?:should|do|must|can) (?:i|we|you) assume\b"
    r"|\bis (?:it|that|this) (?:coded |reported )?(?:as )?(?:an? )?[\w-]+(?: [\w-]+){0,3} or (?:an? )?\w+"
    r"|\b(?:coded|reported) separately\b|\bby default\b|\bin what order\b"
)
_GUIDELINE = re.compile(
    r"\b(guideline\w*|sequenc\w*|principal diagnosis|first[- ]listed|secondary diagnos\w*|"
    r"additional diagnos\w*|convention\w*|instruction\w*|excludes ?[12]|code also|code first|"
    r"use additional|placeholder|7th character|seventh character|alphabetic index|tabular list|"
    r"uncertain diagnos\w*|borderline|rule out|history of|late effect|sequela|"
    r"when (should|do|can|is|are|must)|how (should|do|is|are|must) (i|you|we)? ?(code|report|assign|sequence)|"
    r"is it (ok|okay|allowed|appropriate)|can i (code|report|assign|use)|should i (code|report|assign|use)|"
    r"what does .* mean|meaning of|required|requirement)\b"
    # A case to code: "how is a burn of the forearm coded?", "admitted with sepsis and pneumonia, which
    # first?", "what is the first-listed code?" asks for the rule that governs it.
    r"|\bhow (?:is|are|should|would|do|does|must) .{0,80}\b(?:coded|sequenced|reported|listed|assigned)\b"
    r"|\bwhich (?:\w+ )?(?:is |goes |comes |should be |gets )?(?:coded |listed |sequenced )?first\b"
    r"|\b(?:admitted|presents?|presented|seen) (?:with|for)\b|" + _RULE_ASK,
    re.I,
)
# Asking which rule decides a case is certain to be a rule question: no code title's closeness
# outweighs it ("...got dizzy from it. Is that a poisoning or an adverse effect?").
_RULE = re.compile(_RULE_ASK, re.I)
_LOOKUP_ASK = re.compile(
    r"\b(what|which) (is the )?(icd-?10(-cm)? )?codes? (is |would |should |do |for|fits?)|"
    r"^(icd-?10(-cm)? )?codes? (for|of)\b|\bcode for\b|\bhow (do|would|should) i code\b",
    re.I,
)
# "How do I code pink eye?" asks for a code; "How do I code diabetes when the type is not
# documented?" asks for a rule. The second names a circumstance; the first only a condition.
_HOW_CODE = re.compile(r"^\s*how (?:do|would|should|can) (?:i|you|we) code (?P<what>.+)$", re.I)
_CIRCUMSTANCE = re.compile(
    r"\b(when|if|whether|while|after|before|during|versus|vs|both|multiple|each|together|"
    r"sequenc\w*|principal|first[- ]listed|documented|unknown|stated|specified|patient)\b",
    re.I,
)
HOW_CODE_WORDS = 6  # a condition named in at most this many words
_PAIR = re.compile(r"\b(with|together|and|both|along|same time|alongside|plus)\b", re.I)
_DETAIL = re.compile(
    r"\b(what is|what's|tell me about|describe|details?|notes?|explain|mean|means|look ?up|"
    r"billable|valid)\b",
    re.I,
)
_CPT = re.compile(r"\bcpt\b|(?<![\w.])\d{4}[0-9FTU](?![\w.])", re.I)
_CPT_NUMBER = re.compile(r"(?<![\w.$,])\d{4}[0-9FTU](?![\w.,])")
_HCPCS = re.compile(r"\bhcpcs\b|\blevel ii\b", re.I)
_PCS = re.compile(r"\bicd-?10-?pcs\b|\bpcs\b|\binpatient procedure", re.I)
# A token with a digit that could be a code of some code set ("E11.65", "0DTJ4ZZ", "J0696").
_TOKEN = re.compile(r"(?<![\w.])(?=[\w.-]*\d)[A-Za-z0-9][A-Za-z0-9.]{2,7}-?(?![\w])")
# Words that only ask about a code, so a bare token among them is meant as one.
_ASKING = frozenset(
    [
        "what",
        "is",
        "whats",
        "what's",
        "s",
        "tell",
        "me",
        "about",
        "describe",
        "details",
        "detail",
        "explain",
        "mean",
        "means",
        "meaning",
        "look",
        "up",
        "lookup",
        "code",
        "codes",
        "the",
        "a",
        "an",
        "icd",
        "10",
        "cm",
        "please",
    ]
)
_QUESTION = re.compile(
    r"^(when|how|what|why|should|can|is|are|do|does|must|may|which|where)\b", re.I
)


# Code set registry names -> the route a question naming that set takes when it is not loaded.
_ROUTE_OF = {"cpt": CPT, "hcpcs": HCPCS, "icd10pcs": PCS}


@dataclass
class Route:
    """Where a question goes, with the codes it names (normalised; possibly invalid) and, for
    open questions, the cues its words give."""

    kind: str
    codes: list[str] = field(default_factory=list)
    career_cue: bool = False
    guideline_cue: bool = False
    question_like: bool = False
    mentions: str = ""  # "cpt", "hcpcs" or "pcs" when the question names that code set
    scores: dict[str, float] = field(default_factory=dict)  # set by the chain for open ones
    passages: dict[str, list[Any]] = field(default_factory=dict)  # what routing found, by kind


def code_tokens(text: str, codesets: Sequence[CodeSet]) -> tuple[list[str], str]:
    """The codes a question names (canonical when valid, as written when not), in order and
    without repeats, and the question's words without them.

    Each code set finds its own codes in the text. A bare code-shaped token that no code set
    claims still counts when nothing but asking words surrounds it ("what is E15?").
    """
    spans: dict[tuple[int, int], str] = {}
    for cs in codesets:
        for m in cs.mentions(text):
            if any(s <= m.start and m.end <= e for s, e in spans):
                continue
            spans[(m.start, m.end)] = m.code or (cs.normalize(m.text) or m.text)
    for token in _TOKEN.finditer(text):
        if any(s <= token.start() < e for s, e in spans):
            continue
        rest = _TOKEN.sub(" ", text[: token.start()] + " " + text[token.end() :])
        if not set(words(rest)) <= _ASKING:
            continue
        found = next((c for cs in codesets if (c := cs.normalize(token.group(0)))), None)
        if found:
            spans[(token.start(), token.end())] = found
    codes = list(dict.fromkeys(spans[k] for k in sorted(spans)))
    rest = text
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    return codes, rest


def route(question: str, codesets: Sequence[CodeSet]) -> Route:
    """Decide how to answer from the words alone where they are clear; otherwise ``OPEN``."""
    codes, words = code_tokens(question, codesets)
    mentions = (
        CPT
        if _CPT.search(question)
        else HCPCS
        if _HCPCS.search(question)
        else PCS
        if _PCS.search(question)
        else ""
    )
    wants_code = bool(_LOOKUP_ASK.search(question) or _CPT_NUMBER.search(question))
    if mentions and wants_code and not codes:
        # A code set that is loaded is searched; one that is not gets a notice saying why.
        loaded = mentions in {_ROUTE_OF.get(cs.name) for cs in codesets}
        return Route(LOOKUP if loaded else mentions, codes, mentions=mentions)
    if len(codes) >= 2 and _PAIR.search(words):
        return Route(CHECK, codes)
    if codes and (_DETAIL.search(words) or not any(ch.isalpha() for ch in words)):
        return Route(DETAIL, codes)
    career = bool(_CAREER.search(question))
    guideline = bool(_GUIDELINE.search(question))
    how = _HOW_CODE.match(question)
    if how and not career and not codes:
        what = how["what"].strip(" ?.!")
        if len(what.split()) <= HOW_CODE_WORDS and not _CIRCUMSTANCE.search(what):
            return Route(LOOKUP, codes)
    if _LOOKUP_ASK.search(question) and not guideline and not career:
        return Route(LOOKUP, codes)
    if _RULE.search(question) and not career and not codes:
        return Route(GUIDELINE, codes, guideline_cue=True)
    if codes and not (career or guideline):
        return Route(DETAIL, codes)
    question_like = bool(_QUESTION.search(question.strip()) or question.strip().endswith("?"))
    return Route(OPEN, codes, career, guideline, question_like, mentions)
