"""Lines of the Official Guidelines PDF -> its outline: which heading opens each section and
which lines belong under it.

The guidelines are an outline: Section I-IV and Appendix I; inside them ``A.``, ``1.``, ``a.``,
``1)``, ``(a)`` and ``(i)`` headings. Each section gets the full dotted id a coder cites
(``I.C.1.d.4``, ``I.A.15``, ``III.B``, ``APPENDIX I``) and holds only its own lines; lines under
a deeper heading belong to that deeper section. Headings are recognised from the text alone, by
their label *and* position in the sequence (``4)`` is only a heading where a ``4)`` can come
next), which keeps numbered sentences and cross-references ("Section I.C.1.d.9.") out. On the
FY2026 PDF this finds every one of the 490 sections its bookmarks name, with the same titles
and pages, and five the bookmarks leave out (I.C.4.a.1.a-b, I.C.19.d.1.a-c).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

INTRODUCTION = "INTRODUCTION"  # id of the unnumbered preamble before the table of contents

_ROMANS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii")

# --- page text -> lines -----------------------------------------------------------------

# Running headers and footers of the official PDF (checked on the FY2026 file): every page opens
# with the document title, "FY 2026" and "Page N of 121".
_RUNNING = re.compile(
    r"^(?:ICD-10-CM Official Guidelines for Coding and ?Reporting(?: FY ?\d{4})?"
    r"|FY ?\d{4}|Page \d+ of \d+)$"
)
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


# --- lines -> outline -------------------------------------------------------------------

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
class Entry:
    """One section of the outline: its id, printed heading and the raw lines under it."""

    kind: str
    label: str
    id: str
    title: str
    heading: str
    page: int
    lines: list[tuple[int, str]] = field(default_factory=list)


def outline(lines: Iterable[tuple[int, str]]) -> list[Entry]:
    """The sections of ``(page, line)`` pairs of cleaned text, in document order.

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
        head = Entry("intro", "", INTRODUCTION, "Introduction", "Introduction", page, list(intro))
        opened.insert(0, head)
    return opened


def _outline(rows: Sequence[tuple[int, str]], titles: dict[str, str], *, wrap: bool) -> list[Entry]:
    """Walk the lines once, opening a section at each heading and filing text under it.

    ``titles`` maps ids to full titles known from the table of contents; ``wrap`` allows a
    heading title to continue over the following lines.
    """
    opened: list[Entry] = []
    stack: list[Entry] = []
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
        node = Entry(kind, label, section_id, title, _heading(kind, label, title), page, body)
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


def _match_heading(text: str, stack: list[Entry]) -> tuple[str, str, int, str] | None:
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
    return left + glue(left, right) + right


def glue(left: str, right: str) -> str:
    """What goes between wrapped lines: nothing after a split word (``Long-`` ``term``)."""
    if left.endswith("-") and len(left) > 1 and (left[-2].isalpha() or re.match(r"[A-Z]\d", right)):
        return ""
    return " "
