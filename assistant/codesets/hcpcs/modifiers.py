"""Modifiers a biller names in words: "right knee" -> RT, "ABN on file" -> GA, "requirements
met" -> KX. Each mapping is one whose CMS descriptor says so; its words are quoted from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RELEASE = "HCPCS Level II modifier descriptors, CMS, January 2026"
CPT = "CPT Level I modifier (AMA CPT Appendix A; not in the CMS HCPCS Level II file)"


@dataclass(frozen=True)
class Rule:
    """Words that name one modifier, with the descriptor words that say so."""

    modifier: str
    words: str  # regular expression, matched as whole words, case-insensitively
    quote: str  # the descriptor's own words (HCPCS Level II, or CPT for in_hcpcs=False)
    in_hcpcs: bool = True
    note: str = ""  # where the mapping needs more than the descriptor, its source

    @property
    def source(self) -> str:
        return f"{CPT if not self.in_hcpcs else RELEASE}, {self.modifier}: '{self.quote}'" + (
            f"; {self.note}" if self.note else ""
        )


@dataclass(frozen=True)
class ModifierHint:
    """A modifier the question names in words, with the words and where the mapping comes from."""

    modifier: str
    said: str
    source: str
    in_hcpcs: bool = True  # False for CPT modifiers (50, 59, 26): AMA's, not in the CMS file


_BODY = (
    r"side|sided|knee|knees|leg|arm|hand|wrist|elbow|shoulder|hip|ankle|foot|heel|thigh|calf|"
    r"eye|ear|breast|lung|kidney|upper|lower|extremity|limb|toe|finger|thumb"
)
_ABN = r"abn|advance\s+beneficiary\s+notice"
_ABN_SOURCE = "CMS MLN006266, Medicare Advance Written Notices of Non-coverage: the ABN (CMS-R-131)"
_X_SOURCE = "CMS MLN1783722, Proper Use of Modifiers 59 & -X{EPSU}"

RULES: tuple[Rule, ...] = (
    Rule("RT", rf"(?:right|rt)(?=[\s-]+(?:{_BODY})\b)|on\s+the\s+right|right-sided", "right side"),
    Rule("LT", rf"(?:left|lt)(?=[\s-]+(?:{_BODY})\b)|on\s+the\s+left|left-sided", "left side"),
    Rule(
        "GZ",
        rf"(?:no|without(?:\s+an?)?|missing|unsigned)\s+(?:{_ABN}|waiver)|(?:{_ABN})\s+(?:was\s+)?"
        r"not\s+(?:signed|obtained|on\s+file|given)|expected\s+to\s+be\s+denied",
        "expected to be denied as not reasonable and necessary",
        note=f"{_ABN_SOURCE}: GZ when a required ABN was not issued",
    ),
    Rule("GX", rf"voluntary\s+(?:{_ABN}|notice)", "notice of liability issued, voluntary"),
    Rule(
        "GA",
        rf"{_ABN}|(?:signed\s+|liability\s+)?waiver(?:\s+of\s+liability)?",
        "waiver of liability statement issued as required by payer policy",
        note=f"{_ABN_SOURCE} is that statement",
    ),
    Rule(
        "GY",
        r"statutorily\s+excluded|excluded\s+by\s+statute|not\s+a\s+medicare\s+benefit",
        "statutorily excluded, does not meet the definition of any medicare benefit",
    ),
    Rule(
        "KX",
        r"requirements\s+(?:\w+\s+){0,4}(?:have\s+been|are|were)\s+met|requirements\s+met"
        r"|documentation\s+(?:is\s+)?on\s+file",
        "requirements specified in the medical policy have been met",
    ),
    Rule(
        "59",
        r"distinct\s+procedural\s+service|distinct\s+procedure",
        "distinct procedural service",
        in_hcpcs=False,
        note=f"{_X_SOURCE}: use XE, XP, XS or XU instead where one describes the service",
    ),
    Rule(
        "XS",
        r"(?:separate|different)\s+(?:organ|structure|anatomic(?:al)?\s+site)",
        "performed on a separate organ/structure",
        note=_X_SOURCE,
    ),
    Rule("XE", r"(?:separate|different)\s+encounter", "occurred during a separate encounter"),
    Rule(
        "XP",
        r"(?:separate|different)\s+(?:practitioner|provider|physician)",
        "performed by a different practitioner",
    ),
    Rule("XU", r"unusual\s+non-?overlapping\s+service|does\s+not\s+overlap", "does not overlap"),
    Rule("KH", r"(?:first|1st|initial)\s+month(?:'?s)?\s+rental", "first month rental"),
    Rule(
        "KI", r"(?:second|2nd|third|3rd)\s+month(?:'?s)?\s+rental", "second or third month rental"
    ),
    Rule(
        "KJ",
        r"months?\s+(?:4|four)\s*(?:-|to|through)\s*(?:15|fifteen)",
        "capped rental, months four to fifteen",
    ),
    Rule("RR", r"rental|rent(?:ed|ing)?", "when dme is to be rented"),
    Rule("NU", r"new\s+equipment|purchased?\s+new|brand\s+new", "new equipment"),
    Rule("UE", r"used\s+(?:equipment|dme|durable\s+medical\s+equipment)", "used durable medical"),
    Rule(
        "JZ",
        r"(?:no|zero|none|nothing)\s+(?:of\s+the\s+)?(?:drug\s+)?(?:was\s+)?"
        r"(?:wasted|waste|wastage|discarded)",
        "zero drug amount discarded",
    ),
    Rule("JW", r"(?:drug\s+)?(?:wasted|waste|wastage|discarded)", "drug amount discarded"),
    Rule("QW", r"clia[\s-]+waived", "clia waived test"),
    Rule("TC", r"technical\s+component", "technical component"),
    Rule("26", r"professional\s+component", "professional component", in_hcpcs=False),
    Rule("GP", r"(?:physical\s+therapy|pt)\s+plan\s+of\s+care", "physical therapy plan of care"),
    Rule("GO", r"(?:occupational\s+therapy|ot)\s+plan\s+of\s+care", "occupational therapy plan"),
    Rule(
        "GN",
        r"(?:speech(?:[\s-]+language)?(?:\s+pathology|\s+therapy)?|slp)\s+plan\s+of\s+care",
        "speech language pathology plan of care",
    ),
    Rule(
        "KS",
        r"not\s+(?:treated\s+with|using|on)\s+insulin|non-?insulin(?:[\s-]+(?:dependent|treated))?",
        "diabetic beneficiary not treated with insulin",
    ),
    Rule(
        "EY",
        r"(?:no|without\s+an?)\s+(?:(?:physician|provider|doctor)'?s?\s+)?order",
        "no physician or other licensed health care provider order",
    ),
    Rule(
        "GC",
        r"teaching\s+physician|(?:by|with)\s+(?:a\s+)?resident",
        "under the direction of a teaching physician",
    ),
    Rule("LD", r"left\s+anterior\s+descending|lad", "left anterior descending coronary artery"),
    Rule("LC", r"left\s+circumflex", "left circumflex coronary artery"),
    Rule("LM", r"left\s+main(?:\s+coronary)?\s+artery", "left main coronary artery"),
    Rule("RC", r"right\s+coronary\s+artery|rca", "right coronary artery"),
    Rule("RI", r"ramus(?:\s+intermedius)?", "ramus intermedius coronary artery"),
)
# Where two rules read the same words the narrower wins: "no ABN" is GZ, not GA; "zero waste"
# is JZ, not JW. (A first month's rental is KH with RR: both stay.)
_SHADOWS = {"GA": {"GZ", "GX"}, "JW": {"JZ"}}

# CMS digit and eyelid modifiers (descriptors "Left hand, thumb" FA, "Left hand, second digit"
# F1 ... "Right foot, fifth digit" T9; "Upper left, eyelid" E1 ... "Lower right, eyelid" E4).
_DIGIT_CODES = {
    ("left", "hand"): ("FA", "F1", "F2", "F3", "F4"),
    ("right", "hand"): ("F5", "F6", "F7", "F8", "F9"),
    ("left", "foot"): ("TA", "T1", "T2", "T3", "T4"),
    ("right", "foot"): ("T5", "T6", "T7", "T8", "T9"),
}
_DIGIT_INDEX = {"thumb": 0, "great": 0, "big": 0, "index": 1, "second": 1, "middle": 2}
_DIGIT_INDEX |= {"third": 2, "ring": 3, "fourth": 3, "little": 4, "pinky": 4, "fifth": 4}
_DIGIT = re.compile(
    r"\b(?P<side>left|right|lt|rt)\s+(?:(?P<limb>hand|foot)\s*,?\s*)?"
    r"(?P<digit>thumb|great|big|index|second|middle|third|ring|fourth|little|pinky|fifth)"
    r"(?:\s+(?P<noun>finger|toe|digit))?\b",
    re.I,
)
_EYELIDS = {("upper", "left"): "E1", ("lower", "left"): "E2"}
_EYELIDS |= {("upper", "right"): "E3", ("lower", "right"): "E4"}
_EYELID = re.compile(
    r"\b(?:(?P<a>upper|lower)\s+(?P<b>left|right)|(?P<c>left|right)\s+(?P<d>upper|lower))"
    r"\s+(?:eye\s*)?lid\b",
    re.I,
)
_BILATERAL = re.compile(
    r"\b(?:bilateral(?:ly)?|both\s+(?:sides|knees|legs|arms|hands|feet|ankles|wrists|elbows|"
    r"shoulders|hips|eyes|ears|breasts)|left\s+and\s+right|right\s+and\s+left|rtlt|ltrt)\b",
    re.I,
)
# Items billed per side (orthoses, prostheses, DME) take RT and LT; a procedure takes 50.
_ITEM = re.compile(
    r"\b(?:orthos[ie]s|orthotics?|braces?|prosthes[ie]s|prosthetics?|splints?|shoes?|inserts?|"
    r"insoles?|stockings?|garments?|boots?|sockets?|liners?|crutch(?:es)?|wheelchairs?|walkers?)\b"
    r"|\b[ALEK]\d{4}\b",
    re.I,
)
_BILATERAL_ITEM = (
    "DME MAC joint publication 'Right (RT) and Left (LT) Modifiers - Use and Billing': the same "
    "item for both sides goes on one claim line with RTLT and 2 units"
)
_BILATERAL_PROCEDURE = Rule(
    "50", "", "bilateral procedure", in_hcpcs=False, note="CMS Pub. 100-04 ch. 12 §40.7"
)
_COMPILED = tuple(
    (rule, re.compile(rf"(?<![\w-])(?:{rule.words})(?![\w-])", re.I)) for rule in RULES
)


def modifiers_named(text: str, item: bool | None = None) -> list[ModifierHint]:
    """Modifiers the question names in words, in the order it names them.

    ``item`` says whether the code is an item billed per side (orthosis, prosthesis, DME); left
    as None it is read from the words ("knee brace", an L code). A bilateral item is RT and LT,
    a bilateral procedure modifier 50.
    """
    hints: list[tuple[int, ModifierHint]] = []
    taken: list[tuple[int, int]] = []  # words already read as a digit, eyelid or both sides
    for match in _DIGIT.finditer(text):
        side = "left" if match.group("side").lower() in {"left", "lt"} else "right"
        digit = match.group("digit").lower()
        noun = (match.group("noun") or "").lower()
        toe = noun == "toe" or digit in {"great", "big"}
        limb = (match.group("limb") or ("foot" if toe else "hand")).lower()
        code = _DIGIT_CODES[(side, limb)][_DIGIT_INDEX[digit]]
        hints.append((match.start(), ModifierHint(code, match.group(0), f"{RELEASE}, {code}")))
        taken.append(match.span())
    for match in _EYELID.finditer(text):
        level = (match.group("a") or match.group("d")).lower()
        side = (match.group("b") or match.group("c")).lower()
        code = _EYELIDS[(level, side)]
        hints.append((match.start(), ModifierHint(code, match.group(0), f"{RELEASE}, {code}")))
        taken.append(match.span())
    if both := _BILATERAL.search(text):
        taken.append(both.span())
        if _ITEM.search(text) if item is None else item:
            hints += [
                (both.start(), ModifierHint(m, both.group(0), _BILATERAL_ITEM))
                for m in ("RT", "LT")
            ]
        else:
            rule = _BILATERAL_PROCEDURE
            hints.append((both.start(), ModifierHint("50", both.group(0), rule.source, False)))
    found: dict[str, tuple[int, ModifierHint]] = {}
    for rule, pattern in _COMPILED:
        for match in pattern.finditer(text):
            if not any(a <= match.start() < b for a, b in taken):
                hint = ModifierHint(rule.modifier, match.group(0), rule.source, rule.in_hcpcs)
                found.setdefault(rule.modifier, (match.start(), hint))
                break
    for code, narrower in _SHADOWS.items():
        if code in found and narrower & set(found):
            del found[code]
    named = {hint.modifier for _, hint in hints}
    hints += [pair for code, pair in found.items() if code not in named]
    return [hint for _, hint in sorted(hints, key=lambda pair: pair[0])]
