"""Benchmarks for code intelligence, each checked against the raw tabular XML read by a
separate, deliberately simple walk (ElementTree paths, no ``Tabular``), so that a parsing or
inheritance bug in ``assistant.codesets.icd10cm.tabular`` / ``assistant.codesets.icd10cm.notes`` / ``assistant.codesets.icd10cm.excludes`` shows up
as a disagreement rather than being reproduced on both sides.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.codesets.icd10cm.excludes import check_codes
from assistant.codesets.icd10cm.notes import code_details
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.codeset import UnknownCodeError

# XML element -> the key code_details reports it under (written out again on purpose).
_KINDS = {
    "includes": "includes",
    "inclusionTerm": "inclusion_terms",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional_code",
    "codeAlso": "code_also",
    "sevenChrNote": "seven_chr_note",
    "notes": "general",
}
_MAX_LISTED = 10


@dataclass
class _Level:
    """One element of the XML with what the benchmarks need from it."""

    label: str  # "Chapter 4", "E08-E13", "E11.65"
    notes: list[tuple[str, str]]  # (kind, text)
    seventh: list[str]  # sevenChrDef characters written at this level
    parent: _Level | None = None
    leaves: list[str] = field(default_factory=list)  # compact leaf codes under it, in order


@dataclass
class _Xml:
    levels: dict[str, _Level]  # by label
    leaf_order: list[str]  # compact leaf codes in document order
    leaf_level: dict[str, _Level]  # compact leaf code -> its level


def _read_xml(xml_path: Path) -> _Xml:
    root = ET.parse(xml_path).getroot()
    levels: dict[str, _Level] = {}
    order: list[str] = []
    by_leaf: dict[str, _Level] = {}

    def level(element: ET.Element, label: str, parent: _Level | None) -> _Level:
        notes = [
            (_KINDS[tag], " ".join((note.text or "").split()))
            for tag in _KINDS
            for note in element.findall(f"./{tag}/note")
        ]
        chars = [ext.get("char", "") for ext in element.findall("./sevenChrDef/extension")]
        made = _Level(label, notes, chars, parent)
        levels[label] = made
        return made

    def diag(element: ET.Element, parent: _Level) -> None:
        name = (element.findtext("name") or "").strip()
        made = level(element, name, parent)
        children = element.findall("./diag")
        for child in children:
            diag(child, made)
        if not children:
            flat = name.replace(".", "")
            order.append(flat)
            by_leaf[flat] = made
            up: _Level | None = made
            while up is not None:
                up.leaves.append(flat)
                up = up.parent

    for chapter in root.findall("./chapter"):
        ch = level(chapter, f"Chapter {(chapter.findtext('name') or '').strip()}", None)
        for section in chapter.findall("./section"):
            sec = level(section, section.get("id", ""), ch)
            for element in section.findall("./diag"):
                diag(element, sec)
    return _Xml(levels, order, by_leaf)


def _path(level: _Level | None) -> list[_Level]:
    out: list[_Level] = []
    while level is not None:
        out.append(level)
        level = level.parent
    return out


def _leaf_of(xml: _Xml, code: str) -> str | None:
    """The XML leaf a billable code is written on (S72.001A -> S72001, S02.2XXA -> S022)."""
    flat = code.replace(".", "")
    if flat in xml.leaf_level:
        return flat
    base = flat[:-1].rstrip("X") if len(flat) == 7 else ""
    return base if base in xml.leaf_level else None


def _billable_form(xml: _Xml, leaf: str, rng: random.Random) -> str:
    """A billable code for an XML leaf: itself, or with placeholder X and a 7th character."""
    chars = next((lv.seventh for lv in _path(xml.leaf_level[leaf]) if lv.seventh), [])
    flat = leaf if not chars else leaf.ljust(6, "X") + rng.choice(chars)
    return f"{flat[:3]}.{flat[3:]}" if len(flat) > 3 else flat


# --- notes --------------------------------------------------------------------------------
def notes_recall(tab: Tabular, xml_path: Path, sample: int = 500, seed: int = 0) -> dict[str, Any]:
    """Share of the notes that apply to sampled billable codes (their own and every
    ancestor's, per the XML) that ``code_details`` reports at the right level, and how many it
    reports beyond them."""
    xml = _read_xml(Path(xml_path))
    codes = sorted(tab.billable_codes())
    picked = random.Random(seed).sample(codes, min(sample, len(codes)))
    expected_total = found_total = extra_total = 0
    mismatches: list[dict[str, Any]] = []
    for code in picked:
        leaf = _leaf_of(xml, code)
        expected: Counter[tuple[str, str, str]] = Counter()
        if leaf is not None:
            for lv in _path(xml.leaf_level[leaf]):
                expected.update((kind, lv.label, text) for kind, text in lv.notes)
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
        if (expected != reported or leaf is None) and len(mismatches) < _MAX_LISTED:
            mismatches.append(
                {
                    "code": code,
                    "missing": [list(k) for k in (expected - reported)][:3],
                    "extra": [list(k) for k in (reported - expected)][:3],
                }
            )
    return {
        "benchmark": "notes",
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
            first = hits[i].group(0).replace(".", "")
            gap = text[hits[i].end() : hits[i + 1].start()] if i + 1 < len(hits) else ""
            if i + 1 < len(hits) and gap.replace(" ", "").replace("to", "-").strip(".") in {
                "-",
                "--",
            }:
                out.append((first, hits[i + 1].group(0).replace(".", "")))
                i += 2
            else:
                out.append((first, first))
                i += 1
    return out


def _span(xml: _Xml, first: str, last: str) -> tuple[int, int] | None:
    """Document positions of the leaves from the first under ``first`` to the last under
    ``last``, or None when either is not in the XML."""
    starts = [i for i, leaf in enumerate(xml.leaf_order) if leaf.startswith(first)]
    ends = [i for i, leaf in enumerate(xml.leaf_order) if leaf.startswith(last)]
    return (starts[0], ends[-1]) if starts and ends else None


class _Checker:
    """An independent Excludes1 reading: does a note above code A name code B?"""

    def __init__(self, xml: _Xml) -> None:
        self.xml = xml
        self.position = {leaf: i for i, leaf in enumerate(xml.leaf_order)}
        self._spans: dict[tuple[str, str], tuple[int, int] | None] = {}

    def names(self, refs: list[tuple[str, str]], leaf: str) -> bool | None:
        here = self.position[leaf]
        for first, last in refs:
            if first == last:
                if leaf.startswith(first):
                    return True
                continue
            if (first, last) not in self._spans:
                self._spans[(first, last)] = _span(self.xml, first, last)
            span = self._spans[(first, last)]
            if span is None:
                return None
            if span[0] <= here <= span[1]:
                return True
        return False

    def conflict(self, a: str, b: str) -> bool | None:
        """True/False, or None when a qualified or unresolvable note leaves it open."""
        leaf_a, leaf_b = _leaf_of(self.xml, a), _leaf_of(self.xml, b)
        if leaf_a is None or leaf_b is None:
            return None
        verdict: bool | None = False
        for x, y in ((leaf_a, leaf_b), (leaf_b, leaf_a)):
            for lv in _path(self.xml.leaf_level[x]):
                for kind, text in lv.notes:
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
    xml = _read_xml(Path(xml_path))
    rng = random.Random(seed)
    checker = _Checker(xml)
    notes = [
        (lv, text)
        for lv in xml.levels.values()
        for kind, text in lv.notes
        if kind == "excludes1" and lv.leaves and _refs(text)
    ]
    found = tried = 0
    missed: list[dict[str, str]] = []
    for lv, text in rng.sample(notes, min(n_pairs, len(notes))):
        refs = _refs(text) or []
        first, last = rng.choice(refs)
        span = _span(xml, first, last)
        if span is None:
            continue
        own = set(lv.leaves)
        inside = [leaf for leaf in xml.leaf_order[span[0] : span[1] + 1] if leaf not in own]
        if not inside:
            continue
        a = _billable_form(xml, rng.choice(lv.leaves), rng)
        b = _billable_form(xml, rng.choice(inside), rng)
        try:
            result = check_codes(tab, [a, b])
        except UnknownCodeError:
            continue  # a 7th character a category note withdraws from this code
        tried += 1
        if any(c["code"] == a and c["other"] == b for c in result["conflicts"]):
            found += 1
        elif len(missed) < _MAX_LISTED:
            missed.append({"code": a, "other": b, "note": text, "level": lv.label})
    codes = sorted(tab.billable_codes())
    by_chapter: dict[str, list[str]] = {}
    for code in codes:
        leaf = _leaf_of(xml, code)
        if leaf is not None:
            chapter = _path(xml.leaf_level[leaf])[-1].label
            by_chapter.setdefault(chapter, []).append(code)
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
