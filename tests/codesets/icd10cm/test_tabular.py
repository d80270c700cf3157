"""The Tabular List parser (assistant.codesets.icd10cm.tabular): hierarchy, billability, derived 7th characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes import FIXTURE_BILLABLE, FIXTURE_SEVENTH_LEAVES, write_tabular

from assistant.codesets.icd10cm.syntax import compact
from assistant.codesets.icd10cm.tabular import (
    Tabular,
    TabularError,
    bundled_tabular_path,
    load_tabular,
)


# --- fixture release --------------------------------------------------------------------------
def test_release_label_names_code_set_and_fiscal_year(small_tab: Tabular) -> None:
    assert small_tab.version == "2026"
    assert small_tab.label == "ICD-10-CM FY2026"


def test_hierarchy_from_chapter_down_to_the_code(small_tab: Tabular) -> None:
    chain = small_tab.ancestors("E11.65")
    assert [n.code for n in chain] == ["Chapter 4", "E08-E13", "E11", "E11.6"]
    assert [n.kind for n in chain] == ["chapter", "block", "category", "subcategory"]
    node = small_tab.node("E11.65")
    assert node is not None and node.kind == "code"
    assert node.description == "Type 2 diabetes mellitus with hyperglycemia"
    assert small_tab.node("E11").children == ["E11.6", "E11.9"]  # type: ignore[union-attr]


def test_codes_are_found_in_any_spelling(small_tab: Tabular) -> None:
    for typed in ("E11.65", "e1165", " e11.65 "):
        node = small_tab.node(typed)
        assert node is not None and node.code == "E11.65"
    assert "E11.65" in small_tab
    assert "E12.65" not in small_tab
    assert "blk:E08-E13" not in small_tab  # blocks and chapters are not codes


def test_notes_are_kept_at_their_own_level(small_tab: Tabular) -> None:
    e11 = small_tab.node("E11")
    assert e11 is not None
    assert e11.notes["excludes1"] == ["type 1 diabetes mellitus (E10.-)"]
    assert e11.notes["includes"] == ["diabetes NOS"]
    j020 = small_tab.node("J02.0")
    assert j020 is not None
    assert j020.notes["inclusion_terms"] == ["Septic pharyngitis", "Streptococcal sore throat"]
    assert "excludes1" not in small_tab.node("E11.65").notes  # type: ignore[union-attr]


def test_leaves_are_billable_and_headers_are_not(small_tab: Tabular) -> None:
    for code in ("E11.65", "E11.9", "I21.9", "J02.0", "J00", "S02.2XXA"):
        assert small_tab.is_billable(code), code
    # Headers, and a leaf that still needs its 7th character, are not billable.
    for code in ("E11", "E11.6", "E11.64", "I21", "S02", "S02.2", "S02.609"):
        assert not small_tab.is_billable(code), code
    assert not small_tab.is_billable("blk:E08-E13")
    assert not small_tab.is_billable("X99.99")


def test_billable_codes_lists_every_leaf_with_its_7th_characters(small_tab: Tabular) -> None:
    expected = set(FIXTURE_BILLABLE)
    for leaf, chars in FIXTURE_SEVENTH_LEAVES.items():
        expected |= {small_tab.with_seventh(leaf, c) for c in chars}
    billable = list(small_tab.billable_codes())
    assert len(billable) == len(set(billable))
    assert set(billable) == expected
    assert "S02.2XXA" in billable and "S02.609A" in billable and "S00.00XS" in billable


def test_7th_character_codes_are_derived_with_placeholders(small_tab: Tabular) -> None:
    assert small_tab.with_seventh("S02.2", "a") == "S02.2XXA"
    assert small_tab.with_seventh("S02.609", "D") == "S02.609D"
    full = small_tab.node("S02.2XXA")
    assert full is not None
    assert full.description == "Fracture of nasal bones, initial encounter for closed fracture"
    assert full.parent == "S02.2"
    assert [n.code for n in small_tab.ancestors("S02.2XXA")][-2:] == ["S02", "S02.2"]
    assert small_tab.seventh_values("S02.2") == {
        "A": "initial encounter for closed fracture",
        "B": "initial encounter for open fracture",
        "D": "subsequent encounter for fracture with routine healing",
        "G": "subsequent encounter for fracture with delayed healing",
        "K": "subsequent encounter for fracture with nonunion",
        "S": "sequela",
    }


@pytest.mark.parametrize(
    "code",
    [
        "S02.2XXZ",  # Z is not a 7th character of S02
        "S02.2A",  # the 7th character needs its placeholders
        "S02.2XA",
        "S00.00XB",  # B belongs to fractures (S02), not to S00
        "S02.65XA",  # no such leaf
        "E11.65A",  # E11.65 takes no 7th character
        "S02.XXXA",
    ],
)
def test_invalid_7th_character_codes_do_not_exist(small_tab: Tabular, code: str) -> None:
    assert small_tab.node(code) is None
    assert code not in small_tab
    assert not small_tab.is_billable(code)


def test_billable_under_a_header_in_tabular_order(small_tab: Tabular) -> None:
    assert small_tab.billable_under("E11.6") == ["E11.641", "E11.649", "E11.65", "E11.69"]
    assert small_tab.billable_under("E11", limit=2) == ["E11.641", "E11.649"]
    assert small_tab.billable_under("S02.2") == [f"S02.2XX{c}" for c in "ABDGKS"]


# --- bad files ------------------------------------------------------------------------------
def _one_line_error(path: Path) -> str:
    with pytest.raises(TabularError) as info:
        load_tabular(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_malformed_xml_is_a_one_line_error(tmp_path: Path) -> None:
    path = write_tabular(tmp_path, "<ICD10CM.tabular><version>2026</version><chapter>")
    assert "cannot read tabular XML" in _one_line_error(path)


def test_wrong_root_element_is_refused(tmp_path: Path) -> None:
    path = write_tabular(
        tmp_path, '<?xml version="1.0"?><ICD10CM.index><version>2026</version></ICD10CM.index>'
    )
    assert "root <ICD10CM.index>" in _one_line_error(path)


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    assert "cannot read" in _one_line_error(tmp_path / "nowhere.xml")


def test_tabular_without_codes_is_refused(tmp_path: Path) -> None:
    path = write_tabular(tmp_path, "<ICD10CM.tabular><version>2026</version></ICD10CM.tabular>")
    assert "holds no ICD-10-CM codes" in _one_line_error(path)


# --- the bundled FY2026 release -------------------------------------------------------------
def _code_list() -> list[str]:
    """Every code in simple-icd-10-cm's flat code list, sorted, without its dot.

    The list holds chapters ("1"), blocks ("A00-A09") and every code, 7th character codes
    included (S022XXA); chapters and blocks are left out here.
    """
    path = bundled_tabular_path().parent / "code-list-April-2026.txt"
    return sorted(
        {
            line.strip()
            for line in path.read_text(encoding="utf-8").splitlines()
            if re.fullmatch(r"[A-Z][0-9A-Z]{2,6}", line.strip())
        }
    )


def _leaves_of_code_list() -> set[str]:
    """Billable codes computed independently: a listed code no other listed code extends."""
    listed = _code_list()
    return {
        code
        for i, code in enumerate(listed)
        if not (i + 1 < len(listed) and listed[i + 1].startswith(code))
    }


def test_bundled_billable_codes_match_the_official_code_list(real_tab: Tabular) -> None:
    leaves = _leaves_of_code_list()
    billable = {compact(c) for c in real_tab.billable_codes()}
    assert len(leaves) == 74_719
    assert billable == leaves


def test_bundled_every_listed_code_resolves_in_its_typed_form(real_tab: Tabular) -> None:
    unresolved = [c for c in _code_list() if real_tab.node(c) is None]
    assert unresolved == []
    assert real_tab.node("S022XXA").description == (  # type: ignore[union-attr]
        "Fracture of nasal bones, initial encounter for closed fracture"
    )


def test_bundled_release_is_fy2026_with_the_new_qa0_codes(real_tab: Tabular) -> None:
    assert real_tab.label == "ICD-10-CM FY2026"
    assert real_tab.is_billable("QA0.0101")
    assert not real_tab.is_billable("QA0.01")


def test_bundled_s06_withdraws_7th_characters_d_and_s_for_death_codes(real_tab: Tabular) -> None:
    # S06: "7th characters D and S do not apply to codes ... with 6th character 7 ... or 8".
    assert real_tab.is_billable("S06.1X7A")
    assert real_tab.is_billable("S06.2X8A")
    for code in ("S06.1X7D", "S06.1X7S", "S06.2X8D"):
        assert real_tab.node(code) is None, code
    assert real_tab.is_billable("S06.1X1D")
    assert set(real_tab.seventh_values("S06.1X7")) == {"A"}
    assert set(real_tab.seventh_values("S06.1X1")) == {"A", "D", "S"}


def test_bundled_manifestation_codes_are_known_by_code_first_notes_or_title(
    real_tab: Tabular,
) -> None:
    assert real_tab.is_manifestation("I85.10")  # "code first underlying disease" on I85.1
    assert real_tab.is_manifestation("F02.80")  # "code first" on category F02
    assert real_tab.is_manifestation("B96.1")  # "... as the cause of diseases classified elsewhere"
    assert not real_tab.is_manifestation("I85.00")
    assert not real_tab.is_manifestation("E11.9")
    assert not real_tab.is_manifestation("NOPE")


def test_inclusion_terms_read_without_their_supplementary_words() -> None:
    from assistant.codesets.icd10cm.search import _bare

    wordings = ["gizmosis (arterial) (benign) (primary)", "wobble fever", "(nothing)"]
    assert _bare(wordings) == ["gizmosis", "wobble fever"]
