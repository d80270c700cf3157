"""Re-ranking features: what a coder reads first in a title and embeddings blur."""

from __future__ import annotations

from assistant.codesets.icd10cm.tabular import Tabular
from assistant.search.rerank import (
    contradictions,
    features,
    narrowing,
    rescore,
    specifics,
    unstated,
)
from assistant.text.bridges import expand, load_terms, substitute
from assistant.text.negation import negated
from assistant.text.stems import root, stem, terms


def test_negated_words_are_found() -> None:
    assert negated("Gastric ulcer, without mention of perforation") == {stem("perforation")}
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
    # a query with detail is held to what it states, more lightly than a bare diagnosis
    detailed = features("appendicitis with perforation and abscess", "Other appendicitis")[2]
    assert features("appendicitis", "Other appendicitis")[2] < detailed < 0


def test_a_bare_diagnosis_is_matched_by_the_condition_words_of_a_title() -> None:
    # "unspecified site" names no part of the condition: it does not dilute the overlap
    assert features("myalgia", "Myalgia, unspecified site")[0] == 1.0
    assert features("myalgia", "Epidemic myalgia")[0] < 1.0
    # a longer description is still read against every word of the title
    assert features("myalgia after a long run", "Myalgia, unspecified site")[0] < 0.5


def test_stems_join_word_forms() -> None:
    assert stem("lymphocytic") == stem("lymphocyte")


def test_bridges_add_icd10_wording_and_keep_the_original() -> None:
    bridges = load_terms()
    expanded = expand("heart attack, late effects of polio, UTI", bridges)
    assert "heart attack" in expanded and "myocardial infarction" in expanded
    assert "sequelae" in expanded
    assert "urinary tract infection" in expanded


def test_latin_and_adjectival_endings_meet_their_noun() -> None:
    assert terms("Chlamydial conjunctivitis") <= terms("conjunctivitis caused by chlamydia")
    assert root("calculus") == root("calculi") and root("bronchus") == root("bronchial")
    assert root("streptococcus") == root("streptococcal")
    assert root("media") != root("medial")  # short roots are left alone
    # body-part adjectives read as their nouns; "cervical" (neck or cervix) stays itself
    assert root("pancreatic") == root("pancreas") and root("tibial") == root("tibia")
    assert root("cervical") != root("cervix")


def test_a_sibling_on_the_other_side_of_an_axis_contradicts_the_query() -> None:
    query = "Major depressive disorder, recurrent episode, severe"
    assert contradictions(query, "Major depressive disorder, single episode, severe") == 1
    assert contradictions(query, "Major depressive disorder, recurrent severe") == 0
    assert contradictions("Acute on chronic gastric ulcer", "Chronic gastric ulcer") == 0
    assert contradictions("fracture of left femur", "Fracture of unspecified femur") == 0
    right = rescore(query, "Major depressive disorder, recurrent severe", 0.8)
    assert right > rescore(query, "Major depressive disorder, single episode, severe", 0.8)


def test_a_title_naming_what_the_query_rules_out_loses() -> None:
    query = "Occlusion of basilar artery without mention of cerebral infarction"
    plain = features(query, "Occlusion and stenosis of basilar artery")[1]
    assert features(query, "Cerebral infarction due to occlusion of basilar artery")[1] < plain
    # a title that rules it out too agrees with the query
    assert features("Jaundice not of newborn", "Jaundice, not of newborn")[1] > 0


def test_a_bare_diagnosis_prefers_the_code_that_adds_least() -> None:
    assert specifics("Pneumonia, unspecified organism") == terms("pneumonia")
    assert specifics("Unspecified bacterial pneumonia") == terms("bacterial pneumonia")
    assert specifics("Unspecified asthma, uncomplicated") == terms("asthma")
    assert specifics("Laceration without foreign body of finger without damage to nail") == (
        terms("laceration of finger")
    )
    # a title joining conditions with "and" covers the one asked for
    joined = features("syncope", "Syncope and collapse")[2]
    assert joined == features("syncope", "Syncope")[2] > features("syncope", "Heat syncope")[2]
    plain = features("anxiety", "Anxiety disorder, unspecified")[2]
    assert plain > features("anxiety", "Generalized anxiety disorder")[2]
    assert (
        features("pneumonia", "Pneumonia, unspecified organism")[2]
        > features("pneumonia", "Unspecified bacterial pneumonia")[2]
    )


def test_substitution_replaces_the_lay_phrase_with_the_tabular_wording() -> None:
    bridges = load_terms()
    assert substitute("pink eye, left side", bridges) == "conjunctivitis, left side"
    assert substitute("migraine", bridges) == "migraine"


def test_a_side_or_severity_the_query_does_not_give_counts_against_a_title() -> None:
    query = "Major depressive disorder, single episode"
    assert unstated(query, "Major depressive disorder, single episode, mild") == 1
    assert unstated(query, "Major depressive disorder, single episode, unspecified") == 0
    assert unstated("acute conjunctivitis, left eye", "Acute conjunctivitis, left eye") == 0
    # newborn and pregnancy codes need the query to name the newborn or the pregnancy
    assert unstated("bladder infection", "Infection of bladder following delivery") == 1
    assert unstated("hyponatremia", "Hyponatremia of newborn") == 1
    assert unstated("hyponatremia of newborn", "Hyponatremia of newborn") == 0
    assert (
        features(query, "Major depressive disorder, single episode, unspecified")[2]
        > (features(query, "Major depressive disorder, single episode, mild")[2])
    )


def test_a_secondary_or_in_situ_neoplasm_needs_the_query_to_say_so() -> None:
    lung = "lung malignant neoplasm"
    assert unstated(lung, "Secondary malignant neoplasm of unspecified lung") == 1
    assert unstated(lung, "Malignant neoplasm of unspecified part of bronchus or lung") == 0
    assert unstated("metastatic lung cancer", "Secondary malignant neoplasm of lung") == 0
    assert unstated("breast cancer", "Carcinoma in situ of unspecified breast") == 1
    # "secondary" outside a neoplasm title is no behavior of a neoplasm
    assert unstated("esophageal varices", "Secondary esophageal varices without bleeding") == 0


def test_everyday_bridges_leave_clinical_wording_alone() -> None:
    bridges = load_terms()
    for title in (
        "Malignant neoplasm of nasal cavity",
        "Hydatidiform mole",
        "Alcoholic fatty liver",
        "Heat exhaustion, unspecified",
        "Shaking chills",
    ):
        assert expand(title, bridges) == title


def test_a_negated_list_runs_to_the_end_of_the_title() -> None:
    from assistant.text.negation import negated, strip_negated

    title = "Dementia, grade 3, without wobbling, humming, glowing, and sneezing"
    assert terms("wobbling humming glowing sneezing") <= negated(title)
    assert "sneezing" not in strip_negated(title)


def test_a_negation_stops_at_the_comma() -> None:
    from assistant.text.negation import negated

    # "not intractable" negates intractable only; "without status" is a negation of its own.
    found = negated("Seizure disorder, not intractable, without status")
    assert "status" in found
    assert not terms("seizure disorder") & found


def test_what_a_title_rules_out_does_not_dilute_its_overlap() -> None:
    query = "severe dementia"
    plain = "Dementia, severe, with agitation"
    without = "Dementia, severe, without agitation, wandering, humming, and anxiety"
    assert features(query, without)[0] == features(query, "Dementia, severe")[0]
    assert features(query, without)[0] > features(query, plain)[0]


def test_unspecified_severity_states_no_severity() -> None:
    from assistant.search.rerank import missed

    assert missed("severe dementia", "Dementia, unspecified severity, with agitation") == 1
    assert missed("severe dementia", "Dementia, severe, with agitation") == 0


def test_non_negates_the_word_it_prefixes() -> None:
    assert negated("Injection, widget alfa, (for non-renal use), 100 units") == terms("renal")
    assert negated("non hodgkin lymphoma") == terms("hodgkin")
    query = "widget alfa 500 units, non-renal patient"
    ruled_out = features(query, "Injection, widget alfa, 100 units (for renal failure)")[1]
    assert ruled_out < features(query, "Injection, widget alfa, (for non-renal use), 100 units")[1]


def test_examples_and_inclusions_in_a_title_narrow_nothing() -> None:
    title = "Gizmo brace, loop style, includes any strap (e.g., velcro, buckle), prefabricated"
    assert specifics(title) == terms("gizmo brace, loop style, prefabricated")
    assert specifics("Pump, e.g., hand or foot (with case)") == terms("pump (with case)")


def test_a_bridge_never_reads_a_tabular_title_as_another_condition(real_tab: Tabular) -> None:
    # "Bunion" and "Swimmer's ear" became titles of their own (M21.61-, H60.33-): a bridge
    # from such a phrase may only add words of that code's own title or inclusion terms.
    titled = {n.description.lower(): n for n in real_tab.codes()}
    for bridge in load_terms():
        for say in bridge.say:
            node = titled.get(say.lower())
            if node is None:
                continue
            notes = [*node.notes.get("inclusion_terms", []), *node.notes.get("includes", [])]
            own = terms(" ".join([node.description, *notes]))
            assert terms(bridge.means) & own, f"{say!r} is {node.code}, not {bridge.means!r}"


def test_where_two_bridged_phrases_overlap_the_longer_is_read() -> None:
    import re

    from assistant.text.bridges import Bridge

    short = Bridge(re.compile(r"\b(gizmo clot)\b", re.I), "gizmo thrombosis", "made up")
    long = Bridge(re.compile(r"\b(gizmo clot in the lung)\b", re.I), "pulmonary gizmosis", "x")
    assert expand("a gizmo clot in the lung", [short, long]) == (
        "a gizmo clot in the lung pulmonary gizmosis"
    )
    assert (
        expand("a gizmo clot in the leg", [short, long])
        == "a gizmo clot gizmo thrombosis in the leg"
    )


def test_an_unspecified_part_or_site_and_a_stated_alternative_narrow_nothing() -> None:
    q = terms("lung malignant neoplasm")
    # "bronchus or lung" is met by "lung"; "unspecified part of" names no part.
    assert (
        narrowing("Malignant neoplasm of unspecified part of unspecified bronchus or lung", q) == 0
    )
    assert narrowing("Secondary malignant neoplasm of unspecified lung", q) == 1
    assert narrowing("Malignant neoplasm of bronchus or lung", terms("malignant neoplasm")) == 2
    breast = terms("left breast malignant neoplasm")
    assert narrowing("Malignant neoplasm of unspecified site of left female breast", breast) == 1
    assert narrowing("Malignant inflammatory neoplasm of left breast", breast) == 1
