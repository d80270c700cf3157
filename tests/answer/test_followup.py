"""Follow-up turns read against the conversation, without an LLM."""

from __future__ import annotations

import pytest

from assistant.answer.followup import is_refinement, read
from assistant.codesets.icd10cm.companions import companions
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.container import Container
from assistant.text.bridges import expand, load_terms


def chat(*turns: str) -> list[dict[str, str]]:
    out = []
    for turn in turns:
        out += [{"role": "user", "content": turn}, {"role": "assistant", "content": "(answer)"}]
    return out


@pytest.mark.parametrize(
    ("earlier", "turn", "read_as"),
    [
        (["dislocated elbow"], "left side, first visit", "dislocated elbow, left, first visit"),
        (
            ["type 1 diabetes with ketoacidosis"],
            "what if it's type 2?",
            "type 2 diabetes with ketoacidosis",
        ),
        (["burn of right forearm"], "actually it's the left arm", "burn of left forearm"),
        (
            ["bruised shin", "initial encounter"],
            "and for the subsequent visit?",
            "bruised shin, subsequent visit",
        ),
        (["pressure injury of the hip, stage 2"], "stage 3", "pressure injury of the hip, stage 3"),
        (["chronic gastritis"], "acute", "acute gastritis"),
        (["persistent asthma, mild"], "severe", "persistent asthma, severe"),
    ],
)
def test_a_turn_of_qualifiers_refines_the_last_question(
    earlier: list[str], turn: str, read_as: str
) -> None:
    reading = read(turn, chat(*earlier))
    assert reading.refined
    assert reading.question == read_as
    assert reading.read_as == f"Read as: {read_as}"


@pytest.mark.parametrize(
    ("earlier", "turn"),
    [
        (["dislocated elbow"], "sore throat"),
        (["dislocated elbow"], "when is sepsis sequenced first?"),
        (["dislocated elbow"], "How do I become a coder?"),
        ([], "right side, first visit"),  # nothing to refine: answered as it stands
    ],
)
def test_a_new_condition_or_question_starts_afresh(earlier: list[str], turn: str) -> None:
    reading = read(turn, chat(*earlier))
    assert not reading.refined and reading.question == turn


def test_a_code_after_a_code_question_keeps_the_question() -> None:
    reading = read("and J02.9?", chat("what is J02.0?"), has_codes=True)
    assert reading.refined and reading.question == "what is J02.9?"


def test_gradio_message_parts_are_read_as_text() -> None:
    history = [{"role": "user", "content": [{"type": "text", "text": "dislocated elbow"}]}]
    assert read("left", history).question == "dislocated elbow, left"


def test_qualifiers_alone_are_a_refinement_but_a_condition_is_not() -> None:
    assert is_refinement("right side, first visit")
    assert is_refinement("what about stage 4?")
    assert not is_refinement("right knee osteoarthritis")


def test_the_answer_says_how_it_read_a_follow_up(ingested: Container) -> None:
    history = chat("fracture of nasal bones")
    answer = ingested.ask("and for a subsequent encounter?", history)
    assert answer.answer.startswith("Read as: fracture of nasal bones, subsequent encounter")
    assert answer.codes[0] == "S02.2XXD"
    assert answer.extra["read_as"] == "fracture of nasal bones, subsequent encounter"


@pytest.mark.parametrize(
    ("turn", "read_as"),
    [
        ("and on long-term insulin?", "type 2 diabetes with stage 3a CKD, on long-term insulin"),
        ("also on dialysis", "type 2 diabetes with stage 3a CKD, on dialysis"),
        ("with hypertension too", "type 2 diabetes with stage 3a CKD, with hypertension"),
    ],
)
def test_a_turn_that_adds_a_condition_joins_the_described_case(turn: str, read_as: str) -> None:
    reading = read(turn, chat("type 2 diabetes with stage 3a CKD"))
    assert reading.refined and reading.question == read_as


@pytest.mark.parametrize(
    ("earlier", "turn"),
    [
        # a question of its own, a case that was itself a question, a long new case
        (["type 2 diabetes with stage 3a CKD"], "and what is the first-listed code?"),
        (["admitted with sepsis and pneumonia, which first?"], "and septic shock too?"),
        (["broken wrist"], "and a patient admitted after a fall from a ladder with a head injury"),
    ],
)
def test_an_and_turn_that_is_no_addition_starts_afresh(earlier: list[str], turn: str) -> None:
    reading = read(turn, chat(*earlier))
    assert not reading.refined and reading.question == turn


def test_an_added_condition_is_the_companion_the_first_codes_notes_call_for(
    real_tab: Tabular,
) -> None:
    question = read("and on long-term insulin?", chat("type 2 diabetes with stage 3a CKD"))
    found = companions(real_tab, "E11.22", expand(question.question, load_terms()))
    assert {c.code for c in found} == {"N18.31", "Z79.4"}
