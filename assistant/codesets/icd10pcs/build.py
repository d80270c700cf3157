"""Building complete ICD-10-PCS codes from a procedure description, the way a coder does.

The Index leads from the description's words to a table or a code prefix (``leads``); the
root operation is read from the description, the Definitions and the Index
(``operations``); each remaining character (body part, approach, device, qualifier) is chosen
from the row's values by what the description says for it (``axes``). Every candidate is a
code some row of the tables allows, so it passes validation. Axes nothing in the description
decides are reported as open, with their options, instead of being guessed silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.codesets.icd10pcs.approach import approach_cues
from assistant.codesets.icd10pcs.axes import (
    ORIFICE_PARTS,
    Choice,
    Evidence,
    choices,
    prevalence,
)
from assistant.codesets.icd10pcs.definitions import Definitions
from assistant.codesets.icd10pcs.index import IndexEntry, PcsIndex
from assistant.codesets.icd10pcs.leads import Lead, ValueHint, find_leads
from assistant.codesets.icd10pcs.operations import TITLE as TITLE_SAID
from assistant.codesets.icd10pcs.operations import (
    OperationCue,
    operation_adjustment,
    operation_cues,
)
from assistant.codesets.icd10pcs.tables import PcsRow, PcsTable, PcsTables
from assistant.codesets.icd10pcs.words import SIDE_WORDS, Words, analyse, content_stems, tokens

DEFAULT_LIMIT = 10
# Leads completed, best first, and values kept per axis: chosen on knowledge/eval/pcs_dev.jsonl
# (more leads changed no top-5 there and cost time; two values per axis give the runner-up
# codes a coder would weigh).
MAX_LEADS = 60
PER_AXIS = 2
# Guideline B3.11a: an inspection done to reach the objective of another procedure is not
# coded. An Inspection table loses this much when the Index also leads to another operation
# at least INSPECTION_RATIO as strongly (chosen on knowledge/eval/pcs_dev.jsonl).
INSPECTION = 3.0
INSPECTION_RATIO = 0.7
INSPECTION_SAID = 6.0  # when the description names that other operation outright
# Imaging sections (B Imaging, C Nuclear Medicine): imaging done for a procedure the
# description also names is demoted the same way.
IMAGING = frozenset("BC")
# The Index as an authority: each character an entry gives adds SPECIFIC, and a character it
# gives for an entry the description says in full scores at least FIXED (chosen on
# knowledge/eval/pcs_dev.jsonl: a full Index code beats a completion that reuses its words).
SPECIFIC = 0.25
FIXED = 1.5
# Change, Removal and Revision act on a device already in place (their definitions): a
# candidate whose device the description does not name loses this much (dev-set choice).
ON_DEVICE = frozenset({"Change", "Removal", "Revision"})
# Tables reached by a root operation alone, without an Index entry, start this far behind
# the operation's own evidence (dev-set choice: they fill gaps, never outrank the Index).
OPERATION_LEAD = 0.5
DEVICE_UNSAID = 1.5


@dataclass(frozen=True)
class AxisReason:
    """Why one character of a candidate has its value."""

    position: int
    name: str
    value: str
    label: str
    reason: str
    settled: bool  # False when the description left this character open


@dataclass(frozen=True)
class Candidate:
    """One complete, valid code for the description."""

    code: str
    description: str
    score: float
    axes: tuple[AxisReason, ...]


@dataclass(frozen=True)
class OpenAxis:
    """A character of the best code the description does not decide, and its options."""

    position: int
    name: str
    chosen: str  # "Z No Device"
    options: tuple[tuple[str, str], ...]  # (value, label) the row allows
    note: str


@dataclass(frozen=True)
class IndexCitation:
    """An Index entry used to reach a candidate: its trail and the code prefix it gives."""

    text: str
    codes: str
    line: str


@dataclass(frozen=True)
class BuildResult:
    """Ranked candidates, the axes left open, and the Index entries behind them."""

    question: str
    candidates: tuple[Candidate, ...]
    open_axes: tuple[OpenAxis, ...]
    index_entries: tuple[IndexCitation, ...]

    @property
    def codes(self) -> list[str]:
        """The candidate codes, best first."""
        return [candidate.code for candidate in self.candidates]


@dataclass(frozen=True)
class _Scored:
    """A candidate being ranked, with what it came from."""

    code: str
    score: float
    choices: tuple[Choice, ...]
    operation: str
    row: PcsRow
    lead: Lead


def build(
    question: str,
    tables: PcsTables,
    definitions: Definitions | None,
    index: PcsIndex,
    limit: int = DEFAULT_LIMIT,
) -> BuildResult:
    """Complete, valid ICD-10-PCS codes for a procedure description, best first."""
    words = analyse(question)
    leads, uses = find_leads(words, index)
    evidence = Evidence(
        words, frozenset(), tuple(uses), approach_cues(words), definitions, prevalence(tables)
    )
    cues = operation_cues(words, definitions, index)
    leads = leads[:MAX_LEADS] + _operation_leads(cues, tables, words)
    scored = _rank(leads, tables, words, evidence, cues)
    best = scored[:limit]
    candidates = tuple(_candidate(s, tables) for s in best)
    open_axes = _open_axes(best[0], tables) if best else ()
    return BuildResult(question, candidates, open_axes, _citations(best, uses))


def _rank(
    leads: Sequence[Lead],
    tables: PcsTables,
    words: Words,
    evidence: Evidence,
    cues: dict[str, OperationCue],
) -> list[_Scored]:
    """Every code the leads complete to, best score per code, best first."""
    strongest = _strongest_by_operation(leads, tables)
    found: dict[str, _Scored] = {}
    for lead in leads:
        table = tables.table(lead.prefix)
        if table is None:
            continue
        operation = _operation_score(table, words, cues, strongest)
        lead_evidence = replace(evidence, words=words.without(operation.used), hints=lead.hints)
        for item in _complete(lead, table, lead_evidence, operation):
            if not lead.entries and not item.choices[0].settled:
                continue  # a table reached by the operation alone needs a body part said
            if item.code not in found or item.score > found[item.code].score:
                found[item.code] = item
    return sorted(found.values(), key=lambda s: (-s.score, s.code))


def _operation_leads(cues: dict[str, OperationCue], tables: PcsTables, words: Words) -> list[Lead]:
    """Leads into every table of a root operation the description names."""
    # For terms the Index does not list ("orchiectomy" where it says "Orchidectomy") a coder
    # turns to the tables of the operation; they start OPERATION_LEAD behind its evidence.
    return [
        Lead(code, cue.score - OPERATION_LEAD, ())
        for title, cue in cues.items()
        for code, table in tables.tables.items()
        if table.label(3) == title and cue.score > OPERATION_LEAD and _names_a_part(table, words)
    ]


def _names_a_part(table: PcsTable, words: Words) -> bool:
    """Whether the description says a word of one of the table's body parts."""
    return any(
        words.has(s)
        for row in table.rows
        for label in row.axes[0].labels.values()
        for s in content_stems(label)
    )


def _strongest_by_operation(leads: Sequence[Lead], tables: PcsTables) -> list[_Reach]:
    """How each lead reaches its table: operation, whether it only looks, score, words."""
    found = []
    for lead in leads:
        table = tables.table(lead.prefix)
        if table is not None:
            found.append(_Reach(table.label(3), _looks(table), lead.score, lead.said))
    return found


@dataclass(frozen=True)
class _Reach:
    """One lead's root operation, whether it only looks, its score and the words it took."""

    operation: str
    looks: bool
    score: float
    said: frozenset[str]


def _looks(table: PcsTable) -> bool:
    """Whether a table only looks (Inspection, imaging) rather than treats."""
    return table.label(3) == "Inspection" or table.code[0] in IMAGING


def _operation_score(
    table: PcsTable,
    words: Words,
    cues: dict[str, OperationCue],
    strongest: list[_Reach],
) -> OperationCue:
    """Evidence for a table's root operation, the reason, and the words that gave it."""
    title = table.label(3)
    cue = cues.get(title)
    score = cue.score if cue else 0.0
    reasons = [cue.reason] if cue else []
    adjustment, why = operation_adjustment(title, words)
    if why:
        score += adjustment
        reasons.append(why)
    if _looks(table):
        said = any(c.used and c.score >= TITLE_SAID for op, c in cues.items() if op != title)
        if said or _serves_another(title, strongest):
            score -= INSPECTION_SAID if said else INSPECTION
            reasons.append(f"the {title.lower()} serves another procedure (guideline B3.11a)")
    return OperationCue(score, "; ".join(reasons), cue.used if cue else frozenset())


def _serves_another(title: str, reaches: list[_Reach]) -> bool:
    """Whether words the look's own leads do not use lead about as strongly elsewhere."""
    # "appendectomy" beside "laparoscopic" does; "exploratory" read twice does not.
    own = [r for r in reaches if r.operation == title]
    if not own:
        return False
    best = max(own, key=lambda r: r.score)
    return any(
        not r.looks and r.score >= INSPECTION_RATIO * best.score and not r.said <= best.said
        for r in reaches
    )


def _complete(
    lead: Lead, table: PcsTable, evidence: Evidence, operation: OperationCue
) -> list[_Scored]:
    """The best codes of ``table`` that begin with the lead's prefix."""
    tail = lead.prefix[3:]
    bonus = SPECIFIC * len(tail)
    found: list[_Scored] = []
    for row in table.rows:
        if row.allows(tail) < len(tail):
            continue
        for combo in _combinations(lead, table, row, evidence):
            code = table.code + "".join(choice.value for choice in combo)
            score = lead.score + bonus + operation.score + sum(choice.score for choice in combo)
            reason = operation.reason
            if table.label(3) in ON_DEVICE and not combo[2].settled:
                score -= DEVICE_UNSAID
                reason = f"{reason}; no device is named for {table.label(3)}".lstrip("; ")
            found.append(_Scored(code, score, combo, reason, row, lead))
    return found


def _combinations(
    lead: Lead, table: PcsTable, row: PcsRow, evidence: Evidence
) -> list[tuple[Choice, ...]]:
    """The best value combinations of one row, characters 4-7 in position order."""
    # Each word of the description counts for one character only, as a coder reads it: the
    # body part takes its words first, then the device, then the qualifier ("coronary artery
    # bypass ... from aorta" names the body part, not the qualifier Coronary Artery).
    tail = lead.prefix[3:]

    def top(position: int, words: Words) -> list[Choice]:
        """The best values of one character, given the words still unused."""
        axis = row.axes[position - 4]
        allowed = tail[position - 4] if len(tail) > position - 4 else ""
        # The Index path's own words help only with what its codes leave open.
        hints = frozenset() if allowed else evidence.hints
        ranked = choices(table, axis, replace(evidence, words=words, hints=hints), allowed)
        ranked = ranked[:PER_AXIS]
        return [_fixed(c, lead) if allowed else c for c in ranked]

    combos: list[tuple[Choice, ...]] = []
    words = evidence.words
    sided = any(t in SIDE_WORDS for label in row.axes[0].labels.values() for t in tokens(label))
    parts = set(row.axes[0].labels.values())
    in_orifice = table.code.startswith("0C") and parts <= ORIFICE_PARTS
    evidence = replace(evidence, part_sided=sided, in_orifice=in_orifice)
    approaches = top(5, words)
    for part in top(4, words):
        after_part = words.without(part.used)
        for device in top(6, after_part):
            for qualifier in top(7, after_part.without(device.used)):
                for approach in approaches:
                    combos.append((part, approach, device, qualifier))
    return combos


def _fixed(choice: Choice, lead: Lead) -> Choice:
    """A value the Index gives: worth at least FIXED when the description says the entry."""
    if not lead.exact or choice.score >= FIXED:
        return choice
    reason = f"the Index gives it ({lead.entries[-1].citation()})"
    return replace(choice, score=FIXED, reason=reason, settled=True)


def _candidate(scored: _Scored, tables: PcsTables) -> Candidate:
    """The public form of a ranked code, with a reason for every character."""
    table = tables.tables[scored.code[:3]]
    via = " | ".join(entry.citation() for entry in scored.lead.entries)
    head = (
        AxisReason(
            1, table.axes[0].title, scored.code[0], table.label(1), f"table {table.code}", True
        ),
        AxisReason(2, table.axes[1].title, scored.code[1], table.label(2), via, True),
        AxisReason(
            3,
            table.axes[2].title,
            scored.code[2],
            table.label(3),
            "; ".join(r for r in (via, scored.operation) if r),
            True,
        ),
    )
    rest = tuple(
        AxisReason(c.position, c.name, c.value, c.label, c.reason, c.settled)
        for c in scored.choices
    )
    return Candidate(scored.code, tables.describe(scored.code), round(scored.score, 2), head + rest)


BODY_PART = 4  # the character an Index subterm names


def _open_axes(best: _Scored, tables: PcsTables) -> tuple[OpenAxis, ...]:
    """The characters of the best code nothing in the description decided."""
    found: list[OpenAxis] = []
    for choice, axis in zip(best.choices, best.row.axes, strict=True):
        # A value the Index path gives counts as said only when the description says that
        # path ("Insertion, Products of Conception" for "nexplanon insertion" is a guess).
        guessed = choice.position == BODY_PART <= len(best.lead.prefix) and not best.lead.exact
        if choice.settled or (len(axis.labels) < 2 and not guessed):
            continue
        reason = choice.reason or "no word of the description names it"
        note = f"{reason}: chose {choice.value} {choice.label}"
        if len(best.lead.prefix) >= choice.position:
            note += f" as the Index entry gives ({best.lead.entries[-1].citation()})"
        found.append(
            OpenAxis(
                choice.position,
                choice.name,
                f"{choice.value} {choice.label}",
                tuple(axis.labels.items()),
                note,
            )
        )
    return tuple(found)


def _citations(best: Sequence[_Scored], uses: Sequence[ValueHint]) -> tuple[IndexCitation, ...]:
    """The Index entries behind the best candidates, once each, best first."""
    seen: dict[tuple[str, str], IndexCitation] = {}
    entries: list[IndexEntry] = [e for s in best[:3] for e in s.lead.entries]
    used = {c.reason for s in best[:3] for c in s.choices}
    entries += [u.entry for u in uses if any(u.entry.text in reason for reason in used)]
    for entry in entries:
        key = (entry.text, entry.codes)
        if key not in seen:
            seen[key] = IndexCitation(entry.text, entry.codes, entry.citation())
    return tuple(seen.values())
