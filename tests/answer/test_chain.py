"""The answer chain (assistant.answer.chain): grounded, cited answers whose codes are all valid."""

from __future__ import annotations

from dataclasses import dataclass

from fakes import icd10cm_sets, tab_of
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.chain import build_chain
from assistant.answer.compose import Composer
from assistant.answer.guard import guard, invalid_mark
from assistant.codesets import CodeSets
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.container import Container
from assistant.core.answer import Answer, Citation

TAB_SOURCE = "ICD-10-CM FY2026 Tabular List"

INVALID_MARK = invalid_mark("ICD-10-CM")


def assert_only_valid_codes(answer: Answer, tab: Tabular) -> None:
    assert answer.guard["invalid"] == []
    assert INVALID_MARK not in answer.answer
    for code in answer.codes:
        assert tab.node(code) is not None, code


# --- lookups ---------------------------------------------------------------------------------
def test_lookup_answer_cites_the_tabular_list_for_its_best_match(ingested: Container) -> None:
    answer = ingested.ask("type 2 diabetes with hyperglycemia")
    assert answer.route == "lookup"
    assert answer.answer.startswith(
        "Best match: **E11.65** Type 2 diabetes mellitus with hyperglycemia"
    )
    assert "[1]" in answer.answer.splitlines()[0]
    first = answer.citations[0]
    assert (first.n, first.ref) == (1, "E11.65")
    assert "ICD-10-CM FY2026" in first.source
    assert answer.codes[0] == "E11.65"
    assert all(tab_of(ingested).is_billable(c) for c in answer.codes)
    # The Excludes1 note a coder must see travels with the code.
    assert "type 1 diabetes mellitus (E10.-)" in answer.answer
    assert_only_valid_codes(answer, tab_of(ingested))


def test_every_code_in_an_answer_has_its_numbered_citation(ingested: Container) -> None:
    answer = ingested.ask("type 2 diabetes mellitus")
    cited = {c.ref: c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for code in answer.codes:
        assert f"**{code}**" in answer.answer
        assert f"[{cited[code]}]" in answer.answer


def test_lookup_without_an_encounter_lists_the_7th_character_choices(ingested: Container) -> None:
    answer = ingested.ask("fracture of nasal bones")
    assert answer.codes[0] == "S02.2XXA"
    assert "the question does not say which" in answer.answer
    assert "D = subsequent encounter for fracture with routine healing" in answer.answer
    assert_only_valid_codes(answer, tab_of(ingested))


def test_lookup_with_an_encounter_gives_the_complete_code(ingested: Container) -> None:
    answer = ingested.ask("fracture of nasal bones, subsequent encounter")
    assert answer.codes[0] == "S02.2XXD"
    assert "the question does not say which" not in answer.answer


def test_question_sharing_no_words_with_any_code_gets_no_code(ingested: Container) -> None:
    # With the word-hashing embedder these words have similarity 0 to every code, far below
    # MIN_DENSE, so the chain must not offer the "least bad" code.
    answer = ingested.ask("zebra quantum xylophone")
    assert answer.answer.startswith('I found no ICD-10-CM FY2026 code that fits "zebra quantum')
    assert answer.codes == []
    assert answer.citations == []


# --- code details and checks ----------------------------------------------------------------
def test_code_details_show_hierarchy_and_inherited_notes(ingested: Container) -> None:
    answer = ingested.ask("what is E11.65?")
    assert answer.route == "code"
    assert answer.codes == ["E11.65"]
    assert "**E11.65** Type 2 diabetes mellitus with hyperglycemia (billable) [1]" in answer.answer
    assert "E11 Type 2 diabetes mellitus > E11.6" in answer.answer
    assert "type 1 diabetes mellitus (E10.-) (at E11)" in answer.answer
    assert_only_valid_codes(answer, tab_of(ingested))


def test_header_with_an_encounter_is_completed(ingested: Container) -> None:
    answer = ingested.ask("what is S02.2 for an initial encounter?")
    assert "For this encounter the complete code is **S02.2XXA**." in answer.answer
    assert "S02.2XXA" in answer.codes


def test_unknown_code_is_named_with_its_nearest_valid_codes(ingested: Container) -> None:
    answer = ingested.ask("what is E11.99?")
    assert "E11.99" in answer.answer and "is not a valid ICD-10-CM FY2026 code" in answer.answer
    assert "nearest valid codes: E11.9," in answer.answer
    assert answer.codes == []
    assert answer.guard["invalid"] == ["E11.99"]


def test_excludes1_pair_is_reported_as_a_conflict_with_its_note(ingested: Container) -> None:
    answer = ingested.ask("can I code E10.9 with E11.9?")
    assert answer.route == "check"
    assert answer.answer.startswith("Excludes1 conflict found among E10.9, E11.9")
    assert 'Excludes1 at E11: "type 1 diabetes mellitus (E10.-)"' in answer.answer
    assert {c.ref for c in answer.citations} == {"E10", "E11"}
    assert answer.codes == ["E10.9", "E11.9"]


def test_codes_without_an_excludes_note_do_not_conflict(ingested: Container) -> None:
    answer = ingested.ask("can I code E11.65 with J02.0?")
    assert answer.answer.startswith("No Excludes1 conflict among E11.65, J02.0.")


# --- other kinds of questions ---------------------------------------------------------------
def test_cpt_question_explains_the_ama_licence(ingested: Container) -> None:
    answer = ingested.ask("CPT for office visit 99213")
    assert answer.route == "cpt"
    assert "American Medical Association" in answer.answer
    assert "medcode ingest --cpt FILE" in answer.answer  # how to add a licensed file
    assert "HCPCS Level II" in answer.answer  # and what it can do instead
    assert answer.codes == [] and answer.citations == []


def test_a_code_set_that_is_not_loaded_is_named_with_the_command_that_adds_it(
    ingested: Container,
) -> None:
    answer = ingested.ask("What is the ICD-10-PCS code for appendectomy?")
    assert answer.answer.startswith("ICD-10-PCS is not loaded")
    assert "medcode download" in answer.answer and answer.codes == []


def test_guideline_question_without_guidelines_says_they_are_not_ingested(
    ingested: Container,
) -> None:
    answer = ingested.ask("when is sepsis sequenced first?")
    assert answer.route == "guideline"
    assert "Official Guidelines are not ingested" in answer.answer
    assert "medcode download" in answer.answer
    assert answer.citations == []


def test_career_question_quotes_and_cites_the_knowledge_file(ingested: Container) -> None:
    answer = ingested.ask("Which certifications does a coder need?")
    assert answer.route == "career"
    assert answer.citations[0].source == "becoming-a-coder.md"
    assert answer.citations[0].ref == "Certifications"
    assert "proctored exam" in answer.answer


def test_career_question_says_which_specifics_its_sources_lack(ingested: Container) -> None:
    answer = ingested.ask("What is the salary of a coder in Texas in 2031?")
    assert answer.answer.startswith("My sources do not cover 2031, Texas")


# --- the invalid-code guard at the end of the chain -----------------------------------------
@dataclass
class ScriptedComposer:
    """A composer that answers with a fixed text, as a careless writer or LLM might."""

    codesets: CodeSets
    text: str
    codes: list[str]

    def answer(self, question: str, history: object = None) -> Answer:
        citation = Citation(1, TAB_SOURCE, "E11.65", "E11.65 Type 2 diabetes mellitus")
        return Answer(question, self.text, [citation], list(self.codes), "lookup")


def test_guard_marks_an_invented_code_and_drops_it_from_the_codes(small_tab: Tabular) -> None:
    composer = ScriptedComposer(
        icd10cm_sets(small_tab), "Use **X99.99** or **E11.65** [1].", ["X99.99", "E11.65"]
    )
    answer = build_chain(composer).invoke("anything")  # type: ignore[arg-type]
    assert answer.guard["invalid"] == ["X99.99"]
    assert f"**X99.99**{INVALID_MARK}" not in answer.answer  # the mark follows the code itself
    assert f"X99.99{INVALID_MARK}" in answer.answer
    assert "E11.65" in answer.answer and f"E11.65{INVALID_MARK}" not in answer.answer
    assert answer.codes == ["E11.65"]


def test_guard_catches_a_code_the_llm_invents_while_rewriting(small_tab: Tabular) -> None:
    composer = ScriptedComposer(icd10cm_sets(small_tab), "Best match: **E11.65** [1].", ["E11.65"])
    llm = FakeListChatModel(responses=["Code E11.65 [1], or perhaps E11.699 for this patient."])
    answer = build_chain(composer, llm=llm).invoke("type 2 diabetes")  # type: ignore[arg-type]
    assert answer.answer.startswith("Code E11.65 [1]")
    assert f"E11.699{INVALID_MARK}" in answer.answer
    assert answer.guard["invalid"] == ["E11.699"]


def test_real_composer_answers_pass_the_guard_unchanged(ingested: Container) -> None:
    for question in ("strep throat", "heart attack", "what is J02.0?", "E11.6"):
        answer = ingested.ask(question)
        assert guard(answer.answer, ingested.codesets).invalid == [], question
        assert_only_valid_codes(answer, tab_of(ingested))


def test_real_u_code_details_have_no_invalid_marks(real_tab: Tabular) -> None:
    composer = Composer(
        codesets=icd10cm_sets(real_tab),
        searches={},
        guidelines=None,  # type: ignore[arg-type]
        career=None,  # type: ignore[arg-type]
        store=None,  # type: ignore[arg-type]
        lexical=None,
    )
    answer = build_chain(composer).invoke("what is U07.1?")
    assert answer.codes == ["U07.1"]
    assert "Chapter 22 Codes for special purposes (U00-U85)" in answer.answer
    assert answer.guard["invalid"] == []
