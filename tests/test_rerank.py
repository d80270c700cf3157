"""Re-ranking features: what a coder reads first in a title and embeddings blur."""

from __future__ import annotations

from assistant.rerank import features, negated, rescore, stem
from assistant.terms import expand, load_terms


def test_negated_words_are_found() -> None:
    assert negated("Duodenitis, without mention of hemorrhage") == {stem("hemorrhage")}
    assert negated("Multiple myeloma not having achieved remission") == {stem("remission")}


def test_negation_mismatch_costs_more_than_a_match() -> None:
    query = "Duodenitis without bleeding"
    right = rescore(query, "Duodenitis without bleeding", 0.8)
    wrong = rescore(query, "Duodenitis with bleeding", 0.8)
    assert right > wrong


def test_other_specified_prefers_other_over_unspecified() -> None:
    query = "Other specified disorders of kidney"
    assert (
        features(query, "Other disorders of kidney")[2]
        > features(query, "Disorder of kidney, unspecified")[2]
    )


def test_a_bare_diagnosis_prefers_the_unspecified_code() -> None:
    assert features("shingles zoster", "Zoster without complications")[2] > 0
    assert features("appendicitis", "Other appendicitis")[2] < 0
    # a query with detail does not get the default preference
    assert features("appendicitis with perforation and abscess", "Other appendicitis")[2] == 0


def test_stems_join_word_forms() -> None:
    assert stem("lymphocytic") == stem("lymphocyte")


def test_bridges_add_icd10_wording_and_keep_the_original() -> None:
    bridges = load_terms()
    expanded = expand("heart attack, late effects of polio, UTI", bridges)
    assert "heart attack" in expanded and "myocardial infarction" in expanded
    assert "sequelae" in expanded
    assert "urinary tract infection" in expanded
