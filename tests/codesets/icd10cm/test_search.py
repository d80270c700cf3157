"""Hybrid code search and passage search (assistant.search.codes) on the fixture release."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import tab_of, write_career

from assistant.codesets.icd10cm.search import HybridRetriever, wordings
from assistant.codesets.icd10cm.syntax import compact
from assistant.codesets.icd10cm.tabular import Tabular, load_tabular
from assistant.container import Container
from ingest import run_ingest

QUERIES = [
    "e1165",
    "E11.6",
    "type 2 diabetes hyperglycemia",
    "fracture of nasal bones",
    "fracture of nasal bones, initial encounter",
    "fracture of nasal bones, subsequent encounter",
    "strep throat",
    "heart attack",
    "acute pharyngitis",
    "superficial injury of scalp",
]


@pytest.fixture
def retriever(ingested: Container) -> HybridRetriever:
    return ingested.search("icd10cm")


def codes(retriever: HybridRetriever, query: str, k: int = 5) -> list[str]:
    return [h.code for h in retriever.search_codes(query, k=k)]


@pytest.mark.parametrize("query", ["e1165", "E11.65", " e11.65 ", "E1165"])
def test_a_code_in_any_spelling_is_an_exact_match_first(
    retriever: HybridRetriever, query: str
) -> None:
    hits = retriever.search_codes(query)
    assert hits[0].code == "E11.65"
    assert hits[0].via == ["exact"]
    assert hits[0].description == "Type 2 diabetes mellitus with hyperglycemia"


def test_a_header_code_returns_its_billable_codes(retriever: HybridRetriever) -> None:
    hits = retriever.search_codes("E11.6")
    assert [h.code for h in hits] == ["E11.641", "E11.649", "E11.65", "E11.69"]
    assert all(h.via == ["exact-prefix"] for h in hits)


def test_description_finds_its_code_first(retriever: HybridRetriever) -> None:
    assert codes(retriever, "type 2 diabetes hyperglycemia")[0] == "E11.65"
    assert codes(retriever, "type 1 diabetes with hyperglycemia")[0] == "E10.65"


def test_inclusion_terms_lead_to_their_code(retriever: HybridRetriever) -> None:
    hit = retriever.search_codes("septic pharyngitis")[0]
    assert hit.code == "J02.0"
    assert hit.matched == "Septic pharyngitis"


def test_lay_terms_are_bridged_to_the_tabular_wording(retriever: HybridRetriever) -> None:
    assert codes(retriever, "strep throat")[0] == "J02.0"
    assert codes(retriever, "heart attack")[0] == "I21.9"
    assert codes(retriever, "sore throat")[0] == "J02.9"  # not the streptococcal one


def test_encounter_in_the_question_picks_the_7th_character(retriever: HybridRetriever) -> None:
    assert codes(retriever, "fracture of nasal bones, initial encounter")[0] == "S02.2XXA"
    assert codes(retriever, "fracture of nasal bones, subsequent encounter")[0] == "S02.2XXD"
    assert codes(retriever, "broken nose bones, follow-up visit")[0] == "S02.2XXD"


def test_without_an_encounter_every_7th_character_is_offered(
    retriever: HybridRetriever, ingested: Container
) -> None:
    found = codes(retriever, "fracture of nasal bones", k=10)
    assert found[:6] == [f"S02.2XX{c}" for c in "ABDGKS"]
    for code in found:
        if code.startswith("S"):
            assert len(compact(code)) == 7, code  # never the incomplete S02.2
            assert tab_of(ingested).node(code) is not None, code


def test_other_codes_show_one_encounter_before_their_others(retriever: HybridRetriever) -> None:
    found = codes(retriever, "fracture of nasal bones", k=40)
    assert found[:6] == [f"S02.2XX{c}" for c in "ABDGKS"]
    bases = [compact(c)[:6] for c in found[6:]]
    first = {b: bases.index(b) for b in bases}
    repeats = [i for i, b in enumerate(bases) if first[b] != i]
    assert len(bases) > len(first) > 1  # several other codes, some with more encounters
    assert min(repeats) > max(first.values())  # every other code once before any repeat


@pytest.mark.parametrize("query", QUERIES)
def test_every_returned_code_is_billable(
    retriever: HybridRetriever, ingested: Container, query: str
) -> None:
    hits = retriever.search_codes(query, k=8)
    assert hits
    assert len({h.code for h in hits}) == len(hits)
    for hit in hits:
        assert hit.billable
        assert tab_of(ingested).is_billable(hit.code), hit.code


def test_k_limits_the_hits_and_scores_do_not_increase(retriever: HybridRetriever) -> None:
    hits = retriever.search_codes("type 2 diabetes mellitus", k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_langchain_interface_returns_cited_documents(retriever: HybridRetriever) -> None:
    docs = retriever.invoke("type 2 diabetes hyperglycemia")
    assert docs[0].page_content == "E11.65 Type 2 diabetes mellitus with hyperglycemia"
    assert docs[0].metadata["source"] == "ICD-10-CM FY2026 Tabular List"
    assert docs[0].metadata["ref"] == docs[0].metadata["code"] == "E11.65"


def test_nothing_ingested_finds_no_description(container: Container) -> None:
    assert container.search("icd10cm").search_codes("type 2 diabetes hyperglycemia") == []
    # Codes come from the tabular itself, so they are found before any ingest.
    assert codes(container.search("icd10cm"), "E11.65") == ["E11.65"]


# --- passages -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("which certifications need an exam?", "Certifications"),
        ("what is the pay and is remote work common", "Salary and outlook"),
        ("what do coders do with clinical documentation", "What coders do"),
    ],
)
def test_career_passages_find_the_right_heading(
    ingested: Container, question: str, heading: str
) -> None:
    passages = ingested.passages("career").search(question)
    assert passages[0].record.metadata["ref"] == heading
    assert passages[0].record.metadata["source"] == "becoming-a-coder.md"
    assert set(passages[0].via) <= {"dense", "lexical"} and passages[0].via


def test_passage_search_on_an_empty_collection_is_empty(ingested: Container) -> None:
    assert ingested.passages("guidelines").search("when is sepsis sequenced first?") == []


def test_career_terms_bridge_everyday_words_to_the_files_wording(
    ingested: Container, career_dir: Path
) -> None:
    question = "what do people with these jobs get paid"
    assert ingested.passages("career").search(question)[0].record.metadata["ref"] != (
        "Salary and outlook"
    )
    (career_dir / "terms.toml").write_text(
        '[[term]]\nsay = ["get paid"]\nmeans = "pay salary"\nsource = "test"\n', encoding="utf-8"
    )
    found = ingested.passages("career").search(question)
    assert found[0].record.metadata["ref"] == "Salary and outlook"


def test_a_long_section_is_found_by_words_near_its_end(
    container: Container, career_dir: Path
) -> None:
    filler = " ".join(f"Paragraph {n} says nothing in particular about coding." for n in range(40))
    write_career(
        career_dir,
        "# Long guide\n\n## Background\n\n" + filler + " Auditors review remote charts.\n",
        name="long.md",
    )
    container.embeddings.max_words = 60  # the section's last words lie past the model's reach
    run_ingest(container, progress=False)
    found = container.passages("career").search("auditors review charts")
    assert found[0].record.metadata["ref"] == "Background"
    assert found[0].dense > 0.1  # matched by meaning too: without windows this is 0
    assert found[0].record.metadata["source"] == "long.md"


# Made-up titles in the Tabular's shape: a header with inclusion terms, codes whose titles
# extend the header's, an "other" code, and a title with a nonessential modifier.
_WORDINGS_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2026</version>
  <chapter><name>12</name><desc>Diseases of the skin</desc>
    <section id="L80-L99"><desc>Other disorders of the skin (L80-L99)</desc>
      <diag><name>L89</name><desc>Pressure ulcer</desc>
        <includes><note>bed sore</note></includes>
        <diag><name>L89.1</name><desc>Pressure ulcer of back</desc>
          <diag><name>L89.15</name><desc>Pressure ulcer of sacral region</desc>
            <inclusionTerm><note>Pressure ulcer of coccyx</note>
              <note>Pressure ulcer of (the) tailbone</note></inclusionTerm>
            <diag><name>L89.159</name><desc>Pressure ulcer of sacral region, unspecified stage</desc></diag>
            <diag><name>L89.158</name><desc>Other pressure ulcer of sacral region</desc></diag>
          </diag>
        </diag>
      </diag>
      <diag><name>L90</name><desc>Atrophic (skin) disorders</desc>
        <diag><name>L90.9</name><desc>Atrophic (skin) disorder, unspecified</desc></diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


@pytest.fixture
def headed(tmp_path: Path) -> Tabular:
    path = tmp_path / "tabular.xml"
    path.write_text(_WORDINGS_XML, encoding="utf-8")
    return load_tabular(path)


def test_a_headers_inclusion_terms_read_in_the_codes_below_it(headed: Tabular) -> None:
    said = wordings(headed, "L89.159")
    assert said[0] == "Pressure ulcer of sacral region, unspecified stage"
    assert "Pressure ulcer of coccyx, unspecified stage" in said
    assert "Pressure ulcer of tailbone, unspecified stage" in said
    # The category's includes note, in place of the category's title.
    assert "bed sore of sacral region, unspecified stage" in said


def test_an_other_code_is_read_by_its_title_alone(headed: Tabular) -> None:
    assert wordings(headed, "L89.158") == ["Other pressure ulcer of sacral region"]


def test_a_titles_nonessential_modifier_may_be_left_out(headed: Tabular) -> None:
    assert wordings(headed, "L90.9") == [
        "Atrophic (skin) disorder, unspecified",
        "Atrophic disorder, unspecified",
    ]
