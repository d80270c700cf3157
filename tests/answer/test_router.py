"""Question routing (assistant.answer.router): which kind of answer a question gets."""

from __future__ import annotations

import pytest
from fakes import icd10cm_sets, write_tabular

from assistant.answer import router
from assistant.answer.router import code_tokens, route
from assistant.codesets import CodeSets
from assistant.codesets.icd10cm.tabular import load_tabular
from assistant.container import Container


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> CodeSets:
    return icd10cm_sets(load_tabular(write_tabular(tmp_path_factory.mktemp("xml"))))


@pytest.mark.parametrize(
    ("question", "kind", "codes"),
    [
        ("what is E11.65?", router.DETAIL, ["E11.65"]),
        ("e1165", router.DETAIL, ["E11.65"]),
        ("is S02.2XXA billable?", router.DETAIL, ["S02.2XXA"]),
        ("can I code E10.9 with E11.9?", router.CHECK, ["E10.9", "E11.9"]),
        ("Are E10.9 and E11.9 allowed together?", router.CHECK, ["E10.9", "E11.9"]),
        ("CPT for office visit 99213", router.CPT, []),
        ("99213", router.CPT, []),
        ("What is the ICD-10-PCS code for appendectomy?", router.PCS, []),
        ("HCPCS code for a wheelchair", router.HCPCS, []),
        ("what is the code for strep throat?", router.LOOKUP, []),
        ("how do I code pink eye?", router.LOOKUP, []),
        ("How should I code a broken nose, first visit?", router.LOOKUP, []),
    ],
)
def test_questions_with_clear_cues_are_routed_by_their_words(
    sets: CodeSets, question: str, kind: str, codes: list[str]
) -> None:
    decision = route(question, sets)
    assert decision.kind == kind
    assert decision.codes == codes


# Questions whose words alone may not decide: the chain settles them against the collections.
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("when is sepsis sequenced first?", router.GUIDELINE),
        ("How do I become a medical coder?", router.CAREER),
        ("which certifications should a new coder get?", router.CAREER),
        ("type 2 diabetes with hyperglycemia", router.LOOKUP),
        ("fracture of nasal bones, initial encounter", router.LOOKUP),
        ("strep throat", router.LOOKUP),
    ],
)
def test_every_question_ends_up_with_the_right_kind_of_answer(
    ingested: Container, question: str, kind: str
) -> None:
    assert ingested.ask(question).route == kind


@pytest.mark.parametrize(
    "question",
    [
        "How do I code asthma when the severity is not documented?",
        "How do I code a principal diagnosis?",
        "How should I code sepsis and pneumonia together?",
    ],
)
def test_how_to_code_a_circumstance_is_a_rule_question(sets: CodeSets, question: str) -> None:
    decision = route(question, sets)
    assert decision.kind in {router.OPEN, router.GUIDELINE} and decision.guideline_cue


def test_code_tokens_are_dotted_in_order_without_repeats(sets: CodeSets) -> None:
    assert code_tokens("is e1165 the same as E11.65, or S022XXA?", sets)[0] == [
        "E11.65",
        "S02.2XXA",
    ]
    assert code_tokens("see guideline I.C.1.d.4", sets)[0] == []
    assert code_tokens("type 1 diabetes (E10.-)", sets)[0] == ["E10"]


@pytest.mark.parametrize(
    "question",
    [
        "Burn was excised last spring. Do I code the burn or a history code?",
        "She took the pills as prescribed and fainted. Is that a poisoning or an adverse effect?",
        "Gout and kidney stones are both documented. Should I assume they are related?",
        "Which hand is dominant by default?",
        "Are the wheezing and the asthma coded separately?",
    ],
)
def test_asking_which_rule_decides_a_case_is_a_rule_question(sets: CodeSets, question: str) -> None:
    decision = route(question, sets)
    assert decision.kind == router.GUIDELINE


@pytest.mark.parametrize(
    "question", ["what code do I use for a sprained ankle", "which code do I assign for gout"]
)
def test_asking_for_a_code_is_no_rule_question(sets: CodeSets, question: str) -> None:
    assert not route(question, sets).guideline_cue
