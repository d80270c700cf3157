"""The other codes a chosen code's notes call for, when the question states them.

A "use additional code" note ("to identify stage of chronic kidney disease (N18.1-N18.6)"), a
"code first" note ("underlying infection, such as: sepsis NOS (A41.9)") or a "code also" note
names the codes that go with a code. When the question states that companion condition ("with
stage 3a CKD", "on long-term insulin"), the companion is reported too: after the code for "use
additional code" and "code also", before it for "code first" (Official Guidelines I.A.12.a,
I.A.13, I.B.9).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.codesets.icd10cm.excludes import codes_named
from assistant.codesets.icd10cm.notes import code_details
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.vocabulary import Vocabulary
from assistant.text.stems import terms

KINDS = {"code_first": True, "use_additional_code": False, "code_also": False}  # -> goes first
# Words of the notes themselves, which say nothing about the patient.
_NOTE_WORDS = terms(
    "code codes identify use additional associated any applicable such as if first also"
)
MAX_COMPANIONS = 3  # a question rarely states more than a few companion conditions
# Share of the release's titles above which a word is too common to state a condition (1%:
# "stage" is in 0.6% of FY2026 titles, "chronic" in 2.6%, "due" in 3.7%, "left" in 9%).
SPECIFIC = 0.01


@dataclass(frozen=True)
class Companion:
    """A code a note calls for, with the note and where it is written."""

    code: str
    description: str
    kind: str  # code_first | use_additional_code | code_also
    note: str
    level: str  # the code, category or block the note is written at
    first: bool  # reported before the code the note belongs to


def companions(
    tab: Tabular, code: str, question: str, vocabulary: Vocabulary | None = None
) -> list[Companion]:
    """Companion codes of ``code`` whose condition ``question`` states, best first.

    A question word counts only when it says something specific: one that more than
    ``SPECIFIC`` of the release's titles share ("due", "left", "chronic") does not.
    """
    details = code_details(tab, code)
    own = terms(details["description"])
    asked = terms(question) - _NOTE_WORDS
    if vocabulary is not None:
        asked = frozenset(r for r in asked if vocabulary.share(r) <= SPECIFIC)
    wanted = asked - own
    found: dict[str, tuple[int, float, Companion]] = {}
    for kind, first in KINDS.items():
        for note, level in zip(
            details["notes"].get(kind, []), details["note_levels"].get(kind, []), strict=False
        ):
            line = terms(note) - _NOTE_WORDS
            for candidate in codes_named(tab, note):
                if candidate == details["code"]:
                    continue
                node = tab.node(candidate)
                if node is None:
                    continue
                title = terms(node.description)
                said = wanted & (title | line)
                # The title must say what the question adds beyond the code itself, or, for
                # "code first", the note must name it as the default ("sepsis NOS (A41.9)").
                default = first and "NOS" in note and bool(asked & title & line)
                if not default and (not said or not (wanted & title)):
                    continue
                said = said or (asked & title)
                score = (len(said), -len(title - wanted - own))
                best = found.get(candidate)
                if best is None or score > best[:2]:
                    found[candidate] = (
                        *score,
                        Companion(candidate, node.description, kind, note, level, first),
                    )
    # Of the codes one note names, only the best fit stands for it (one stage of CKD).
    best_of_note: dict[str, tuple[int, float, Companion]] = {}
    for row in found.values():
        held = best_of_note.get(row[2].note)
        if held is None or row[:2] > held[:2]:
            best_of_note[row[2].note] = row
    ranked = sorted(best_of_note.values(), key=lambda row: (-row[0], -row[1]))
    out: list[Companion] = []
    covered: set[str] = set()
    for _n, _extra, comp in ranked:
        said = asked & terms(comp.description)
        if said <= covered:
            continue  # another companion already stands for these words
        covered |= said
        out.append(comp)
        if len(out) >= MAX_COMPANIONS:
            break
    return out
