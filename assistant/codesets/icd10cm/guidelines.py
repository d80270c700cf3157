"""The ICD-10-CM Official Guidelines for Coding and Reporting: PDF -> numbered sections -> chunks.

Each section has the full dotted id a coder cites (``I.C.1.d.4``, ``I.A.15``, ``III.B``,
``APPENDIX I``) and holds only its own text; where its heading stands and which lines are its
own is worked out in ``guideline_outline``. This module holds what the rest of medcode uses:
the sections, their ids and citations, and the retrieval chunks cut from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.codesets.icd10cm.guideline_outline import (
    INTRODUCTION,
    Entry,
    clean_page,
    glue,
    outline,
)

SOURCE = "ICD-10-CM Official Guidelines"


class GuidelinesError(ValueError):
    """The file is missing, is not a PDF, or holds no guideline sections."""


@dataclass(frozen=True)
class Section:
    """One numbered guideline with the text written directly under its heading.

    ``page`` is the 1-based page of the PDF where the heading stands. In the official PDF this is
    also the number printed on the page ("Page 24 of 121"), so citations match what readers see.
    """

    id: str  # full dotted id: "I.C.1.d.4", "II.I.1", "APPENDIX I"
    title: str  # heading text without its label
    page: int
    text: str  # paragraphs separated by blank lines; running headers removed
    heading: str = ""  # as printed, label included: "4) Sepsis or severe sepsis with ..."
    # (offset in text, page) wherever the text continues onto a new page
    page_breaks: tuple[tuple[int, int], ...] = ()

    @property
    def parent_id(self) -> str | None:
        """Id of the enclosing section (``I.C.1.d`` for ``I.C.1.d.4``), None at the top."""
        if " " in self.id or "." not in self.id:
            return None
        return self.id.rsplit(".", 1)[0]

    def page_at(self, offset: int) -> int:
        """The page on which the character at ``offset`` of ``text`` is printed."""
        page = self.page
        for start, number in self.page_breaks:
            if start > offset:
                break
            page = number
        return page


@dataclass
class Guidelines:
    """One release of the guidelines: its version label and sections in document order."""

    version: str  # "FY2026"
    sections: list[Section]
    source: str = ""  # where it was read from

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.sections}

    def get(self, section_id: str) -> Section | None:
        """The section with this id, in any spelling ``normalize_section_id`` accepts."""
        key = normalize_section_id(section_id)
        return self._by_id.get(key) if key else None

    def ancestors(self, section_id: str) -> list[Section]:
        """The sections enclosing ``section_id``, outermost first, the section itself last."""
        key = normalize_section_id(section_id)
        if key is None or key not in self._by_id:
            return []
        parts = key.split(".")
        prefixes = (".".join(parts[:n]) for n in range(1, len(parts) + 1))
        return [self._by_id[p] for p in prefixes if p in self._by_id]

    def breadcrumb(self, section_id: str) -> str:
        """Printed headings from the top down to the section, joined by ``>``."""
        return " > ".join(s.heading or s.title for s in self.ancestors(section_id))


@dataclass(frozen=True)
class GuidelineChunk:
    """A retrieval passage that always carries the section it came from."""

    id: str  # "guidelines:2026:I.C.1.d.4:0"
    section: str
    title: str
    page: int
    text: str
    context: str  # breadcrumb of headings, the section's own last
    version: str = ""

    @property
    def citation(self) -> str:
        """Human citation of the passage (``ICD-10-CM Official Guidelines FY2026, ...``)."""
        return citation(self.section, self.version, self.page)

    def for_retrieval(self) -> str:
        """Breadcrumb and passage together: what to embed and index lexically."""
        return f"{self.context}\n\n{self.text}"

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata (Chroma-compatible) with everything a citation needs."""
        return {
            "kind": "guideline",
            "ref": self.section,
            "section": self.section,
            "title": self.title,
            "page": self.page,
            "source": SOURCE,
            "version": self.version,
            "path": self.context,
            "citation": self.citation,
        }


# --- section ids ------------------------------------------------------------------------


def citation(section: str, version: str, page: int) -> str:
    """``ICD-10-CM Official Guidelines FY2026, Section I.C.1.d.4, p. 24``."""
    label = _version_label(version)
    if section.upper().startswith("APPENDIX"):
        where = section.title()
    elif section == INTRODUCTION:
        where = "Introduction"
    else:
        where = f"Section {section}"
    return f"{SOURCE} {label}, {where}, p. {page}"


def normalize_section_id(text: str) -> str | None:
    """Canonical id for what users and models write: ``section i.c.1.d.4.`` -> ``I.C.1.d.4``.

    The first part is the Section (roman), the second a capital letter, the rest numbers and
    lower-case letters or romans; ``4)`` and ``(a)`` are accepted as ``4`` and ``a``.
    """
    raw = text.strip().rstrip(".,;:").strip()
    raw = re.sub(r"^(?:section|sec\.?|§)\s*", "", raw, flags=re.IGNORECASE)
    appendix = re.fullmatch(r"appendix\s+([ivx]+)", raw, flags=re.IGNORECASE)
    if appendix:
        return f"APPENDIX {appendix.group(1).upper()}"
    if raw.upper() == INTRODUCTION:
        return INTRODUCTION
    parts = [p for p in re.split(r"[.()\s]+", raw) if p]
    if not parts or not re.fullmatch(r"[IVX]+", parts[0], flags=re.IGNORECASE):
        return None
    if not all(re.fullmatch(r"[A-Za-z]{1,5}|\d{1,2}", p) for p in parts):
        return None
    head = [p.upper() for p in parts[:2]]
    return ".".join(head + [p.lower() for p in parts[2:]])


def section_within(section: str, ancestor: str) -> bool:
    """True when ``section`` is ``ancestor`` or lies under it (``I.C.1.d.4`` in ``I.C.1``)."""
    inner, outer = normalize_section_id(section), normalize_section_id(ancestor)
    if inner is None or outer is None:
        return False
    return inner == outer or inner.startswith(outer + ".")


def _version_label(version: str) -> str:
    year = re.search(r"\d{4}", version)
    return f"FY{year.group(0)}" if year else version


def parse_lines(lines: Iterable[tuple[int, str]]) -> list[Section]:
    """Sections from ``(page, line)`` pairs of cleaned text, in document order (``[]`` when no
    ``Section I.``-style heading is found); see ``guideline_outline.outline``."""
    return [_finish(entry) for entry in outline(lines)]


def _finish(node: Entry) -> Section:
    """Freeze a collected section: lines unwrapped into paragraphs, page breaks recorded."""
    paragraphs: list[list[tuple[int, str]]] = [[]]
    for page, text in node.lines:
        if text:
            paragraphs[-1].append((page, text))
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    out: list[str] = []
    length, page, breaks = 0, node.page, []
    for n, para in enumerate(paragraphs):
        if n:
            out.append("\n\n")
            length += 2
        width = max(len(text) for _, text in para)
        previous = ""
        for line_page, text in para:
            if previous:
                # Lines much shorter than the paragraph's widest end early: list items, kept.
                sep = "\n" if len(previous) < 0.75 * width else glue(previous, text)
                out.append(sep)
                length += len(sep)
            if line_page != page:
                breaks.append((length, line_page))
                page = line_page
            out.append(text)
            length += len(text)
            previous = text
    return Section(node.id, node.title, node.page, "".join(out), node.heading, tuple(breaks))


# --- PDF -> Guidelines ------------------------------------------------------------------

_VERSION = re.compile(r"\bFY ?(\d{4})\b")  # "FY 2026" on the first page


def read_pdf_pages(pdf_path: Path) -> list[str]:
    """Raw text of every page; raises GuidelinesError if the file is not a readable PDF."""
    from pypdf import PdfReader  # imported here: only ingest needs it

    path = Path(pdf_path)
    if not path.is_file():
        raise GuidelinesError(f"guidelines PDF not found: {path}")
    with path.open("rb") as handle:
        if not handle.read(1024).lstrip().startswith(b"%PDF"):
            raise GuidelinesError(f"not a PDF file: {path}")
    try:
        reader = PdfReader(path)
        return [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many unrelated types for damaged files
        raise GuidelinesError(f"cannot read guidelines PDF {path}: {exc}") from exc


def parse_guidelines(pdf_path: Path, version: str | None = None) -> Guidelines:
    """Parse the Official Guidelines PDF into sections.

    The version ("FY2026") is read from the first page; ``version`` is the fallback when the
    PDF does not state it. Page numbers are 1-based PDF pages, equal to the printed ones.
    """
    pages = read_pdf_pages(pdf_path)
    rows = [(number, line) for number, text in enumerate(pages, 1) for line in clean_page(text)]
    sections = parse_lines(rows)
    if not any(s.id != INTRODUCTION for s in sections):
        raise GuidelinesError(f"no guideline sections (Section I., II., ...) found in {pdf_path}")
    stated = _VERSION.search("\n".join(pages[:1]))
    label = f"FY{stated.group(1)}" if stated else (_version_label(version) if version else "")
    if not label:
        raise GuidelinesError(f"cannot tell the guidelines version of {pdf_path}; pass version=")
    return Guidelines(version=label, sections=sections, source=str(pdf_path))


# --- sections -> chunks -----------------------------------------------------------------


def chunk_sections(guidelines: Guidelines, max_chars: int = 1200) -> list[GuidelineChunk]:
    """Retrieval chunks: one per short section, long ones split at paragraphs then sentences.

    A chunk never spans two sections, so every passage keeps its section id and breadcrumb.
    Headings without text still give one chunk (their title), so they can be found and cited.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=min(150, max_chars // 8),
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    year = _version_label(guidelines.version).removeprefix("FY")
    chunks: list[GuidelineChunk] = []
    for section in guidelines.sections:
        context = guidelines.breadcrumb(section.id)
        text = section.text or section.title
        pieces = [text] if len(text) <= max_chars else splitter.split_text(text)
        cursor = 0
        for n, piece in enumerate(pieces):
            found = text.find(piece, cursor)
            offset = found if found >= 0 else cursor
            cursor = offset + 1
            page = section.page if n == 0 else section.page_at(offset)
            chunks.append(
                GuidelineChunk(
                    id=f"guidelines:{year}:{section.id}:{n}",
                    section=section.id,
                    title=section.title,
                    page=page,
                    text=piece,
                    context=context,
                    version=guidelines.version,
                )
            )
    return chunks
