"""Tests for the Official Guidelines parser: heading outline, section text, chunks, citations."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import SHARED

from assistant.codesets.icd10cm.guidelines import (
    INTRODUCTION,
    Guidelines,
    GuidelinesError,
    Section,
    chunk_sections,
    citation,
    clean_page,
    normalize_section_id,
    parse_guidelines,
    parse_lines,
    section_within,
)

REAL_PDF = SHARED / "guidelines/icd10cm-guidelines-fy2026.pdf"

# A miniature of the real layout: preamble, a table of contents with dot leaders, then the
# body with every heading style, wrapped titles and lines that only look like headings.
# Labels run in sequence as in the real PDF; "@@N" starts page N.
FIXTURE = """\
These guidelines are a set of rules that accompany the classification.

Section I. Conventions, general coding guidelines and chapter specific guidelines ........ 2
A. Conventions for the ICD-10-CM ......................................................... 2
B. General Coding Guidelines ............................................................. 2
C. Chapter-Specific Coding Guidelines .................................................... 2
1. Chapter 1: Certain Infectious and Parasitic Diseases (A00-B99) ....................... 2
a. Sepsis, Severe Sepsis, and Septic Shock ............................................... 2
2. Chapter 2: Neoplasms (C00-D49) ........................................................ 3
a. Leukemia, Multiple Myeloma, and Malignant Plasma Cell Neoplasms in remission versus
personal history ......................................................................... 3
Section II. Selection of Principal Diagnosis .............................................. 3
Appendix I 3
Present on Admission Reporting Guidelines .................................................. 3
@@2
Section I. Conventions, general coding guidelines and chapter
specific guidelines
The conventions apply to all health care settings.
A. Conventions for the ICD-10-CM
1. "With"
The word "with" should be interpreted to mean "associated with" or "due to".
2. "See" and "See Also"
The "see" instruction indicates that another term should be referenced.
B. General Coding Guidelines
C. Chapter-Specific Coding Guidelines
1. Chapter 1: Certain Infectious and Parasitic Diseases (A00-B99)
a. Sepsis, Severe Sepsis, and Septic Shock
1) Coding of Sepsis and Severe Sepsis
(a) Sepsis
For a diagnosis of sepsis, assign the appropriate code.
(i) Negative or inconclusive blood cultures and sepsis
Negative blood cultures do not preclude a diagnosis of sepsis.
(ii) Urosepsis
The term urosepsis is a nonspecific term.
(b) Severe sepsis
(confirmed) by the provider is not a heading.
2) Sepsis or severe sepsis with a localized infection
If the reason for admission is sepsis and a localized infection, code the sepsis first.
For hemolytic-uremic syndrome, see guideline
I.C.1.a.9.
@@3
(c) Pain Codes
This label is out of sequence, so it stays in the text of 2).
Section I.C.19.g.3.a. Transplant complications
2. Chapter 2: Neoplasms (C00-D49)
a. Leukemia, Multiple Myeloma, and Malignant Plasma Cell
Neoplasms in remission versus personal history
The categories for leukemia have codes indicating remission.
Section II. Selection of Principal Diagnosis
A. Codes for symptoms, signs, and ill-defined conditions
1. Use of a symptom code with a definitive diagnosis code of the same body system in which
the symptom is found
Codes for symptoms are not to be used as principal diagnosis when a diagnosis is known.
Appendix I
Present on Admission Reporting Guidelines
Assign Y for conditions present at the time of admission.
"""


def fixture_rows(text: str = FIXTURE) -> list[tuple[int, str]]:
    """``(page, line)`` pairs; a line ``@@N`` starts page N."""
    page, rows = 1, []
    for line in text.splitlines():
        if line.startswith("@@"):
            page = int(line[2:])
        else:
            rows.append((page, line))
    return rows


@pytest.fixture(scope="module")
def small() -> Guidelines:
    return Guidelines(version="FY2030", sections=parse_lines(fixture_rows()))


def must_get(guidelines: Guidelines, section_id: str) -> Section:
    found = guidelines.get(section_id)
    assert found is not None, f"missing section {section_id}"
    return found


# --- outline ------------------------------------------------------------------------


def test_headings_become_full_dotted_ids_in_order(small: Guidelines) -> None:
    assert [s.id for s in small.sections] == [
        INTRODUCTION,
        "I",
        "I.A",
        "I.A.1",
        "I.A.2",
        "I.B",
        "I.C",
        "I.C.1",
        "I.C.1.a",
        "I.C.1.a.1",
        "I.C.1.a.1.a",
        "I.C.1.a.1.a.i",
        "I.C.1.a.1.a.ii",
        "I.C.1.a.1.b",
        "I.C.1.a.2",
        "I.C.2",
        "I.C.2.a",
        "II",
        "II.A",
        "II.A.1",
        "APPENDIX I",
    ]


def test_table_of_contents_is_not_a_section_but_preamble_is(small: Guidelines) -> None:
    intro = small.sections[0]
    assert intro.text == "These guidelines are a set of rules that accompany the classification."
    assert all("...." not in s.text for s in small.sections)


def test_wrapped_titles_are_joined(small: Guidelines) -> None:
    title = must_get(small, "I").title
    assert title == "Conventions, general coding guidelines and chapter specific guidelines"
    # completed from the table of contents although the next line starts with a capital
    leukemia = must_get(small, "I.C.2.a")
    assert leukemia.title.endswith("Plasma Cell Neoplasms in remission versus personal history")
    assert leukemia.text.startswith("The categories for leukemia")
    # not in the table of contents: the title ends with "which", so the next line continues it
    assert must_get(small, "II.A.1").title.endswith("in which the symptom is found")
    assert must_get(small, "APPENDIX I").title == "Present on Admission Reporting Guidelines"


def test_text_belongs_to_the_deepest_section_only(small: Guidelines) -> None:
    assert must_get(small, "I.C.1.a").text == ""
    assert must_get(small, "I.C.1.a.1.a").text == (
        "For a diagnosis of sepsis, assign the appropriate code."
    )
    assert must_get(small, "I.C.1.a.1.a.ii").text == "The term urosepsis is a nonspecific term."
    everything = "\n".join(s.text for s in small.sections)
    assert everything.count("code the sepsis first") == 1


def test_lookalike_lines_stay_in_the_text(small: Guidelines) -> None:
    assert "(confirmed) by the provider" in must_get(small, "I.C.1.a.1.b").text
    localized = " ".join(must_get(small, "I.C.1.a.2").text.split())
    assert "see guideline I.C.1.a.9." in localized
    assert "(c) Pain Codes" in localized  # a (c) cannot follow 2) directly
    assert "Section I.C.19.g.3.a." in localized


def test_roman_and_letter_i_are_told_apart() -> None:
    letters = "".join(f"({c}) Item {c}\n" for c in "abcdefgh")
    rows = fixture_rows(
        "Section I. Conventions\nA. Conventions\n1. Chapter 1: Infections\na. HIV\n"
        f"1) Selection of HIV codes\n{letters}(i) Encounters for HIV testing\nText.\n"
        "(a) Sepsis\n"  # not a heading: (a) cannot follow (i)
    )
    sections = parse_lines(rows)
    assert sections[-1].id == "I.A.1.a.1.i"  # the ninth letter, not a roman numeral under (h)
    assert sections[-1].text == "Text.\n(a) Sepsis"


def test_section_ii_letter_i_is_a_subsection() -> None:
    letters = "".join(f"{c}. Rule {c}\n" for c in "ABCDEFGH")
    rows = fixture_rows(
        f"Section II. Selection of Principal Diagnosis\n{letters}"
        "I. Admission from Observation Unit\n1. Admission Following Medical Observation\n"
        "When a patient is admitted to an observation unit, the condition is principal.\n"
    )
    sections = {s.id: s for s in parse_lines(rows)}
    assert sections["II.I"].title == "Admission from Observation Unit"
    assert sections["II.I.1"].text.startswith("When a patient is admitted")


def test_page_is_where_the_heading_stands(small: Guidelines) -> None:
    localized = must_get(small, "I.C.1.a.2")
    assert localized.page == 2
    assert must_get(small, "I.C.2").page == 3
    assert localized.page_at(0) == 2
    assert localized.page_at(localized.text.index("(c) Pain Codes")) == 3


def test_no_body_gives_no_sections() -> None:
    assert parse_lines([(1, "Just a letter."), (1, "1. Not a guideline")]) == []


def test_breadcrumb_lists_printed_headings(small: Guidelines) -> None:
    assert small.breadcrumb("i.c.1.a.2") == (
        "Section I. Conventions, general coding guidelines and chapter specific guidelines"
        " > C. Chapter-Specific Coding Guidelines"
        " > 1. Chapter 1: Certain Infectious and Parasitic Diseases (A00-B99)"
        " > a. Sepsis, Severe Sepsis, and Septic Shock"
        " > 2) Sepsis or severe sepsis with a localized infection"
    )


# --- page cleaning, ids, citations ----------------------------------------------------


def test_running_header_is_removed_from_a_page() -> None:
    page = (
        "ICD-10-CM Official Guidelines for Coding and Reporting \nFY 2026 \nPage 24 of 121 \n \n"
        "(b) Severe  sepsis\nThe ICD -10-CM classification for non- outpatient settings \n"
    )
    assert clean_page(page) == [
        "(b) Severe sepsis",
        "The ICD-10-CM classification for non-outpatient settings",
    ]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("I.C.1.d.4", "I.C.1.d.4"),
        ("Section i.c.1.D.4.", "I.C.1.d.4"),
        ("I.C.1.d.1(a)", "I.C.1.d.1.a"),
        ("iii.b", "III.B"),
        ("appendix i", "APPENDIX I"),
        ("E11.65", None),
        ("sepsis", None),
    ],
)
def test_normalize_section_id(written: str, canonical: str | None) -> None:
    assert normalize_section_id(written) == canonical


def test_section_within_matches_whole_parts_only() -> None:
    assert section_within("I.C.1.d.4", "I.C.1.d.4")
    assert section_within("I.C.1.d.4.a", "I.C.1.d")
    assert not section_within("I.C.10.b", "I.C.1")
    assert not section_within("I.C.1", "I.C.1.d")


def test_citation_format() -> None:
    assert citation("I.C.1.d.4", "FY2026", 24) == (
        "ICD-10-CM Official Guidelines FY2026, Section I.C.1.d.4, p. 24"
    )
    assert citation("APPENDIX I", "2026", 116) == (
        "ICD-10-CM Official Guidelines FY2026, Appendix I, p. 116"
    )


# --- chunks -------------------------------------------------------------------------


def test_long_section_splits_without_losing_its_id() -> None:
    sentences = [f"Rule {n} says to sequence the systemic infection first." for n in range(60)]
    text = "\n\n".join(" ".join(sentences[i : i + 6]) for i in range(0, 60, 6))
    breaks = ((text.index("Rule 30 "), 25),)  # the second half is printed on page 25
    section = Section(
        "I.C.1.d.4", "Localized infection", 24, text, "4) Localized infection", breaks
    )
    guidelines = Guidelines(
        "FY2026", [Section("I", "Conventions", 7, "", "Section I. Conventions"), section]
    )
    chunks = [c for c in chunk_sections(guidelines, max_chars=400) if c.section == "I.C.1.d.4"]
    assert len(chunks) > 3
    assert all(len(c.text) <= 400 for c in chunks)
    assert [c.id for c in chunks] == [f"guidelines:2026:I.C.1.d.4:{n}" for n in range(len(chunks))]
    assert all(c.text.endswith(".") for c in chunks)  # cut at sentence ends
    assert chunks[0].page == 24 and chunks[-1].page == 25
    assert chunks[0].context == "Section I. Conventions > 4) Localized infection"
    assert chunks[-1].citation == "ICD-10-CM Official Guidelines FY2026, Section I.C.1.d.4, p. 25"


def test_heading_only_section_still_gets_a_chunk(small: Guidelines) -> None:
    chunks = {c.id: c for c in chunk_sections(small)}
    empty = chunks["guidelines:2030:I.C.1.a:0"]
    assert empty.text == "Sepsis, Severe Sepsis, and Septic Shock"
    assert empty.for_retrieval().startswith("Section I. Conventions")
    assert len(chunks) == len(small.sections)  # all fixture sections are short


def test_chunk_metadata_carries_the_citation(small: Guidelines) -> None:
    chunk = next(c for c in chunk_sections(small) if c.section == "II.A.1")
    meta = chunk.metadata()
    assert meta["ref"] == "II.A.1" and meta["page"] == 3 and meta["version"] == "FY2030"
    assert meta["citation"] == "ICD-10-CM Official Guidelines FY2030, Section II.A.1, p. 3"
    assert all(isinstance(v, str | int) for v in meta.values())


# --- PDF input --------------------------------------------------------------------------


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A minimal text PDF (Helvetica, one string per line) that pypdf can read back."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for lines in pages:
        shown = (re.sub(r"([\\()])", r"\\\1", line) or " " for line in lines)
        stream = "BT /F1 10 Tf 12 TL 50 780 Td " + " ".join(f"({s}) Tj T*" for s in shown) + " ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    data = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(data)
    data += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    data += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    data += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(data))
    return path


def header(page: int, year: str = "2031") -> list[str]:
    return [
        "ICD-10-CM Official Guidelines for Coding and Reporting",
        f"FY {year}",
        f"Page {page} of 2",
    ]


def test_parse_tiny_pdf(tmp_path: Path) -> None:
    pdf = write_pdf(
        tmp_path / "guidelines.pdf",
        [
            [
                *header(1),
                "Section I. Conventions",
                "A. Conventions for the ICD-10-CM",
                "1. With convention",
                "The word with means associated with.",
                "",
                "The classification presumes a causal relationship;",
            ],
            [
                *header(2),
                "conditions are related unless the provider says not.",
                "B. General Coding",
                "1. Borderline Diagnosis",
                "Code borderline diagnoses as confirmed.",
            ],
        ],
    )
    guidelines = parse_guidelines(pdf)
    assert guidelines.version == "FY2031"
    assert [s.id for s in guidelines.sections] == ["I", "I.A", "I.A.1", "I.B", "I.B.1"]
    with_ = must_get(guidelines, "I.A.1")
    assert with_.title == "With convention"
    assert with_.page == 1
    assert with_.text == (
        "The word with means associated with.\n\n"
        "The classification presumes a causal relationship; "
        "conditions are related unless the provider says not."
    )
    assert must_get(guidelines, "I.B.1").page == 2
    assert all(
        "Page " not in c.text and "FY 2031" not in c.text for c in chunk_sections(guidelines)
    )


def test_version_falls_back_to_the_caller(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "g.pdf", [["Section I. Conventions", "A. Conventions", "Text."]])
    assert parse_guidelines(pdf, version="2027").version == "FY2027"
    with pytest.raises(GuidelinesError, match="version"):
        parse_guidelines(pdf)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"Section I. Conventions\nA. Conventions\n", "not a PDF"),
        (b"%PDF-1.4\n1 0 obj garbage", "cannot read"),
    ],
)
def test_malformed_input_raises_one_line_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "guidelines.pdf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GuidelinesError, match=message) as info:
        parse_guidelines(path)
    assert "\n" not in str(info.value)


def test_pdf_without_guideline_sections_is_rejected(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "letter.pdf", [["Dear coder,", "1. Nothing here is a guideline."]])
    with pytest.raises(GuidelinesError, match="no guideline sections"):
        parse_guidelines(pdf, version="FY2026")


# --- the real FY2026 PDF ------------------------------------------------------------------

EXPECTED_IDS = [
    "I.C.1.d.4", "I.A.15", "I.A.16", "I.A.9.b", "III.B", "I.C.4.a.2",
    "I.C.15.a", "I.C.1.e", "I.C.7.a", "I.C.2.b", "I.C.10.b", "I.A.17", "I.B.17",
]  # fmt: skip


@pytest.fixture(scope="module")
def real() -> tuple[Guidelines, float]:
    if not REAL_PDF.is_file():
        pytest.skip(f"real guidelines PDF not available at {REAL_PDF}")
    started = time.perf_counter()
    guidelines = parse_guidelines(REAL_PDF)
    return guidelines, time.perf_counter() - started


@pytest.mark.integration
def test_real_pdf_parses_quickly_with_plausible_outline(real: tuple[Guidelines, float]) -> None:
    guidelines, seconds = real
    assert seconds < 60
    assert guidelines.version == "FY2026"
    assert 400 <= len(guidelines.sections) <= 700
    ids = [s.id for s in guidelines.sections]
    assert len(ids) == len(set(ids))
    assert [s.id for s in guidelines.sections if " " in s.id or "." not in s.id] == [
        INTRODUCTION, "I", "II", "III", "IV", "APPENDIX I",
    ]  # fmt: skip
    assert [f"I.C.{n}" for n in range(1, 23)] == [i for i in ids if re.fullmatch(r"I\.C\.\d+", i)]


@pytest.mark.integration
@pytest.mark.parametrize("section_id", EXPECTED_IDS)
def test_real_pdf_has_sections_questions_cite(
    real: tuple[Guidelines, float], section_id: str
) -> None:
    assert must_get(real[0], section_id).title


@pytest.mark.integration
def test_real_pages_are_the_printed_page_numbers() -> None:
    if not REAL_PDF.is_file():
        pytest.skip(f"real guidelines PDF not available at {REAL_PDF}")
    from pypdf import PdfReader

    pages = PdfReader(REAL_PDF).pages
    for number in (2, 24, 121):
        assert f"Page {number} of 121" in (pages[number - 1].extract_text() or "")


@pytest.mark.integration
def test_real_sepsis_with_localized_infection(real: tuple[Guidelines, float]) -> None:
    guidelines = real[0]
    section = must_get(guidelines, "I.C.1.d.4")
    assert section.title == "Sepsis or severe sepsis with a localized infection"
    assert section.page == 24  # "Page 24 of 121" is printed on that page
    assert section.text.startswith("If the reason for admission is sepsis or severe sepsis")
    assert "Chapter 1: Certain Infectious and Parasitic Diseases" in guidelines.breadcrumb(
        section.id
    )
    assert must_get(guidelines, "I.C.1").title.startswith("Chapter 1: Certain Infectious")
    assert must_get(guidelines, "I.C.15").title.startswith("Chapter 15: Pregnancy, Childbirth")


@pytest.mark.integration
def test_real_conventions_text(real: tuple[Guidelines, float]) -> None:
    guidelines = real[0]
    assert "“with”" in must_get(guidelines, "I.A.15").text
    assert "“see also”" in must_get(guidelines, "I.A.16").text
    assert must_get(guidelines, "III.B").title == "Abnormal findings"
    assert must_get(guidelines, "IV.H").title == "Uncertain diagnosis"
    assert "present on admission" in must_get(guidelines, "APPENDIX I").text.lower()


@pytest.mark.integration
def test_real_text_is_owned_by_one_section(real: tuple[Guidelines, float]) -> None:
    everything = "\n".join(s.text for s in real[0].sections)
    assert everything.count("If the reason for admission is sepsis or severe sepsis") == 1
    assert must_get(real[0], "I.C.1.d").text == ""  # heading only: its rules are in d.1 ... d.9


@pytest.mark.integration
def test_real_chunks_are_clean_and_cited(real: tuple[Guidelines, float]) -> None:
    chunks = chunk_sections(real[0])
    assert len({c.id for c in chunks}) == len(chunks)
    running = re.compile(r"Page \d+ of 121|^FY 2026$|Reporting\s*\nFY 2026", re.MULTILINE)
    assert not [c.id for c in chunks if running.search(c.text)]
    assert not [c.id for c in chunks if "....." in c.text]  # no table of contents
    assert all(len(c.text) <= 1200 for c in chunks)
    first = next(c for c in chunks if c.section == "I.C.1.d.4")
    assert first.citation == "ICD-10-CM Official Guidelines FY2026, Section I.C.1.d.4, p. 24"
    assert first.context.endswith("> 4) Sepsis or severe sepsis with a localized infection")


# The FY2026 PDF's bookmarks leave these headings out; the text outline finds them.
UNBOOKMARKED = {
    "I.C.4.a.1.a", "I.C.4.a.1.b", "I.C.19.d.1.a", "I.C.19.d.1.b", "I.C.19.d.1.c",
}  # fmt: skip
_BOOKMARK = re.compile(
    r"^(?:Section (?P<section>[IVX]+)\.|Appendix (?P<appendix>[IVX]+)|(?P<upper>[A-Z])\."
    r"|(?P<num>\d{1,2})\.|(?P<lower>[a-z])\.|(?P<pnum>\d{1,2})\)|\((?P<paren>[a-z]+)\))"
    r"\s*(?P<title>.*)$"
)


def bookmarks(pdf: Path) -> dict[str, tuple[str, int]]:
    """Section id -> (title, page) read from the PDF's own bookmarks, nested by their depth.

    A bookmark nested under a sibling of its own label style (FY2026 files "d. Dementia" under
    "c. Factitious Disorder") is read as that sibling's neighbour. Unlabelled bookmarks (the
    document title, Appendix I's title) are left out.
    """
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found: dict[str, tuple[str, int]] = {}
    stack: list[tuple[int, str, str]] = []  # (depth, id, label style)

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            match = _BOOKMARK.match(" ".join(item.title.split()))
            if not match:
                continue
            style = next(k for k, v in match.groupdict().items() if v and k != "title")
            while stack and (stack[-1][0] >= depth or stack[-1][2] == style != "paren"):
                stack.pop()
            label = match[style]
            if style in ("section", "appendix"):
                section_id = label if style == "section" else f"APPENDIX {label}"
            else:
                section_id = f"{stack[-1][1]}.{label}"
            stack.append((depth, section_id, style))
            page = reader.get_destination_page_number(item)
            assert page is not None
            found[section_id] = (match["title"], page + 1)

    walk(reader.outline, 0)
    return found


@pytest.mark.integration
def test_real_outline_agrees_with_the_pdf_bookmarks(real: tuple[Guidelines, float]) -> None:
    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text).lower().rstrip(".:")

    marks = bookmarks(REAL_PDF)
    assert len(marks) == 490
    parsed = {s.id: s for s in real[0].sections}
    assert not [i for i in marks if i not in parsed]
    assert set(parsed) - set(marks) == {INTRODUCTION, *UNBOOKMARKED}
    assert not [i for i, (_, page) in marks.items() if parsed[i].page != page]
    assert not [
        i for i, (title, _) in marks.items() if title and squash(parsed[i].title) != squash(title)
    ]
