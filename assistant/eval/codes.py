"""Benchmarks for code intelligence, each checked against ``simple_icd_10_cm``, an independent
library that reads the tabular XML it bundles its own way, so that a parsing or inheritance bug
in ``assistant.codesets.icd10cm.tabular`` / ``.notes`` / ``.excludes`` shows up as a
disagreement rather than being reproduced on both sides.

The library only knows the release it bundles. When the configured tabular is another file
the benchmarks do not compare (their figures would measure the difference between releases,
not our parser): the report then holds ``reference`` and ``skipped`` instead of figures.
"""

from __future__ import annotations

import filecmp
import random
import re
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from assistant.codesets.icd10cm.excludes import check_codes
from assistant.codesets.icd10cm.notes import code_details
from assistant.codesets.icd10cm.tabular import Tabular, bundled_tabular_path
from assistant.core.codeset import UnknownCodeError

_PACKAGE = "simple_icd_10_cm"
# Library getter -> the key code_details reports its notes under. The first four return lists;
# the others one string with a line per note (no note text of the release holds a newline).
_GETTERS = {
    "get_includes": "includes",
    "get_inclusion_term": "inclusion_terms",
    "get_excludes1": "excludes1",
    "get_excludes2": "excludes2",
    "get_code_first": "code_first",
    "get_use_additional_code": "use_additional_code",
    "get_code_also": "code_also",
    "get_seven_chr_note": "seven_chr_note",
    "get_notes": "general",
}
_MAX_LISTED = 10


@dataclass(frozen=True)
class _Level:
    """One level of the library's tree: a code, block or chapter name."""

    name: str  # "E11.65", "E08-E13", "4"
    # A block named like its only category ("B99"): the library reaches it with prioritize_blocks.
    block: bool = False


class _Library:
    """The library's reading of the bundled release, as the benchmarks need it."""

    def __init__(self) -> None:
        import simple_icd_10_cm as cm  # its import parses the bundled XML (2 s)

        self.cm = cm
        # Billable codes (7th-character codes included) in tabular order. A block can be a leaf
        # too (a header block with no codes, "C00-C75"), and B20 is both a block and a category.
        self.leaves = [
            code
            for code in dict.fromkeys(cm.get_all_codes())
            if cm.is_category_or_subcategory(code) and cm.is_leaf(code)
        ]
        self.position = {_flat(code): i for i, code in enumerate(self.leaves)}
        # First and last position of the billable codes under each compact prefix ("E11").
        self._first: dict[str, int] = {}
        self._last: dict[str, int] = {}
        for flat, i in self.position.items():
            for size in range(3, len(flat) + 1):
                self._first.setdefault(flat[:size], i)
                self._last[flat[:size]] = i
        self._notes: dict[_Level, list[tuple[str, str]]] = {}

    def knows(self, code: str) -> bool:
        """Whether ``code`` is a billable code of the library's release."""
        return _flat(code) in self.position

    def chain(self, code: str) -> list[_Level]:
        """The code's own level, then each one above it up to its chapter."""
        names = [code, *self.cm.get_ancestors(code)]
        return [_Level(n, i > 0 and names[i - 1] == n) for i, n in enumerate(names)]

    def label(self, level: _Level) -> str:
        """The level as code_details names it ("Chapter 4", "E08-E13", "E11.65")."""
        chapter = not level.block and self.cm.is_chapter(level.name)
        return f"Chapter {level.name}" if chapter else level.name

    def notes(self, level: _Level) -> list[tuple[str, str]]:
        """(kind, text) of every note written at ``level``, whitespace collapsed."""
        if level not in self._notes:
            found: list[tuple[str, str]] = []
            for getter, kind in _GETTERS.items():
                value = getattr(self.cm, getter)(level.name, prioritize_blocks=level.block)
                texts = value if isinstance(value, list) else value.split("\n") if value else []
                found.extend((kind, " ".join(text.split())) for text in texts)
            self._notes[level] = found
        return self._notes[level]

    def span(self, first: str, last: str) -> tuple[int, int] | None:
        """Positions of the billable codes from the first under ``first`` to the last under
        ``last`` (compact prefixes), or None when either names no code of the release."""
        if first not in self._first or last not in self._last:
            return None
        return self._first[first], self._last[last]


def _flat(code: str) -> str:
    return code.replace(".", "")


def _reference(xml_path: Path) -> tuple[str, str | None]:
    """The report's ``reference`` name, and why the library cannot judge ``xml_path`` (None
    when it is the very file the library bundles)."""
    name = f"{_PACKAGE} {version(_PACKAGE)}"
    bundled = bundled_tabular_path()
    try:
        same = filecmp.cmp(xml_path, bundled, shallow=False)
    except OSError:
        same = False
    why = None if same else f"{xml_path} is not the tabular {name} bundles ({bundled.name})"
    return name, why


# --- notes --------------------------------------------------------------------------------
def notes_recall(tab: Tabular, xml_path: Path, sample: int = 500, seed: int = 0) -> dict[str, Any]:
    """Share of the notes that apply to sampled billable codes (their own and every
    ancestor's, per the library) that ``code_details`` reports at the right level, and how many
    it reports beyond them."""
    reference, skipped = _reference(Path(xml_path))
    if skipped:
        return {"benchmark": "notes", "reference": reference, "skipped": skipped}
    lib = _Library()
    codes = sorted(tab.billable_codes())
    picked = random.Random(seed).sample(codes, min(sample, len(codes)))
    expected_total = found_total = extra_total = 0
    mismatches: list[dict[str, Any]] = []
    for code in picked:
        known = lib.knows(code)
        expected: Counter[tuple[str, str, str]] = Counter()
        for level in lib.chain(code) if known else []:
            expected.update((kind, lib.label(level), text) for kind, text in lib.notes(level))
        details = code_details(tab, code)
        reported: Counter[tuple[str, str, str]] = Counter(
            (kind, level, text)
            for kind, texts in details["notes"].items()
            for text, level in zip(texts, details["note_levels"][kind], strict=True)
        )
        found = sum((expected & reported).values())
        expected_total += sum(expected.values())
        found_total += found
        extra_total += sum((reported - expected).values())
        if (expected != reported or not known) and len(mismatches) < _MAX_LISTED:
            mismatches.append(
                {
                    "code": code,
                    "missing": [list(k) for k in (expected - reported)][:3],
                    "extra": [list(k) for k in (reported - expected)][:3],
                }
            )
    return {
        "benchmark": "notes",
        "reference": reference,
        "n": len(picked),
        "notes_expected": expected_total,
        "recall": round(found_total / expected_total, 4) if expected_total else 1.0,
        "extra_notes": extra_total,
        "mismatches": mismatches,
    }


# --- excludes ------------------------------------------------------------------------------
_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]+)?")


def _refs(note: str) -> list[tuple[str, str]] | None:
    """(first, last) compact prefixes a note names, or None when a qualifier ("with ...")
    narrows them, which this simple reader does not try to follow."""
    inside = [g for g in re.findall(r"\(([^()]*)\)", note) if _CODE.search(g)]
    out: list[tuple[str, str]] = []
    for text in inside or [note]:
        hits = list(_CODE.finditer(text))
        if hits and re.search(r"\bwith\b", text[hits[0].end() :]):
            return None
        i = 0
        while i < len(hits):
            first = _flat(hits[i].group(0))
            gap = text[hits[i].end() : hits[i + 1].start()] if i + 1 < len(hits) else ""
            if i + 1 < len(hits) and gap.replace(" ", "").replace("to", "-").strip(".") in {
                "-",
                "--",
            }:
                out.append((first, _flat(hits[i + 1].group(0))))
                i += 2
            else:
                out.append((first, first))
                i += 1
    return out


class _Checker:
    """An independent Excludes1 reading on the library's tree: does a note above A name B?"""

    def __init__(self, lib: _Library) -> None:
        self.lib = lib

    def names(self, refs: list[tuple[str, str]], code: str) -> bool | None:
        flat = _flat(code)
        for first, last in refs:
            if first == last:
                if flat.startswith(first):
                    return True
                continue
            span = self.lib.span(first, last)
            if span is None:
                return None
            if span[0] <= self.lib.position[flat] <= span[1]:
                return True
        return False

    def conflict(self, a: str, b: str) -> bool | None:
        """True/False, or None when a qualified or unresolvable note leaves it open."""
        if not (self.lib.knows(a) and self.lib.knows(b)):
            return None
        verdict: bool | None = False
        for x, y in ((a, b), (b, a)):
            for level in self.lib.chain(x):
                for kind, text in self.lib.notes(level):
                    if kind != "excludes1":
                        continue
                    refs = _refs(text)
                    if refs is None:
                        verdict = None
                        continue
                    named, own = self.names(refs, y), self.names(refs, x)
                    if named and not own:
                        return True
                    if named is None:
                        verdict = None
        return verdict


def excludes_accuracy(
    tab: Tabular, xml_path: Path, n_pairs: int = 500, seed: int = 0
) -> dict[str, Any]:
    """Two measures. Note pairs: for sampled Excludes1 notes (at code A or above it, naming B)
    a billable code under the note's level and one inside B must be reported as a conflict.
    Random pairs: billable codes drawn at random (half from one chapter, where conflicts are
    likelier) must be reported as conflicts exactly when the independent reader finds one."""
    reference, skipped = _reference(Path(xml_path))
    if skipped:
        return {"benchmark": "excludes", "reference": reference, "skipped": skipped}
    lib = _Library()
    rng = random.Random(seed)
    checker = _Checker(lib)
    under: dict[_Level, list[str]] = {}  # every level with the billable codes below it
    for code in lib.leaves:
        for level in lib.chain(code):
            under.setdefault(level, []).append(code)
    notes = [
        (level, text)
        for level, below in under.items()
        for kind, text in lib.notes(level)
        if kind == "excludes1" and _refs(text)
    ]
    found = tried = 0
    missed: list[dict[str, str]] = []
    for level, text in rng.sample(notes, min(n_pairs, len(notes))):
        first, last = rng.choice(_refs(text) or [])
        span = lib.span(first, last)
        if span is None:
            continue
        own = set(under[level])
        inside = [code for code in lib.leaves[span[0] : span[1] + 1] if code not in own]
        if not inside:
            continue
        a, b = rng.choice(under[level]), rng.choice(inside)
        tried += 1
        try:
            result = check_codes(tab, [a, b])
        except UnknownCodeError:  # a code the library lists and our Tabular does not
            result = {"conflicts": []}
        if any(c["code"] == a and c["other"] == b for c in result["conflicts"]):
            found += 1
        elif len(missed) < _MAX_LISTED:
            missed.append({"code": a, "other": b, "note": text, "level": lib.label(level)})
    codes = sorted(tab.billable_codes())
    by_chapter: dict[str, list[str]] = {}
    for code in codes:
        if lib.knows(code):
            by_chapter.setdefault(lib.chain(code)[-1].name, []).append(code)
    chapters = sorted(by_chapter)
    compared = expected_conflicts = false_conflicts = missed_conflicts = undecided = 0
    disagreements: list[dict[str, Any]] = []
    for i in range(n_pairs):
        if i % 2:
            pool = by_chapter[rng.choice(chapters)]
            a, b = rng.sample(pool, 2)
        else:
            a, b = rng.sample(codes, 2)
        expect = checker.conflict(a, b)
        if expect is None:
            undecided += 1
            continue
        got = bool(check_codes(tab, [a, b])["conflicts"])
        compared += 1
        expected_conflicts += expect
        if got != expect:
            false_conflicts += got and not expect
            missed_conflicts += expect and not got
            if len(disagreements) < _MAX_LISTED:
                disagreements.append({"codes": [a, b], "expected": expect, "reported": got})
    return {
        "benchmark": "excludes",
        "reference": reference,
        "note_pairs": tried,
        "found": round(found / tried, 4) if tried else 1.0,
        "missed": missed,
        "random_pairs": compared,
        "random_expected_conflicts": expected_conflicts,
        "false_conflicts": false_conflicts,
        "missed_conflicts": missed_conflicts,
        "undecided": undecided,
        "disagreements": disagreements,
    }
