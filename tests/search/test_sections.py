"""Guideline sections for a case: a title's circumstance the question does not state, and the
Guidelines' wording bridges."""

from __future__ import annotations

from assistant.search.sections import CIRCUMSTANCE_PENALTY, unstated_circumstance
from assistant.sources.packaged import knowledge_file
from assistant.text.bridges import expand, load_terms


def test_a_section_for_a_circumstance_the_question_does_not_state_ranks_lower() -> None:
    question = "patient with gizmosis went into shock, what goes first?"
    assert unstated_circumstance(question, "Gizmosis and shock") == 0.0
    assert unstated_circumstance(question, "Postprocedural gizmosis") == -CIRCUMSTANCE_PENALTY
    assert unstated_circumstance(question, "Gizmosis in pregnancy, childbirth") < 0
    # stated, it costs nothing
    assert unstated_circumstance("newborn with gizmosis", "Newborn gizmosis") == 0.0


def test_guideline_bridges_load_and_each_names_its_section() -> None:
    bridges = load_terms(knowledge_file("guidelines", "terms.toml"))
    assert bridges and all("Guidelines" in b.source or "Tabular" in b.source for b in bridges)
    assert "uncertain diagnosis" in expand("doctor wrote rule out flu", bridges)
    assert "underdosing" in expand("he stopped taking his pills", bridges)
    assert "rule out" in expand("doctor wrote rule out flu", bridges)  # typed words stay
