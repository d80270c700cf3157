"""Which root operation a description names: its own words, the Definitions and the Index.

Three sources, none of them a hand-made table of procedures: the root operation's title said
outright ("repair", "insertion"); the examples the Definitions give for it ("Total hip
replacement" under Replacement, "Incision and drainage" under Drainage); and, for a compound
term's suffix, what the Index's main terms with that suffix lead to ("-ectomy" main terms
send the reader to Excision or Resection, "-scopy" ones to Inspection). Two readings of the
definitions then settle common pairs: Resection takes out "all of a body part" and Excision
"a portion", so a description that says a part was taken (partial, biopsy, lesion) reads as
Excision and one that does not as Resection; and Change, Removal and Revision act on a device
already there, so they need their own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from assistant.codesets.icd10pcs.definitions import Definitions
from assistant.codesets.icd10pcs.index import PcsIndex
from assistant.codesets.icd10pcs.words import SUFFIXES, Words, content_stems, same

# Weights, chosen on knowledge/eval/pcs_dev.jsonl: naming the operation is as strong as the
# Index naming it; an example phrase from the Definitions said in full counts a little less;
# a suffix spreads its weight over the operations its Index main terms lead to.
TITLE = 2.0
EXAMPLE = 1.5
SUFFIX = 1.5
# An example phrase counts when the description says at least this share of its words (and
# two of them): "total hip arthroplasty" says two of "Total hip replacement".
EXAMPLE_COVERAGE = 0.66
PORTION = 1.0  # Resection/Excision read from whether a portion is said
NEEDS_WORDS = 2.0  # Change, Removal, Revision without their words
MIN_SUFFIX_SHARE = 0.15  # an operation reached by fewer of a suffix's main terms is noise
_PORTION = (
    "partial",
    "portion",
    "wedge",
    "segment",
    "biops",
    "lesion",
    "debrid",
    "excis",
    "subtot",
    "mass",
    "polyp",
    "tumor",
    "cyst",
    "nodul",
)
_WHOLE = ("total", "complet", "entir", "radic")
# Index main terms that name an operation with its object: "Insertion of device in".
_MAIN_TERM_TAIL = re.compile(r"\s+(?:of\s+)?(?:device|bleeding|substance)\b.*$", re.I)
_DEVICE_WORDS = {
    "Change": ("chang", "exchang", "replac"),
    "Removal": ("remov", "explant", "extract"),
    "Revision": ("revis", "adjust", "reposit", "recement"),
}


@dataclass(frozen=True)
class OperationCue:
    """Evidence for one root operation and what it rests on."""

    score: float
    reason: str
    used: frozenset[str] = frozenset()  # the description's stems that named the operation


def operation_cues(
    words: Words, definitions: Definitions | None, index: PcsIndex
) -> dict[str, OperationCue]:
    """Root operation title -> the evidence the description gives for it."""
    found: dict[str, OperationCue] = {}

    def add(title: str, score: float, reason: str, used: frozenset[str] = frozenset()) -> None:
        """Keep the strongest cue for ``title``."""
        old = found.get(title)
        if old is None or score > old.score:
            found[title] = OperationCue(score, reason, used)

    examples = _examples(definitions)
    in_examples: set[tuple[str, str]] = set()  # (stem, operation) said inside an example
    for title, phrases in examples.items():
        for phrase in phrases:
            used = _said(content_stems(phrase), words)
            share = len(used) / max(1, len(content_stems(phrase)))
            if len(used) >= 2 and share >= EXAMPLE_COVERAGE:
                # An example's words stay free for the other characters ("hip" is the body part).
                add(title, EXAMPLE * share, f"the Definitions give {phrase!r} as {title}")
                in_examples.update((s, title) for s in used)
    for title in examples:
        stems = content_stems(title)
        used = _said(stems, words)
        # "Dilation and curettage" is Extraction: its "dilation" does not name Dilation.
        inside_other = any(
            (s, other) in in_examples for s in used for other in examples if other != title
        )
        if stems and len(used) == len(stems) and not inside_other:
            add(title, TITLE, f"the description says {title.lower()}", used)
    for suffix in words.suffixes:
        for title, share in suffix_operations(index).get(suffix, {}).items():
            add(title, SUFFIX * share, f"Index main terms ending in -{suffix} lead to {title}")
    return found


def _said(stems: tuple[str, ...], words: Words) -> frozenset[str]:
    """The description's own stems that say some of ``stems``."""
    return frozenset(w for s in stems for w in words.stems if same(s, w))


def operation_adjustment(title: str, words: Words) -> tuple[float, str]:
    """The definitions' readings of Resection/Excision and of device operations."""
    partial = any(words.has(s, derived=False) for s in _PORTION)
    whole = any(words.has(s, derived=False) for s in _WHOLE)
    if title == "Resection":
        if partial and not whole:
            return -PORTION, "a portion is taken: Excision rather than Resection"
        return PORTION, "no portion is said: Resection (all of the body part)"
    if title == "Excision" and partial:
        return PORTION, "a portion is taken (Excision)"
    if title in _DEVICE_WORDS and not any(
        any(same(s, cue) for s in words.stems) for cue in _DEVICE_WORDS[title]
    ):
        return -NEEDS_WORDS, f"{title} acts on a device already in place; none is said"
    return 0.0, ""


@lru_cache(maxsize=4)
def _examples(definitions: Definitions | None) -> Mapping[str, tuple[str, ...]]:
    """Root operation title -> the example procedures its definition includes (all sections)."""
    found: dict[str, tuple[str, ...]] = {}
    for axes in definitions.sections.values() if definitions else ():
        axis = axes.get(3)
        for term in axis.terms if axis else ():
            examples = tuple(e.strip() for text in term.includes for e in text.split(","))
            for title in term.titles:
                found[title] = found.get(title, ()) + examples
    return found


def operation_title(see: str) -> str:
    """The root operation a ``see`` names: 'Insertion of device in, Trachea' -> 'Insertion'."""
    name = see.split(",")[0].split(" with ")[0].strip()
    return _MAIN_TERM_TAIL.sub("", name)


@lru_cache(maxsize=4)
def suffix_operations(index: PcsIndex) -> Mapping[str, Mapping[str, float]]:
    """Suffix -> {root operation: share of the suffix's one-word main terms leading to it}."""
    counts: dict[str, dict[str, int]] = {}
    for entry in index.entries:
        word = entry.main_term.lower()
        suffix = next((s for s in SUFFIXES if word.endswith(s) and " " not in word), "")
        if not suffix or not entry.see:
            continue
        operation = operation_title(entry.see)
        counts.setdefault(suffix, {})
        counts[suffix][operation] = counts[suffix].get(operation, 0) + 1
    shares: dict[str, dict[str, float]] = {}
    for suffix, by_operation in counts.items():
        total = sum(by_operation.values())
        shares[suffix] = {
            op: n / total for op, n in by_operation.items() if n / total >= MIN_SUFFIX_SHARE
        }
    return shares
