"""Choosing the value of each character 4-7 of a table row from the words of a description.

Every value is scored by what the description says for it: the words of its label, the terms
the Definitions list as included in it ("Medial meniscus" is in the Knee Joint), the values the
Index says to use ("Foley catheter -> use Drainage Device"), the approach the description
names (see ``approach``) and, for a body part, the side. A value nothing speaks for gets only
a small prior: the share of the section's rows that allow it, so that "No Device" and "No
Qualifier" (the values CMS uses most) win when the description gives no reason for another,
and the choice is reported as open rather than guessed silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from assistant.codesets.icd10pcs.approach import EXTERNAL, WEAK, ApproachCue, approach_score
from assistant.codesets.icd10pcs.definitions import Definitions, scope_of
from assistant.codesets.icd10pcs.leads import ValueHint
from assistant.codesets.icd10pcs.tables import Axis, PcsTable, PcsTables
from assistant.codesets.icd10pcs.words import SIDE_WORDS, Words, content_stems, same, tokens

# Weights, chosen on knowledge/eval/pcs_dev.jsonl. A label the description names in full
# (coverage 1) outscores any single extra word; words read from word parts or synonyms, and
# words the Index path adds, count for less than words the description says.
COVER = 2.0
WORD = 0.5
DERIVED = 0.6  # share of a said word's weight for a word found through parts or synonyms
HINTED = 0.5  # share for a word only the Index path names ("Vertical (sleeve)")
INCLUDED = 2.5  # an included term ("Vermiform appendix") said in full
USE = 2.0  # the Index says to use this value for a term the description names
SIDE_MATCH = 1.0
SIDE_CLASH = 3.0
SIDE_UNSAID = 0.3  # a sided value when the description names no side: less fitting

RANGE = 2.5  # a number the description gives falls in the label's range ("24-96 ... Hours")
NONE_BASE = 0.3  # "No Device", "No Qualifier", "None": the value when nothing else is said
PRIOR = 0.3  # times the share of the section's rows allowing the value
NEGATED = 2.0  # a value the description says is absent ("without mesh")
# ICD-10-PCS Official Guidelines B5.3a: a procedure within an orifice on structures visible
# without instruments takes the External approach (example: resection of tonsils). The mouth
# parts the Mouth and Throat tables allow External for are those structures; with no approach
# named, External gets WEAK evidence, so any route or instrument the description names wins.
ORIFICE = WEAK
ORIFICE_REASON = "seen within the mouth without instruments (ICD-10-PCS guideline B5.3a)"
ORIFICE_PARTS = frozenset(
    {
        "Upper Lip",
        "Lower Lip",
        "Hard Palate",
        "Soft Palate",
        "Buccal Mucosa",
        "Upper Gingiva",
        "Lower Gingiva",
        "Tongue",
        "Uvula",
        "Tonsils",
        "Adenoids",
        "Upper Tooth",
        "Lower Tooth",
    }
)
# The label's head noun said: "right upper lobe" is a Lobe ("Upper Lung Lobe"), not a
# Bronchus ("Upper Lobe Bronchus"), though both labels share two of its words.
HEAD = 0.5
_NONE = re.compile(r"^(No [A-Z][a-z]+|None)$")
_SITE_TITLES = ("Body Part", "Body Region", "Body System / Region", "Treatment Site")
_DIAGNOSTIC = ("diagnost", "biops")
_RANGE = re.compile(r"(\d+)\s*(?:-|to)\s*(\d+)|less than (\d+)|greater than (\d+)", re.I)


@dataclass(frozen=True)
class Evidence:
    """What a description (and the Index path that led to a table) says about values."""

    words: Words
    hints: frozenset[str]
    uses: tuple[ValueHint, ...]
    approach: Mapping[str, ApproachCue]
    definitions: Definitions | None
    prevalence: Mapping[tuple[str, int, str], float]
    part_sided: bool = True  # the row's body parts carry the side (else a qualifier may)
    in_orifice: bool = False  # the row's body parts are seen in the mouth without a scope


@dataclass(frozen=True)
class Choice:
    """One value of one axis, scored, with the reason a coder would give for it."""

    position: int
    name: str
    value: str
    label: str
    score: float
    reason: str
    settled: bool  # False when nothing in the description decided it
    used: frozenset[str] = frozenset()  # the description's stems this value took


def choices(table: PcsTable, axis: Axis, evidence: Evidence, allowed: str = "") -> list[Choice]:
    """The values of ``axis`` (only ``allowed`` when given), best first."""
    scored = [
        _choice(table, axis, value, label, evidence)
        for value, label in axis.labels.items()
        if not allowed or value == allowed
    ]
    scored.sort(key=lambda c: -c.score)
    return scored


def _choice(table: PcsTable, axis: Axis, value: str, label: str, evidence: Evidence) -> Choice:
    """Score one value of one axis."""
    section = table.code[0]
    prior = PRIOR * evidence.prevalence.get((section, axis.position, label), 0.0)
    if axis.title == "Approach":
        score, said = approach_score(label, evidence.approach)
        reason = f"the description says {said}" if said else ""
        if not said and label == EXTERNAL and evidence.in_orifice:
            score += ORIFICE
            reason = ORIFICE_REASON
        return _finish(axis, value, label, score + prior, reason, "no approach is named")
    if _NONE.match(label) or label == _default(axis, section, evidence):
        if not _NONE.match(label):
            score, reasons, used = _label_score(label, evidence)
            extra, extra_used = _extras(table, axis, label, evidence, reasons)
            reason = "; ".join(reasons)
            default = f"nothing in the description decides the {axis.title.lower()}"
            total = score + extra + NONE_BASE + prior
            return _finish(axis, value, label, total, reason, default, used | extra_used)
        return _finish(
            axis,
            value,
            label,
            NONE_BASE + prior,
            "",
            f"nothing in the description calls for a {axis.title.lower()} value",
        )
    score, reasons, used = _label_score(label, evidence)
    extra, extra_used = _extras(table, axis, label, evidence, reasons)
    score += extra
    if (axis.position == 4 and axis.title in _SITE_TITLES) or (
        axis.position == 7 and not evidence.part_sided
    ):
        score += _side(label, evidence.words.side, reasons)
    reason = "; ".join(reasons)
    return _finish(axis, value, label, score + prior, reason, "", used | extra_used)


def _default(axis: Axis, section: str, evidence: Evidence) -> str:
    """The value a device or qualifier takes when nothing is said ("" for a row with None)."""
    # The value the section's rows allow most often is the general one: "Synthetic
    # Substitute" before "Synthetic Substitute, Ceramic".
    if axis.position not in (6, 7):
        return ""
    labels = list(axis.labels.values())
    if any(_NONE.match(label) for label in labels):
        return ""
    return max(
        labels, key=lambda label: evidence.prevalence.get((section, axis.position, label), 0.0)
    )


def _finish(
    axis: Axis,
    value: str,
    label: str,
    score: float,
    reason: str,
    default: str,
    used: frozenset[str] = frozenset(),
) -> Choice:
    """A Choice; unsettled when no reason was found (the default reason then explains)."""
    settled = bool(reason) and "side not stated" not in reason
    return Choice(axis.position, axis.title, value, label, score, reason or default, settled, used)


def _label_score(label: str, evidence: Evidence) -> tuple[float, list[str], frozenset[str]]:
    """A label's score by the words it shares with the description, its reasons, stems used."""
    stems = [s for s in content_stems(label) if s.lower() not in SIDE_WORDS]
    if not stems:
        return 0.0, [], frozenset()
    words = evidence.words
    said = [s for s in stems if words.has(s, derived=False)]
    derived = [s for s in stems if s not in said and words.has(s)]
    hinted = [
        s
        for s in stems
        if s not in said and s not in derived and any(same(s, h) for h in evidence.hints)
    ]
    negated = [s for s in stems if s in words.negated and s not in said]
    weight = len(said) + DERIVED * len(derived) + HINTED * len(hinted)
    score = COVER * weight / len(stems) + WORD * weight - NEGATED * len(negated)
    head = _head(label)
    if head in said:
        score += HEAD
    elif head in derived:
        score += HEAD * DERIVED
    reasons = []
    if said or derived:
        reasons.append("the description names " + ", ".join(_words_of(label, said + derived)))
    if hinted:
        reasons.append("the Index entry names " + ", ".join(_words_of(label, hinted)))
    if negated:
        reasons.append("the description excludes " + ", ".join(_words_of(label, negated)))
    used = frozenset(w for s in said + derived for w in words.stems | words.derived if same(s, w))
    return score, reasons, used


def _head(label: str) -> str:
    """The stem of a label's head noun: the last word before any comma ("Lobe")."""
    stems = content_stems(label.split(",")[0])
    return stems[-1] if stems else ""


def _extras(
    table: PcsTable, axis: Axis, label: str, evidence: Evidence, reasons: list[str]
) -> tuple[float, frozenset[str]]:
    """Included terms, Index 'use' entries, number ranges and 'Diagnostic'; stems used."""
    score = 0.0
    used: frozenset[str] = frozenset()
    words = evidence.words
    if label == "Diagnostic" and any(words.has(s) or s in evidence.hints for s in _DIAGNOSTIC):
        score += COVER
        reasons.append("the description is diagnostic (a biopsy or diagnostic procedure)")
    included = _included(table, axis, label, evidence)
    if included:
        score += INCLUDED + WORD * len(content_stems(included))
        reasons.append(f"the Definitions include {included!r} in {label}")
        used = frozenset(w for s in content_stems(included) for w in words.stems if same(s, w))
    aggregate = _aggregated(table, axis, label, evidence)
    if aggregate:
        score += INCLUDED
        reasons.append(f"the Definitions report {aggregate!r} as {label} here")
    for hint in evidence.uses:
        if scope_of(hint.label).label.casefold() == label.casefold():
            score += USE
            reasons.append(f"Index: {hint.entry.text} -> use {hint.label}")
            break
    if _in_range(label, words.numbers):
        score += RANGE
        reasons.append(f"{_number(words.numbers)} falls in {label}")
    return score, used


def _included(table: PcsTable, axis: Axis, label: str, evidence: Evidence) -> str:
    """The included term of ``label`` the description says in full ("" when none)."""
    if evidence.definitions is None:
        return ""
    term = evidence.definitions.term(table.code[0], axis.position, label, table.label(2))
    best = ""
    for phrase in term.includes if term else ():
        stems = content_stems(phrase)
        if stems and all(evidence.words.has(s, derived=False) for s in stems):
            best = max(best, phrase, key=len)
    return best


def _aggregated(table: PcsTable, axis: Axis, label: str, evidence: Evidence) -> str:
    """A specific device named in the description that the aggregation table reports as label."""
    # "Pacemaker, Dual Chamber" is reported as Cardiac Rhythm Related Device in some tables.
    if axis.position != 6 or evidence.definitions is None:
        return ""
    offered = set(axis.labels.values())
    for aggregate in evidence.definitions.aggregates:
        if aggregate.parent != label or table.label(2) not in aggregate.body_systems:
            continue
        if aggregate.device in offered:  # the row has the specific value itself
            continue
        if aggregate.operation not in ("All applicable", table.label(3)):
            continue
        stems = content_stems(aggregate.device)
        if stems and all(evidence.words.has(s) for s in stems):
            return aggregate.device
    return ""


def _side(label: str, said: str, reasons: list[str]) -> float:
    """A sided body part against the side the description names."""
    sides = {SIDE_WORDS[t] for t in tokens(label) if t in SIDE_WORDS}
    if not sides:
        return 0.0
    if not said:
        reasons.append("side not stated")
        return -SIDE_UNSAID
    if said in sides:
        reasons.append(f"side {said.lower()}")
        return SIDE_MATCH
    return -SIDE_CLASH


def _in_range(label: str, numbers: Iterable[float]) -> bool:
    """Whether a number of the description falls in a range the label states."""
    for match in _RANGE.finditer(label):
        low, high, below, above = match.groups()
        for n in numbers:
            if (
                (low and float(low) <= n <= float(high))
                or (below and n < float(below))
                or (above and n > float(above))
            ):
                return True
    return False


def _number(numbers: Iterable[float]) -> str:
    """The description's numbers as written ('36')."""
    return ", ".join(f"{n:g}" for n in numbers)


def _words_of(label: str, stems: Iterable[str]) -> list[str]:
    """The label's own words behind some of its stems, for a readable reason."""
    wanted = set(stems)
    found = [t for t in tokens(label) if set(content_stems(t)) & wanted]
    return list(dict.fromkeys(found)) or sorted(wanted)


@lru_cache(maxsize=4)
def prevalence(tables: PcsTables) -> Mapping[tuple[str, int, str], float]:
    """(section, position, label) -> share of the section's rows allowing that value."""
    rows: dict[str, int] = {}
    counts: dict[tuple[str, int, str], int] = {}
    for code, table in tables.tables.items():
        for row in table.rows:
            rows[code[0]] = rows.get(code[0], 0) + 1
            for axis in row.axes:
                for label in axis.labels.values():
                    key = (code[0], axis.position, label)
                    counts[key] = counts.get(key, 0) + 1
    return {key: count / rows[key[0]] for key, count in counts.items()}
