"""The ICD-10-CM Alphabetic Index: parsing the CDC index and table XML files into entries.

Four files share one schema (root ``ICD10CM.index``, ``letter/mainTerm/term[@level]``): the
Index to Diseases and Injuries, the Index to External Causes, the Table of Neoplasms and the
Table of Drugs and Chemicals. The two tables add column headings (``indexHeading/head``) and
one ``cell`` per column on each row. Every main term and every subterm becomes one
:class:`IndexEntry` carrying its full trail, so an entry can be cited on its own.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT_TAG = "ICD10CM.index"
SOURCES: tuple[str, ...] = ("index", "eindex", "neoplasm", "drug")
TABLE_SOURCES: frozenset[str] = frozenset({"neoplasm", "drug"})

# How a citation names each file.
SOURCE_LABELS: dict[str, str] = {
    "index": "Index",
    "eindex": "External Cause Index",
    "neoplasm": "Neoplasm Table",
    "drug": "Drug Table",
}

# Table columns: (key, label, pattern on the file's own heading). Order matters: the first
# pattern that matches wins, so "Accidental (unintentional)" is tried before "Intentional".
_COLUMN_RULES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "neoplasm": (
        ("malignant_primary", "malignant primary", r"malignant\s+primary"),
        ("malignant_secondary", "malignant secondary", r"malignant\s+secondary"),
        ("ca_in_situ", "ca in situ", r"in\s+situ"),
        ("benign", "benign", r"benign"),
        ("uncertain", "uncertain behavior", r"uncertain"),
        ("unspecified", "unspecified behavior", r"unspecified"),
    ),
    "drug": (
        ("poisoning_accidental", "poisoning accidental", r"accidental"),
        ("poisoning_intentional", "poisoning intentional self-harm", r"intentional|self-harm"),
        ("poisoning_assault", "poisoning assault", r"assault"),
        ("poisoning_undetermined", "poisoning undetermined", r"undetermined"),
        ("adverse_effect", "adverse effect", r"adverse"),
        ("underdosing", "underdosing", r"underdos"),
    ),
}
COLUMN_LABELS: dict[str, str] = {
    key: label for rules in _COLUMN_RULES.values() for key, label, _ in rules
}

# Cells printed as "-" or "--" mean "no code in this column".
_NO_CODE = re.compile(r"^-+$")
_CODE_LIKE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z-]{0,4})?-?$")
# Nonessential modifiers that complete the word before them, printed without a space:
# "person(s)", "explosive(s) (material)", "machine(ry)", "road(way)", "Reserpin(e)".
_SUFFIX_NEMOD = re.compile(r"^\((?:s|e|es|ies|ry|ing|way)\)(?=\s|$)")
# Reference elements copied verbatim onto an entry: XML tag -> IndexEntry field.
_REFERENCE_TAGS: dict[str, str] = {
    "code": "code",
    "manif": "manif",
    "see": "see",
    "seeAlso": "see_also",
    "seecat": "seecat",
    "subcat": "subcat",
}


class AlphaIndexError(ValueError):
    """The file is missing, not XML, or not the ICD-10-CM index or table it was said to be."""


@dataclass(frozen=True)
class IndexEntry:
    """One main term or subterm of an index or table, with everything it points to."""

    source: str  # index | eindex | neoplasm | drug
    trail: tuple[str, ...]  # main term, then each subterm; modifiers kept in parentheses
    level: int  # 0 for a main term, then the subterm level (1-9)
    code: str | None = None  # as printed: "E11.65", "W26.-"
    manif: str | None = None  # manifestation, printed in brackets after the code
    see: str | None = None
    see_also: str | None = None
    seecat: str | None = None  # "see category T71"
    subcat: str | None = None  # "see subcategory T75.0"
    nemod: tuple[str, ...] = ()  # this entry's own nonessential modifiers
    terms: tuple[str, ...] = ()  # the trail without nonessential modifiers
    columns: dict[str, str] = field(default_factory=dict, hash=False)  # tables only
    version: str = ""
    id: str = ""  # stable: "index:drug:2026:<hash of trail>"


@dataclass
class IndexFile:
    """A parsed index or table file: its entries in document order and what it holds."""

    path: Path
    source: str
    version: str
    title: str
    headings: dict[str, str]  # column key -> heading as printed (tables only)
    entries: list[IndexEntry]
    counts: dict[str, int]


# --- text ----------------------------------------------------------------------------------
def normalize_text(text: str) -> str:
    """Collapse runs of whitespace; nothing else changes (NEC, NOS, case, punctuation stay)."""
    return " ".join(text.split())


def trail_text(entry: IndexEntry, modifiers: bool = False) -> str:
    """The trail as one line, ``Diabetes, diabetic, type 2, with, hyperglycemia``."""
    return ", ".join(entry.trail if modifiers else entry.terms)


def render(entry: IndexEntry) -> str:
    """A citation line: ``Index: Diabetes, diabetic (mellitus), type 2, ... -> E11.65``."""
    head = f"{SOURCE_LABELS.get(entry.source, entry.source)}: {trail_text(entry, True)}"
    targets: list[str] = []
    if entry.code:
        targets.append(f"{entry.code} [{entry.manif}]" if entry.manif else entry.code)
    elif entry.manif:
        head += f" [{entry.manif}]"
    if entry.columns:
        targets.append(
            "; ".join(
                f"{COLUMN_LABELS.get(key, key.replace('_', ' '))}: {value}"
                for key, value in entry.columns.items()
            )
        )
    if entry.seecat:
        targets.append(f"see category {entry.seecat}")
    if entry.subcat:
        targets.append(f"see subcategory {entry.subcat}")
    if entry.see:
        targets.append(f"see {entry.see}")
    if entry.see_also:
        targets.append(f"see also {entry.see_also}")
    return f"{head} -> {'; '.join(targets)}" if targets else head


def entry_codes(entry: IndexEntry) -> list[str]:
    """Every code an entry leads to, as printed: its code, a coded manifestation, table cells."""
    found = [entry.code] if entry.code else []
    if entry.manif and _CODE_LIKE.match(entry.manif):
        found.append(entry.manif)
    found.extend(v for v in entry.columns.values() if v and not _NO_CODE.match(v))
    return found


def entry_id(source: str, version: str, trail: Iterable[str]) -> str:
    """Stable id from what identifies an entry in print: file, release and trail."""
    digest = hashlib.sha1("\x1f".join(trail).encode("utf-8")).hexdigest()[:16]
    return f"index:{source}:{version}:{digest}"


# --- parsing -------------------------------------------------------------------------------
def parse_index(path: Path | str, source: str) -> IndexFile:
    """Parse one CDC index or table XML; ``source`` says which of the four files it is."""
    if source not in SOURCES:
        raise AlphaIndexError(f"unknown index source {source!r}; expected one of {SOURCES}")
    xml_path = Path(path)
    parser = _Parser(xml_path, source)
    try:
        with xml_path.open("rb") as handle:
            # Stream: each main term is turned into entries, then its subtree is freed.
            for event, element in ET.iterparse(handle, events=("start", "end")):
                parser.feed(event, element)
    except OSError as exc:
        raise AlphaIndexError(f"cannot read {xml_path}: {exc.strerror or exc}") from exc
    except ET.ParseError as exc:
        what = "malformed XML" if parser.root is not None else "not XML or empty"
        raise AlphaIndexError(f"{xml_path} is {what}: {exc}") from exc
    return parser.result()


class _Parser:
    """Event-driven state for :func:`parse_index`; one instance per file."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self.root: ET.Element | None = None
        self.depth = 0
        self.version = ""
        self.title = ""
        self.raw_headings: dict[int, str] = {}
        self.columns: dict[int, str] | None = None  # column number -> key, set at first row
        self.entries: list[IndexEntry] = []
        self.letters = 0
        self._seen_ids: Counter[str] = Counter()

    def feed(self, event: str, element: ET.Element) -> None:
        """Handle one iterparse event."""
        if event == "start":
            if self.root is None:
                if element.tag != ROOT_TAG:
                    raise AlphaIndexError(
                        f"{self.path} is not an ICD-10-CM index XML "
                        f"(root <{element.tag}>, expected <{ROOT_TAG}>)"
                    )
                self.root = element
            self.depth += 1
            return
        self.depth -= 1
        if self.depth == 1 and element.tag == "version":
            self.version = normalize_text("".join(element.itertext()))
        elif self.depth == 1 and element.tag == "title":
            self.title = normalize_text("".join(element.itertext()))
        elif element.tag == "head":
            self.raw_headings[self._col(element)] = normalize_text("".join(element.itertext()))
        elif element.tag == "mainTerm":
            if self.columns is None:
                self.columns = self._column_map()
            self._walk(element, (), (), 0)
            element.clear()
        elif element.tag == "letter":
            self.letters += 1
            element.clear()

    def result(self) -> IndexFile:
        """The parsed file, once every event has been fed."""
        if self.root is None:
            raise AlphaIndexError(f"{self.path} is empty")
        if not self.entries:
            raise AlphaIndexError(f"{self.path} holds no index entries (no <mainTerm>)")
        columns = self.columns or {}
        return IndexFile(
            path=self.path,
            source=self.source,
            version=self.version or "unknown",
            title=self.title,
            headings={key: self.raw_headings[col] for col, key in columns.items()},
            entries=self.entries,
            counts=_counts(self.entries, self.letters),
        )

    def _column_map(self) -> dict[int, str]:
        """Map column numbers to keys from the file's own headings, checking the file kind."""
        is_table = bool(self.raw_headings)
        if self.source not in TABLE_SOURCES:
            if is_table:
                raise AlphaIndexError(
                    f"{self.path} is a table (it has column headings), not the {self.source} index"
                )
            return {}
        if not is_table:
            raise AlphaIndexError(
                f"{self.path} has no column headings: not the {self.source} table"
            )
        mapping: dict[int, str] = {}
        for key, _label, pattern in _COLUMN_RULES[self.source]:
            for col, heading in sorted(self.raw_headings.items()):
                if col not in mapping and re.search(pattern, heading, re.IGNORECASE):
                    mapping[col] = key
                    break
            else:
                found = "; ".join(self.raw_headings.values())
                raise AlphaIndexError(
                    f"{self.path} has no {key!r} column: not the {self.source} table "
                    f"(headings: {found})"
                )
        return mapping

    def _walk(
        self, element: ET.Element, trail: tuple[str, ...], terms: tuple[str, ...], level: int
    ) -> None:
        """Add the entry for ``element`` and then, in document order, its subterms."""
        title = element.find("title")
        if title is None:
            title = element.find("diff")  # addenda files wrap changed titles in <diff>
        if title is None:
            where = ", ".join(trail) or "a letter"
            raise AlphaIndexError(f"{self.path}: a term under {where} has no <title>")
        text, bare, nemods = _title_parts(title)
        trail, terms = (*trail, text), (*terms, bare)
        refs: dict[str, str | None] = {
            name: _child_text(element, tag) for tag, name in _REFERENCE_TAGS.items()
        }
        cells: dict[str, str] = {}
        for cell in element.findall("cell"):
            col = self._col(cell)
            key = (self.columns or {}).get(col, f"col_{col}")
            cells[key] = normalize_text(_content(cell))
        self.entries.append(
            IndexEntry(
                source=self.source,
                trail=trail,
                level=level,
                nemod=nemods,
                terms=terms,
                columns=cells,
                version=self.version,
                id=self._unique_id(trail),
                **refs,
            )
        )
        for child in element.findall("term"):
            self._walk(child, trail, terms, level + 1)

    def _col(self, element: ET.Element) -> int:
        """The column number of a ``head`` or ``cell``."""
        value = element.get("col", "")
        if not value.isdigit():
            raise AlphaIndexError(f"{self.path}: <{element.tag}> has a bad col={value!r}")
        return int(value)

    def _unique_id(self, trail: tuple[str, ...]) -> str:
        """The stable id, suffixed on the rare trail printed twice in one file."""
        base = entry_id(self.source, self.version or "unknown", trail)
        self._seen_ids[base] += 1
        seen = self._seen_ids[base]
        return base if seen == 1 else f"{base}~{seen}"


def _title_parts(title: ET.Element) -> tuple[str, str, tuple[str, ...]]:
    """A title as printed (modifiers in parentheses), without modifiers, and the modifiers."""
    printed: list[str] = [title.text or ""]
    bare: list[str] = [title.text or ""]
    nemods: list[str] = []
    for child in title:
        if child.tag == "nemod":
            mod = normalize_text("".join(child.itertext()))
            if mod:
                nemods.append(mod)
                before = "".join(printed)
                glued = bool(_SUFFIX_NEMOD.match(mod)) and before[-1:].isalpha()
                printed.append(mod if glued or not before.strip() else f" {mod}")
        elif child.tag != "old":  # addenda: <old> is text that was removed
            printed.append(_content(child))
            bare.append(_content(child))
        printed.append(child.tail or "")
        bare.append(child.tail or "")
    return (
        normalize_text("".join(printed)),
        normalize_text("".join(bare)).strip(" ,-"),
        tuple(nemods),
    )


def _content(element: ET.Element) -> str:
    """Text of an element, leaving out addenda deletions (``<old>``)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag != "old":
            parts.append(_content(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _child_text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None:
        return None
    return normalize_text(_content(child)) or None


def _counts(entries: list[IndexEntry], letters: int) -> dict[str, int]:
    """What a file holds, for checks and ingest reports."""
    counts: Counter[str] = Counter(letters=letters, entries=len(entries))
    for entry in entries:
        counts["main_terms" if entry.level == 0 else "terms"] += 1
        counts[f"level_{entry.level}"] += 1
        counts["with_code"] += bool(entry_codes(entry))
        counts["cells"] += len(entry.columns)
        for name in ("see", "see_also", "seecat", "subcat", "manif"):
            counts[name] += getattr(entry, name) is not None
    return dict(counts)
