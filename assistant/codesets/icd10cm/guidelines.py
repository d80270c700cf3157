"""The ICD-10-CM Official Guidelines for Coding and Reporting: PDF -> numbered sections -> chunks.

The guidelines are an outline: Section I-IV and Appendix I; inside them ``A.``, ``1.``, ``a.``,
``1)``, ``(a)`` and ``(i)`` headings. Each section gets the full dotted id a coder cites
(``I.C.1.d.4``, ``I.A.15``, ``III.B``, ``APPENDIX I``) and holds only its own text; text under a
deeper heading belongs to that deeper section. Headings are recognised from the text alone, by
their label *and* position in the sequence (``4)`` is only a heading where a ``4)`` can come
next), which keeps numbered sentences and cross-references ("Section I.C.1.d.9.") out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = "ICD-10-CM Official Guidelines"
INTRODUCTION = "INTRODUCTION"  # id of the unnumbered preamble before the table of contents


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

_ROMANS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii")


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


# --- page text -> lines -----------------------------------------------------------------

# Running headers and footers of the official PDF (checked on the FY2026 file): every page opens
# with the document title, "FY 2026" and "Page N of 121".
_RUNNING = re.compile(
    r"^(?:ICD-10-CM Official Guidelines for Coding and ?Reporting(?: FY ?\d{4})?"
    r"|FY ?\d{4}|Page \d+ of \d+)$"
)
_VERSION = re.compile(r"\bFY ?(\d{4})\b")
_DOT_LEADER = re.compile(r"\.{5,}")  # "Sepsis ........ 23" in the table of contents


def clean_page(text: str) -> list[str]:
    """The lines of one page with running headers and footers dropped and spacing tidied.

    Blank lines are kept (as ``""``): they separate paragraphs.
    """
    lines = [_tidy(line) for line in text.splitlines()]
    top = 0
    while top < len(lines) and top < 8 and (not lines[top] or _RUNNING.match(lines[top])):
        top += 1
    end = len(lines)
    while end > top and (not lines[end - 1] or _RUNNING.match(lines[end - 1])):
        end -= 1
    return lines[top:end]


def _tidy(line: str) -> str:
    """Undo spacing artifacts of PDF text extraction (``ICD -10-CM``, ``non- outpatient``)."""
    line = re.sub(r"\s+", " ", line).strip()
    line = re.sub(r"\bICD -10", "ICD-10", line)
    line = re.sub(r"(?<=[a-z]) -(?=[a-z])", "-", line)
    return re.sub(r"\b(non|chapter|site)- (?=[a-z])", r"\1-", line)


# --- lines -> sections ------------------------------------------------------------------

# Heading kinds from the outside in, with the pattern of their label.
_LABELS: dict[str, re.Pattern[str]] = {
    "upper": re.compile(r"^([A-Z])\.\s+(\S.*)$"),
    "num": re.compile(r"^(\d{1,2})\.\s+(\S.*)$"),
    "lower": re.compile(r"^([a-z])\.\s+(\S.*)$"),
    "pnum": re.compile(r"^(\d{1,2})\)\s*(\S.*)$"),
    "plower": re.compile(r"^\(([a-z])\)\s*(\S.*)$"),
    "roman": re.compile(r"^\((" + "|".join(_ROMANS) + r")\)\s*(\S.*)$"),
}
_SECTION = re.compile(r"^Section ([IVX]+)\.\s+([A-Z].*)$")
_APPENDIX = re.compile(r"^Appendix ([IVX]+)\b\.?\s*(.*)$")
# Which kinds may open under which. I.C.19.d.1 lists "a." items under "1)", hence "lower".
_CHILDREN: dict[str, tuple[str, ...]] = {
    "section": ("upper",),
    "upper": ("num",),
    "num": ("lower",),
    "lower": ("pnum",),
    "pnum": ("plower", "lower"),
    "plower": ("roman",),
    "roman": (),
    "appendix": (),
}
_FIRST = {"upper": "A", "num": "1", "lower": "a", "pnum": "1", "plower": "a", "roman": "i"}
_SENTENCE_WORDS = 12  # a "title" longer than this that ends in a period is a rule, not a title
# A heading line ending in one of these words goes on over the next line.
_CONNECTORS = frozenset(
    ("a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "other")
    + ("than", "that", "the", "to", "versus", "with", "without")
)


@dataclass
class _Open:
    """A section being collected: its place in the outline and its raw body lines."""

    kind: str
    label: str
    id: str
    title: str
    heading: str
    page: int
    lines: list[tuple[int, str]] = field(default_factory=list)


def parse_lines(lines: Iterable[tuple[int, str]]) -> list[Section]:
    """Sections from ``(page, line)`` pairs of cleaned text, in document order.

    The table of contents (lines with dot leaders) is not turned into sections, but its entries
    supply the full titles of headings that wrap in the body. Text before it becomes the
    ``INTRODUCTION`` section. Returns ``[]`` when no ``Section I.``-style heading is found.
    """
    rows = [(page, _tidy(text)) for page, text in lines]
    start = _body_start(rows)
    if start is None:
        return []
    toc = _toc_start(rows, start)
    titles = {n.id: n.title for n in _outline(_toc_entries(rows[toc:start]), {}, wrap=False)}
    opened = _outline(rows[start:], titles, wrap=True)
    intro = rows[:toc]
    if any(text for _, text in intro):
        page = next(page for page, text in intro if text)
        head = _Open("intro", "", INTRODUCTION, "Introduction", "Introduction", page, list(intro))
        opened.insert(0, head)
    return [_finish(node) for node in opened]


def _outline(rows: Sequence[tuple[int, str]], titles: dict[str, str], *, wrap: bool) -> list[_Open]:
    """Walk the lines once, opening a section at each heading and filing text under it.

    ``titles`` maps ids to full titles known from the table of contents; ``wrap`` allows a
    heading title to continue over the following lines.
    """
    opened: list[_Open] = []
    stack: list[_Open] = []
    i = 0
    while i < len(rows):
        page, text = rows[i]
        found = _match_heading(text, stack) if text else None
        if found is None:
            if opened:
                opened[-1].lines.append((page, text))
            i += 1
            continue
        kind, label, depth, title = found
        if kind == "appendix":
            section_id = f"APPENDIX {label}"
        elif kind == "section":
            section_id = label
        else:
            section_id = f"{stack[depth - 1].id}.{label}"
        known = titles.get(section_id, "")
        if wrap:
            title, i = _title_lines(rows, i, title, known)
        else:
            i += 1
        body: list[tuple[int, str]] = []
        if wrap and not known and title.endswith(".") and len(title.split()) > _SENTENCE_WORDS:
            # A rule written as a list item ("a. When the reason for ... highest degree."):
            # the sentence is the text, its first clause the title.
            body, title = [(page, title)], title.split(", ")[0]
        node = _Open(kind, label, section_id, title, _heading(kind, label, title), page, body)
        del stack[depth:]
        stack.append(node)
        opened.append(node)
    return opened


def _heading(kind: str, label: str, title: str) -> str:
    """The heading as printed: ``Section I. ...``, ``4) ...``, ``(a) ...``, ``Appendix I. ...``."""
    if kind == "appendix":
        return f"Appendix {label}. {title}" if title else f"Appendix {label}"
    if kind == "section":
        return f"Section {label}. {title}"
    if kind == "pnum":
        return f"{label}) {title}"
    if kind in ("plower", "roman"):
        return f"({label}) {title}"
    return f"{label}. {title}"


def _toc_entries(rows: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Table-of-contents lines joined into one row per entry, leaders and page numbers cut."""
    entries: list[tuple[int, str]] = []
    buffer = ""
    for page, text in rows:
        if not text:
            continue
        buffer = f"{buffer} {text}".strip()
        if _DOT_LEADER.search(text) or re.search(r"(?:^|\s)\d{1,3}$", text):
            entry = re.sub(r"[\s.]*\.{2,}[\s.]*\d*$", "", buffer)
            if entry == buffer:  # no leader: "Appendix I 116", "neoplasms . 36"
                entry = re.sub(r"\s*\.?\s+\d{1,3}$", "", buffer)
            entries.append((page, entry))
            buffer = ""
    return entries


def _body_start(rows: Sequence[tuple[int, str]]) -> int | None:
    """Index of the first real ``Section I.`` heading (not its table-of-contents entry)."""
    for i, (_, text) in enumerate(rows):
        if not (_SECTION.match(text) and not _DOT_LEADER.search(text)):
            continue
        following = [t for _, t in rows[i + 1 : i + 8] if t][:3]
        if not any(_DOT_LEADER.search(t) for t in following):
            return i
    return None


def _toc_start(rows: Sequence[tuple[int, str]], body: int) -> int:
    """Index of the first table-of-contents line before the body, or the body itself."""
    for i, (_, text) in enumerate(rows[:body]):
        if _DOT_LEADER.search(text):
            return i
    return body


def _match_heading(text: str, stack: list[_Open]) -> tuple[str, str, int, str] | None:
    """``(kind, label, depth, title)`` if ``text`` opens the next section, else None.

    Only the label that can come next counts: a sibling of the deepest open section, its first
    child, or a sibling of one of its ancestors, tried in that order. ``(i)`` after ``(h)`` is
    thus the ninth letter, while ``(i)`` after ``(a)`` opens the roman numerals.
    """
    section = _SECTION.match(text)
    if section:
        number = section.group(1)
        if not stack or (stack[0].kind == "section" and _next(stack[0].label, "section") == number):
            return "section", number, 0, section.group(2)
        return None
    appendix = _APPENDIX.match(text)
    if appendix and stack and not appendix.group(2)[:1].islower():
        number = appendix.group(1)
        first = stack[0].kind == "section" and number == "I"
        if first or (stack[0].kind == "appendix" and _next(stack[0].label, "section") == number):
            return "appendix", number, 0, appendix.group(2)
    if not stack:
        return None
    readings = [
        (kind, m.group(1), m.group(2)) for kind, rx in _LABELS.items() if (m := rx.match(text))
    ]
    readings = [r for r in readings if not r[2][0].islower()]
    deepest = stack[-1]
    for kind, label, title in readings:
        if kind == deepest.kind and _next(deepest.label, kind) == label:
            return kind, label, len(stack) - 1, title
    for kind, label, title in readings:
        if kind in _CHILDREN[deepest.kind] and label == _FIRST[kind]:
            return kind, label, len(stack), title
    for depth in range(len(stack) - 2, -1, -1):
        for kind, label, title in readings:
            if kind == stack[depth].kind and _next(stack[depth].label, kind) == label:
                return kind, label, depth, title
    return None


def _next(label: str, kind: str) -> str:
    """The next label of a kind: ``d`` -> ``e``, ``9`` -> ``10``, ``iv`` -> ``v``."""
    if kind == "roman":
        index = _ROMANS.index(label) + 1
        return _ROMANS[index] if index < len(_ROMANS) else ""
    if kind == "section":
        upper = tuple(r.upper() for r in _ROMANS)
        index = upper.index(label) + 1 if label in upper else len(upper)
        return upper[index] if index < len(upper) else ""
    if label.isdigit():
        return str(int(label) + 1)
    return chr(ord(label) + 1)


def _title_lines(
    rows: Sequence[tuple[int, str]], i: int, title: str, known: str
) -> tuple[str, int]:
    """The full heading title, which may wrap onto following lines, and the index after it.

    ``known`` is the title from the table of contents, when it lists this heading: lines are
    taken while they keep the title a prefix of it. Otherwise the line's shape decides.
    """
    i += 1
    if not title:  # "Appendix I" with its title on the next line
        while i < len(rows) and not rows[i][1]:
            i += 1
        if i < len(rows):
            title, i = rows[i][1], i + 1
    target = _squash(known)
    if target.startswith(_squash(title)):
        while i < len(rows) and rows[i][1] and len(_squash(title)) < len(target):
            longer = _join(title, rows[i][1])
            if not target.startswith(_squash(longer)):
                break
            title, i = longer, i + 1
        return title, i
    for _ in range(3):
        if i >= len(rows) or not rows[i][1] or not _continues(title, rows[i][1]):
            break
        title = _join(title, rows[i][1])
        i += 1
    return title, i


def _squash(text: str) -> str:
    """Text without spaces or case, to compare titles however their lines were wrapped."""
    return re.sub(r"\s+", "", text).lower().rstrip(".:")


def _continues(title: str, line: str) -> bool:
    """Whether ``line`` carries on a heading title rather than starting the body."""
    if _SECTION.match(line) or any(rx.match(line) for rx in _LABELS.values()):
        return False
    words = title.split()
    last = words[-1].lower() if words else ""
    return (
        title.endswith(("-", ",", "/"))
        or last in _CONNECTORS
        or title.count("(") > title.count(")")
        or title.count("“") > title.count("”")
        or line[0].islower()
        or bool(re.match(r"\([A-Z]\d{2}\b", line))  # "(O00-O9A)" after a chapter title
        # a long heading followed by a few words: the tail of the title ("Pain Codes")
        or (len(title) >= 45 and len(line) <= 30 and not line.endswith((".", ":", ";")))
    )


def _join(left: str, right: str) -> str:
    """Two wrapped lines as one."""
    return left + _glue(left, right) + right


def _glue(left: str, right: str) -> str:
    """What goes between wrapped lines: nothing after a split word (``Long-`` ``term``)."""
    if left.endswith("-") and len(left) > 1 and (left[-2].isalpha() or re.match(r"[A-Z]\d", right)):
        return ""
    return " "


def _finish(node: _Open) -> Section:
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
                sep = "\n" if len(previous) < 0.75 * width else _glue(previous, text)
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
