"""Case questions: the conditions they name are read out, rule questions name none."""

from __future__ import annotations

import pytest

from assistant.answer.case import conditions


@pytest.mark.parametrize(
    ("question", "named"),
    [
        (
            "Patient admitted with acute pancreatitis and dehydration, which is principal?",
            ["acute pancreatitis", "dehydration"],
        ),
        (
            "what do I code first for a woman admitted with pyelonephritis due to E. coli?",
            ["pyelonephritis", "E. coli"],
        ),
        (
            "gastric ulcer with hemorrhage and anemia due to blood loss, what goes first?",
            ["gastric ulcer with hemorrhage", "anemia", "blood loss"],
        ),
        ("A 6-year-old boy is seen for asthma; how should it be coded?", ["asthma"]),
    ],
)
def test_a_case_question_names_its_conditions_in_order(question: str, named: list[str]) -> None:
    assert conditions(question) == named


@pytest.mark.parametrize(
    "question",
    [
        "when is a symptom code reported with a confirmed diagnosis?",
        "which is sequenced first, the underlying condition or the manifestation?",
        "what does 'code first' mean?",
        "what are the rules for reporting late effects",
    ],
)
def test_a_rule_question_names_no_case(question: str) -> None:
    assert conditions(question) == []


def test_a_drug_event_without_its_drug_gets_no_code() -> None:
    from assistant.answer.case import fits_a_drug_event

    title = "Underdosing of gizmozine, initial encounter"
    assert not fits_a_drug_event("the underdosing", title)
    assert fits_a_drug_event("underdosing of gizmozine", title)
    assert fits_a_drug_event("gizmo fever", "Gizmo fever, unspecified")  # no drug event
