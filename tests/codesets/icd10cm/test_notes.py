"""Code details, inherited notes, nearest codes and 7th characters (assistant.codesets.icd10cm.notes)."""

from __future__ import annotations

import pytest
from fakes import module_tabular

from assistant.codesets.icd10cm.notes import NOTE_KINDS, code_details, resolve
from assistant.codesets.icd10cm.seventh import (
    choose_seventh,
    complete,
    encounter_from_text,
    read_meaning,
    seventh_for,
    without_visit,
)
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.codeset import UnknownCodeError

# Notes at every level (chapter, block, category, subcategory, code) and a 7th-character
# category whose short codes need placeholder X.
FIXTURE_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2099</version>
  <chapter>
    <name>4</name>
    <desc>Endocrine diseases (E08-E13)</desc>
    <notes><note>Chapter-wide general note</note></notes>
    <excludes1><note>newborn disorders (P70-P74)</note></excludes1>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <excludes2><note>block-level excludes2 (Z99.0)</note></excludes2>
      <diag>
        <name>E11</name>
        <desc>Type 2 diabetes mellitus</desc>
        <includes><note>diabetes NOS</note></includes>
        <useAdditionalCode><note>insulin (Z79.4)</note></useAdditionalCode>
        <excludes1><note>type 1 diabetes mellitus (E10.-)</note></excludes1>
        <diag>
          <name>E11.6</name>
          <desc>Type 2 diabetes mellitus with other specified complications</desc>
          <codeAlso><note>subcategory-level code also</note></codeAlso>
          <diag>
            <name>E11.65</name>
            <desc>Type 2 diabetes mellitus with hyperglycemia</desc>
            <inclusionTerm><note>own inclusion term</note></inclusionTerm>
          </diag>
          <diag>
            <name>E11.69</name>
            <desc>Type 2 diabetes mellitus with other specified complication</desc>
          </diag>
        </diag>
        <diag>
          <name>E11.9</name>
          <desc>Type 2 diabetes mellitus without complications</desc>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>19</name>
    <desc>Injury (S00-T88)</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S02</name>
        <desc>Fracture of skull and facial bones</desc>
        <notes>
          <note>A fracture not indicated as open or closed should be coded to closed</note>
        </notes>
        <sevenChrNote>
          <note>The appropriate 7th character is to be added to each code from category S02</note>
        </sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter for closed fracture</extension>
          <extension char="B">initial encounter for open fracture</extension>
          <extension char="D">subsequent encounter for fracture with routine healing</extension>
          <extension char="G">subsequent encounter for fracture with delayed healing</extension>
          <extension char="K">subsequent encounter for fracture with nonunion</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S02.2</name>
          <desc>Fracture of nasal bones</desc>
        </diag>
        <diag>
          <name>S02.6</name>
          <desc>Fracture of mandible</desc>
          <diag>
            <name>S02.61</name>
            <desc>Fracture of condylar process of mandible</desc>
            <diag>
              <name>S02.610</name>
              <desc>Fracture of condylar process of right mandible</desc>
            </diag>
          </diag>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


small = module_tabular(FIXTURE_XML)


def _by_level(details: dict, kind: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for text, level in zip(details["notes"][kind], details["note_levels"][kind], strict=True):
        out.setdefault(level, []).append(text)
    return out


# --- fixture tabular ------------------------------------------------------------------------
def test_details_inherit_notes_from_every_level(small: Tabular) -> None:
    details = code_details(small, "E11.65")
    assert details["billable"] is True
    assert details["version"] == "ICD-10-CM FY2099"
    assert [h["code"] for h in details["hierarchy"]] == ["Chapter 4", "E08-E13", "E11", "E11.6"]
    assert set(NOTE_KINDS) <= set(details["notes"])
    assert _by_level(details, "inclusion_terms") == {"E11.65": ["own inclusion term"]}
    assert _by_level(details, "code_also") == {"E11.6": ["subcategory-level code also"]}
    assert _by_level(details, "use_additional_code") == {"E11": ["insulin (Z79.4)"]}
    assert _by_level(details, "excludes2") == {"E08-E13": ["block-level excludes2 (Z99.0)"]}
    assert _by_level(details, "excludes1") == {
        "E11": ["type 1 diabetes mellitus (E10.-)"],
        "Chapter 4": ["newborn disorders (P70-P74)"],
    }
    assert _by_level(details, "general") == {"Chapter 4": ["Chapter-wide general note"]}


def test_header_code_lists_children_and_is_not_billable(small: Tabular) -> None:
    details = code_details(small, "E11.6")
    assert details["billable"] is False
    assert details["children"] == ["E11.65", "E11.69"]


def test_codes_are_normalised_however_typed(small: Tabular) -> None:
    assert {code_details(small, c)["code"] for c in ("e1165", "E11.65", " e11.65 ")} == {"E11.65"}


def test_derived_seventh_character_code_takes_its_leafs_notes(small: Tabular) -> None:
    details = code_details(small, "S02.2XXA")
    assert details["billable"] is True
    assert details["description"].endswith("initial encounter for closed fracture")
    assert details["hierarchy"][-1]["code"] == "S02.2"
    assert _by_level(details, "seven_chr_note") == {
        "S02": ["The appropriate 7th character is to be added to each code from category S02"]
    }
    assert set(details["seventh_characters"]) == {"A", "B", "D", "G", "K", "S"}


def test_leaf_needing_seventh_lists_full_codes_as_children(small: Tabular) -> None:
    details = code_details(small, "S02.2")
    assert details["billable"] is False
    assert details["children"][0] == "S02.2XXA"


def test_unknown_code_message_names_nearest_codes(small: Tabular) -> None:
    with pytest.raises(UnknownCodeError) as err:
        code_details(small, "e11.67")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("E11.67 is not a valid ICD-10-CM FY2099 code; nearest valid codes: ")
    assert "E11.65" in message and "E11.69" in message


def test_complete_builds_placeholder_x_and_seventh_character(small: Tabular) -> None:
    assert complete(small, "S02.2", "initial encounter") == ["S02.2XXA"]
    assert complete(small, "S02.2", encounter_from_text("follow-up visit")) == ["S02.2XXD"]
    assert complete(small, "S02.6", "first visit") == ["S02.610A"]
    assert len(complete(small, "S02.2")) == 6  # no encounter: every valid 7th character
    assert complete(small, "E11.6") == ["E11.65", "E11.69"]
    assert complete(small, "E11.65", "initial") == ["E11.65"]


# --- reading encounters ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "meaning"),
    [
        ("first visit for a broken nose", "initial encounter"),
        ("ER visit for new injury", "initial encounter"),
        ("follow up visit after the fall", "subsequent encounter"),
        ("subsequent encounter", "subsequent encounter"),
        ("routine healing", "subsequent encounter for fracture with routine healing"),
        ("late effect of the fracture", "sequela"),
        ("fracture nonunion", "subsequent encounter for fracture with nonunion"),
        ("initial visit, open fracture", "initial encounter for open fracture"),
        ("what is the code for diabetes?", None),
    ],
)
def test_encounter_from_text(question: str, meaning: str | None) -> None:
    assert encounter_from_text(question) == meaning


def test_meaning_phrases_read_back_to_the_same_meaning() -> None:
    for question in ("follow-up of open fracture type IIIB with malunion", "second fetus"):
        phrase = encounter_from_text(question)
        assert phrase is not None
        assert read_meaning(phrase) == read_meaning(question)


FEMUR = {
    "A": "initial encounter for closed fracture",
    "B": "initial encounter for open fracture type I or II",
    "C": "initial encounter for open fracture type IIIA, IIIB, or IIIC",
    "D": "subsequent encounter for closed fracture with routine healing",
    "E": "subsequent encounter for open fracture type I or II with routine healing",
    "G": "subsequent encounter for closed fracture with delayed healing",
    "K": "subsequent encounter for closed fracture with nonunion",
    "P": "subsequent encounter for closed fracture with malunion",
    "S": "sequela",
}


@pytest.mark.parametrize(
    ("question", "char"),
    [
        ("initial encounter", "A"),  # not indicated as open or closed: coded closed
        ("initial encounter for open fracture", "B"),  # no Gustilo type: type I or II
        ("ER visit, open fracture type IIIC", "C"),
        ("follow-up visit", "D"),
        ("follow up, open fracture healing normally", "E"),
        ("delayed healing", "G"),
        ("malunion", "P"),
        ("sequela", "S"),
        ("broken femur", None),  # no encounter named: ambiguous
    ],
)
def test_choose_seventh_by_meaning(question: str, char: str | None) -> None:
    assert choose_seventh(FEMUR, question) == char


def test_choose_seventh_for_pregnancy_fetus_values() -> None:
    values = {
        "0": "not applicable or unspecified",
        "1": "fetus 1",
        "2": "fetus 2",
        "9": "other fetus",
    }
    assert choose_seventh(values, "second fetus") == "2"
    assert choose_seventh(values, "singleton pregnancy") == "0"
    assert choose_seventh(values, "initial encounter") is None


# --- bundled FY2026 tabular ----------------------------------------------------------------
def test_bundled_e11_65(real_tab: Tabular) -> None:
    details = code_details(real_tab, "E11.65")
    assert details["billable"] is True
    assert details["version"] == "ICD-10-CM FY2026"
    assert [h["code"] for h in details["hierarchy"]] == ["Chapter 4", "E08-E13", "E11", "E11.6"]
    extra = _by_level(details, "use_additional_code")["E11"]
    assert "insulin (Z79.4)" in extra
    assert "type 1 diabetes mellitus (E10.-)" in _by_level(details, "excludes1")["E11"]


def test_bundled_s72_001a(real_tab: Tabular) -> None:
    details = code_details(real_tab, "s72001a")
    assert details["code"] == "S72.001A"
    assert details["billable"] is True
    assert details["seventh_characters"]["B"] == "initial encounter for open fracture type I or II"
    assert "S72" in details["note_levels"]["seven_chr_note"]


def test_bundled_s02_2_initial_closed_fracture(real_tab: Tabular) -> None:
    phrase = encounter_from_text("first visit in the ER for a new injury")
    assert seventh_for(real_tab, "S02.2", phrase or "") == "A"
    assert complete(real_tab, "S02.2", phrase) == ["S02.2XXA"]
    assert complete(real_tab, "S72.001", "open fracture, initial encounter") == ["S72.001B"]


def test_bundled_pregnancy_codes(real_tab: Tabular) -> None:
    details = code_details(real_tab, "O09.90")
    assert details["billable"] is True
    assert details["hierarchy"][0]["code"] == "Chapter 15"
    assert complete(real_tab, "O31.11", "fetus 2") == ["O31.11X2"]


def test_bundled_unknown_code(real_tab: Tabular) -> None:
    with pytest.raises(UnknownCodeError, match=r"^E11\.99 is not a valid ICD-10-CM FY2026 code; "):
        resolve(real_tab, "E11.99")
    with pytest.raises(UnknownCodeError) as err:
        resolve(real_tab, "S72.001Z")
    assert err.value.nearest[0] == "S72.001A"


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("burned hand, first visit", "burned hand,"),
        ("concussion, follow-up visit", "concussion,"),
        ("fracture of nasal bones, initial encounter", "fracture of nasal bones,"),
        ("ER visit for a sprained ankle", "for a sprained ankle"),
        ("sequelae of stroke", "sequelae of stroke"),  # a condition, kept
        ("first degree burn of hand", "first degree burn of hand"),
    ],
)
def test_visit_words_are_left_out_of_the_search_but_still_choose_the_encounter(
    question: str, searched: str
) -> None:
    assert without_visit(question) == searched
    if searched != question:
        assert encounter_from_text(question) is not None
