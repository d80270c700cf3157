"""The ICD-10-PCS Index: from a procedure's name to a table, a code prefix or another term.

CMS lists main terms by letter (``letter/mainTerm``), with nested subterms
(``term[@level]``). An entry gives a full code (``code``), a code prefix (``codes``, 3-6
characters, or ``tab``, a 3-character table), or sends the reader elsewhere: ``see`` names
another main term and subterms ("Resection, Appendix", maybe with its own ``codes``), ``use``
names the body-part, device or substance value to use ("Vermiform appendix" -> "Appendix").
Every main term and subterm that carries one of these becomes an :class:`IndexEntry` with its
full trail, so an entry can be cited on its own.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.codesets.icd10pcs.xmlfile import child_text, read_root, require, text

ROOT_TAG = "ICD10PCS.index"
_CODE_TAGS = ("code", "codes", "tab")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One Index entry: its trail, the code prefix it gives, and its see/use reference."""

    trail: tuple[str, ...]  # main term, then the titled subterms leading here
    codes: str  # a full code, a code prefix or a table ("" when the entry gives none)
    see: str  # "Resection, Appendix": the main term (and subterms) to look under
    use: str  # "Appendix": the value to use for this term

    @property
    def main_term(self) -> str:
        """The entry's main term."""
        return self.trail[0]

    @property
    def text(self) -> str:
        """The trail as a coder cites it: 'Gastrectomy, Vertical (sleeve)'."""
        return ", ".join(self.trail)

    @property
    def see_trail(self) -> tuple[str, ...]:
        """The ``see`` reference split into main term and subterms."""
        return tuple(part.strip() for part in self.see.split(",") if part.strip())

    def citation(self) -> str:
        """'Index: Appendectomy -> see Resection, Appendix 0DTJ' (one line)."""
        parts = [f"Index: {self.text}"]
        if self.see:
            parts.append(f"-> see {self.see}")
        if self.use:
            parts.append(f"-> use {self.use}")
        if self.codes:
            parts.append(self.codes)
        return " ".join(parts)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: caches key on it
class PcsIndex:
    """All entries of one Index release, with a look-up by main term."""

    version: str
    entries: tuple[IndexEntry, ...]
    by_main_term: Mapping[str, tuple[int, ...]]  # casefolded main term -> entry positions

    def lookup(self, main_term: str) -> tuple[IndexEntry, ...]:
        """The entries under ``main_term`` (case-insensitive), in file order."""
        return tuple(self.entries[i] for i in self.by_main_term.get(main_term.casefold(), ()))

    def under(self, trail: tuple[str, ...]) -> Iterator[IndexEntry]:
        """The entries whose trail begins with ``trail`` (case-insensitive)."""
        wanted = tuple(part.casefold() for part in trail)
        for entry in self.lookup(trail[0]) if trail else self.entries:
            if tuple(part.casefold() for part in entry.trail[: len(wanted)]) == wanted:
                yield entry

    def main_terms(self) -> list[str]:
        """Every main term that has at least one entry, as written in the file."""
        return [self.entries[positions[0]].main_term for positions in self.by_main_term.values()]


def parse_index(path: Path | str) -> PcsIndex:
    """Read the CMS Index XML (``icd10pcs_index_YYYY.xml``) into :class:`PcsIndex`."""
    root = read_root(path, ROOT_TAG)
    entries: list[IndexEntry] = []
    for main in root.iter("mainTerm"):
        title = child_text(main, "title")
        require(bool(title), path, f"a <mainTerm> without a <title> after {_last(entries)!r}")
        _collect(main, (title,), entries)
    require(bool(entries), path, "no <mainTerm> entries")
    by_main: dict[str, list[int]] = {}
    for position, entry in enumerate(entries):
        by_main.setdefault(entry.main_term.casefold(), []).append(position)
    lookup = {key: tuple(value) for key, value in by_main.items()}
    return PcsIndex(child_text(root, "version"), tuple(entries), lookup)


def _collect(element: ET.Element, trail: tuple[str, ...], out: list[IndexEntry]) -> None:
    """Append the entry ``element`` carries (if any), then its subterms', depth first."""
    entry = _entry(element, trail)
    if entry is not None:
        out.append(entry)
    for term in element.findall("term"):
        title = child_text(term, "title")
        _collect(term, (*trail, title) if title else trail, out)


def _entry(element: ET.Element, trail: tuple[str, ...]) -> IndexEntry | None:
    """The entry of one mainTerm or term element, None when it only groups subterms."""
    see, use = element.find("see"), element.find("use")
    codes = _codes(element)
    for reference in (see, use):
        codes = codes or (_codes(reference) if reference is not None else "")
    if not (codes or see is not None or use is not None):
        return None
    return IndexEntry(trail, codes, text(see), text(use))


def _codes(element: ET.Element) -> str:
    """The code, code prefix or table an element gives directly ("" when none)."""
    for tag in _CODE_TAGS:
        found = child_text(element, tag).replace(" ", "").upper()
        if found:
            return found
    return ""


def _last(entries: list[IndexEntry]) -> str:
    """The last entry's main term, to say where a malformed entry sits."""
    return entries[-1].main_term if entries else "the start of the file"
