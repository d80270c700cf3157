"""Tests for the Markdown knowledge chunker and for the bundled career knowledge files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.sources.packaged import knowledge_file
from ingest.career import (
    KnowledgeChunk,
    KnowledgeError,
    citation,
    load_knowledge,
)

REPO = Path(__file__).resolve().parents[2]
EVAL_SET = REPO / "knowledge" / "eval" / "career_dev.jsonl"

GUIDE = """# Certifications

Short introduction before the first section.

## AHIMA: CCS

The CCS is AHIMA's hospital coding credential.

### Exam

Four hours.

## AAPC: CPC

The CPC is AAPC's credential for professional container.

```
# not a heading inside a code fence
medcode code E11.65
```
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def career(tmp_path: Path) -> Path:
    folder = tmp_path / "career"
    write(folder, "certifications.md", GUIDE)
    write(folder, "salary.md", "# Salary\n\n## Pay\n\nMedian pay (BLS, 2022).\n")
    return folder


# --- chunker on small fixture files ---------------------------------------------------------


def test_each_heading_becomes_one_chunk_with_its_citation(career: Path) -> None:
    chunks = {c.id: c for c in load_knowledge(career)}

    assert list(chunks) == [
        "career:certifications:certifications",
        "career:certifications:ahima-ccs",
        "career:certifications:aapc-cpc",
        "career:salary:pay",
    ]
    ccs = chunks["career:certifications:ahima-ccs"]
    assert ccs.file == "certifications.md"
    assert (ccs.title, ccs.heading) == ("Certifications", "AHIMA: CCS")
    assert "hospital coding credential" in ccs.text
    assert "Four hours." in ccs.text  # a ### subsection stays inside its ## section
    assert citation(ccs) == "certifications.md › AHIMA: CCS"


def test_text_before_the_first_section_is_cited_by_the_title(career: Path) -> None:
    intro = load_knowledge(career)[0]
    assert intro.heading == "Certifications"
    assert intro.text == "Short introduction before the first section."


def test_hash_inside_a_code_fence_is_not_a_heading(career: Path) -> None:
    cpc = next(c for c in load_knowledge(career) if c.heading == "AAPC: CPC")
    assert "medcode code E11.65" in cpc.text
    assert "# not a heading" in cpc.text


def test_ids_and_hashes_are_stable_across_loads_and_other_files(career: Path) -> None:
    first = {c.id: c.content_hash for c in load_knowledge(career)}
    write(career, "aaa-new.md", "# New\n\n## Extra\n\nMore.\n")
    second = {c.id: c.content_hash for c in load_knowledge(career)}

    assert {k: v for k, v in second.items() if k in first} == first
    assert "career:aaa-new:extra" in second


def test_content_hash_changes_only_when_the_section_changes(career: Path) -> None:
    before = {c.id: c.content_hash for c in load_knowledge(career)}
    text = GUIDE.replace("hospital coding credential", "hospital coding credential (AHIMA, 2024)")
    write(career, "certifications.md", text)
    after = {c.id: c.content_hash for c in load_knowledge(career)}

    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"career:certifications:ahima-ccs"}


def test_namespace_defaults_to_folder_name_and_can_be_set(career: Path) -> None:
    assert load_knowledge(career, namespace="kb")[1].id == "kb:certifications:ahima-ccs"


def test_chunk_is_frozen(career: Path) -> None:
    chunk = load_knowledge(career)[1]
    with pytest.raises(AttributeError):
        chunk.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Just prose, no headings at all.\n", "expected one '# ' title"),
        ("# Title only\n\nSome text.\n", "no '## ' sections"),
        ("# A\n\n## S\n\nx\n\n# B\n\n## T\n\ny\n", "found 2"),
        ("# T\n\n## Same\n\none\n\n## Same\n\ntwo\n", "heading repeated: 'Same'"),
        ("# T\n\n## Empty\n\n## Full\n\ntext\n", "section 'Empty' is empty"),
    ],
)
def test_malformed_file_raises_one_line_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    write(tmp_path, "broken.md", content)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    assert str(caught.value).startswith("broken.md: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_non_utf8_file_raises_knowledge_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("# Café\n\n## Über\n\ntext\n".encode("latin-1"))
    with pytest.raises(KnowledgeError, match=r"^latin1\.md: not UTF-8"):
        load_knowledge(tmp_path)
    assert issubclass(KnowledgeError, ValueError)


def test_the_career_files_ship_as_package_data(clean_env: None) -> None:
    assert Settings().knowledge_dir == knowledge_file("career")
    assert (knowledge_file("career") / "certifications.md").is_file()


# --- the bundled career knowledge -----------------------------------------------------------

FIGURE = re.compile(r"\$\s?\d|\d\s?%|\d\s+percent\b", re.IGNORECASE)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
SOURCE_NAMES = ("BLS", "AAPC", "AHIMA", "CMS", "CDC", "NCHS", "AMA", "HHS", "U.S.C.", "O*NET")


@pytest.fixture(scope="module")
def real_chunks() -> list[KnowledgeChunk]:
    folder = knowledge_file("career")
    if not folder.is_dir():
        pytest.skip(f"no bundled knowledge folder at {folder}")
    return load_knowledge(folder)


def test_every_file_has_a_sources_section(real_chunks: list[KnowledgeChunk]) -> None:
    files = {c.file for c in real_chunks}
    with_sources = {c.file for c in real_chunks if c.heading == "Sources"}
    assert len(files) >= 9
    assert files == with_sources


def test_every_figure_carries_a_source_and_a_year(real_chunks: list[KnowledgeChunk]) -> None:
    unsourced = [
        citation(c)
        for c in real_chunks
        if FIGURE.search(c.text)
        and not (YEAR.search(c.text) and any(name in c.text for name in SOURCE_NAMES))
    ]
    assert unsourced == []


def test_figures_sit_next_to_their_citation(real_chunks: list[KnowledgeChunk]) -> None:
    # Stricter than chunk level: each paragraph or list item with a figure names a year.
    bare = []
    for chunk in real_chunks:
        for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)", chunk.text):
            if FIGURE.search(block) and not YEAR.search(block):
                bare.append(f"{citation(chunk)}: {block[:60]!r}")
    assert bare == []


def test_no_chunk_is_empty_and_ids_are_unique(real_chunks: list[KnowledgeChunk]) -> None:
    assert all(c.text.strip() and c.heading and c.title for c in real_chunks)
    ids = [c.id for c in real_chunks]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("career:") for i in ids)


def test_eval_targets_exist_and_contain_the_expected_phrases(
    real_chunks: list[KnowledgeChunk],
) -> None:
    by_target = {(c.file, c.heading): c for c in real_chunks}
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]

    assert len(rows) >= 30
    for row in rows:
        assert set(row) == {"question", "expect", "file", "heading"}
        chunk = by_target.get((row["file"], row["heading"]))
        assert chunk is not None, f"no chunk for {row['file']} › {row['heading']}"
        assert row["question"].rstrip("?").lower() != row["heading"].rstrip("?").lower()
        text = " ".join(chunk.text.lower().split())  # a phrase may wrap across lines
        for phrase in row["expect"]:
            assert phrase.lower() in text, f"{phrase!r} not in {citation(chunk)}"


def test_the_career_wording_bridges_load_and_each_names_its_source() -> None:
    from assistant.container import CAREER_TERMS
    from assistant.text.bridges import expand, load_terms

    bridges = load_terms(
        knowledge_file("career") / CAREER_TERMS
    )  # a missing source raises TermsError
    assert bridges
    assert expand("Which exam covers hospital admissions?", bridges) == (
        "Which exam covers hospital admissions hospital inpatient?"
    )
