"""The ICD-10-PCS Definitions: what each root operation, approach, body part and device means.

CMS lists, per section and character position, ``terms`` with one or more titles (a body part
and its sided twin share one entry), an optional definition and explanation, and ``includes``:
examples for root operations ("Coronary artery bypass"), anatomy terms for body parts
("Vermiform appendix" under Appendix), brand and generic names for devices. Device titles
carry their scope: "Internal Fixation Device, Rigid Plate for Insertion in Upper Bones".
The file also holds the device aggregation table (a specific device value reported as its
general parent in some body systems).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.codesets.icd10pcs.xmlfile import PcsFileError, child_text, read_root, require, text

ROOT_TAG = "ICD10PCS.definitions"
# "<label>[ for <Operation>] in <Body System>", the shape of the file's device titles.
_SCOPED = re.compile(r"^(?P<label>.+?)(?: for (?P<operation>[A-Z]\w+))? in (?P<system>[A-Z].*)$")


@dataclass(frozen=True, slots=True)
class Term:
    """One defined term: its titles, definition, explanation and included terms."""

    titles: tuple[str, ...]
    definition: str
    explanation: str
    includes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a device title applies: its label, and the operation and body system it names."""

    label: str
    operation: str
    body_system: str


@dataclass(frozen=True, slots=True)
class AxisTerms:
    """The terms one section defines for one character position."""

    position: int
    title: str
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class DeviceAggregate:
    """A specific device value that some operations and body systems report as its parent."""

    device: str
    operation: str
    body_systems: tuple[str, ...]
    parent_value: str
    parent: str


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: caches key on it
class Definitions:
    """All definitions of one release, by section character and position."""

    version: str
    sections: Mapping[str, Mapping[int, AxisTerms]]
    section_titles: Mapping[str, str]
    aggregates: tuple[DeviceAggregate, ...]

    def axis(self, section: str, position: int) -> AxisTerms | None:
        """The terms section ``section`` defines at ``position`` (None when it defines none)."""
        return self.sections.get(section, {}).get(position)

    def term(self, section: str, position: int, label: str, body_system: str = "") -> Term | None:
        """The term defining ``label`` at ``position`` (device titles scoped to ``body_system``)."""
        found = _by_label(self, section, position).get(label.casefold(), ())
        for scope, term in found:
            if not scope.body_system or scope.body_system == body_system:
                return term
        return found[0][1] if found else None

    def meaning(self, section: str, position: int, label: str, body_system: str = "") -> str:
        """The definition of ``label``; for a term with none, what it includes; else ""."""
        term = self.term(section, position, label, body_system)
        if term is None:
            return ""
        if term.definition:
            return term.definition
        if term.includes:
            return "Includes: " + "; ".join(term.includes)
        return ""

    def anatomy(self, section: str = "0") -> dict[str, tuple[str, ...]]:
        """Included anatomy term (lower case) -> the body-part titles that include it."""
        found: dict[str, tuple[str, ...]] = {}
        axis = self.axis(section, 4)
        for term in axis.terms if axis else ():
            for included in term.includes:
                key = included.casefold()
                found[key] = found.get(key, ()) + term.titles
        return found


@lru_cache(maxsize=64)
def _by_label(
    definitions: Definitions, section: str, position: int
) -> dict[str, tuple[tuple[Scope, Term], ...]]:
    """Casefolded label -> the (scope, term) pairs that define it, in file order."""
    axis = definitions.axis(section, position)
    found: dict[str, tuple[tuple[Scope, Term], ...]] = {}
    for term in axis.terms if axis else ():
        for title in term.titles:
            # Only device titles carry a scope ("... in Upper Bones").
            scope = scope_of(title) if position == 6 else Scope(title, "", "")
            key = scope.label.casefold()
            found[key] = (*found.get(key, ()), (scope, term))
    return found


def scope_of(title: str) -> Scope:
    """'Internal Fixation Device, Rigid Plate for Insertion in Upper Bones' split into parts."""
    match = _SCOPED.match(title)
    if match is None:
        return Scope(title, "", "")
    return Scope(match["label"], match["operation"] or "", match["system"])


def parse_definitions(path: Path | str) -> Definitions:
    """Read the CMS definitions XML (``icd10pcs_definitions_YYYY.xml``)."""
    root = read_root(path, ROOT_TAG)
    sections: dict[str, dict[int, AxisTerms]] = {}
    titles: dict[str, str] = {}
    for element in root.findall("section"):
        code = element.get("code", "")
        require(len(code) == 1, path, f"<section> without a one-character code ({code!r})")
        titles[code] = child_text(element, "title")
        sections[code] = {}
        for axis in element.findall("axis"):
            parsed = _parse_axis(axis, path, code)
            sections[code][parsed.position] = parsed
    require(bool(sections), path, "no <section> elements")
    aggregates = tuple(_parse_aggregate(a, path) for a in root.iter("aggregate"))
    return Definitions(child_text(root, "version"), sections, titles, aggregates)


def _parse_axis(element: ET.Element, path: Path | str, section: str) -> AxisTerms:
    """One section's ``axis``: its position, title and terms."""
    position = element.get("pos", "")
    require(position.isdigit(), path, f"section {section}: <axis> without a numeric pos")
    terms = []
    for term in element.findall("terms"):
        names = tuple(text(t) for t in term.findall("title") if text(t))
        require(bool(names), path, f"section {section} axis {position}: <terms> without a title")
        includes = tuple(text(i) for i in term.findall("includes") if text(i))
        terms.append(
            Term(names, child_text(term, "definition"), child_text(term, "explanation"), includes)
        )
    return AxisTerms(int(position), child_text(element, "title"), tuple(terms))


def _parse_aggregate(element: ET.Element, path: Path | str) -> DeviceAggregate:
    """One ``aggregate`` of the device aggregation table."""
    parent = element.find("parent")
    if parent is None:
        raise PcsFileError(
            f"{path}: device aggregate {child_text(element, 'device')!r} has no <parent>"
        )
    return DeviceAggregate(
        device=child_text(element, "device"),
        operation=child_text(element, "operation"),
        body_systems=tuple(text(b) for b in element.findall("bodySys")),
        parent_value=parent.get("value", ""),
        parent=text(parent),
    )
