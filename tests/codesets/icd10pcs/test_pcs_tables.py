"""ICD-10-PCS tables: validation messages, explanations, long titles and enumeration."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from assistant.codesets.icd10pcs.definitions import parse_definitions
from assistant.codesets.icd10pcs.tables import (
    PcsTables,
    looks_like_pcs,
    normalize,
    parse_tables,
)
from assistant.codesets.icd10pcs.titles import body_part_title, device_title
from assistant.codesets.icd10pcs.xmlfile import PcsFileError

FIXTURES = Path(__file__).parents[2] / "data" / "icd10pcs"
REAL = Path(__file__).parents[4] / "shared" / "data" / "icd10pcs"
REAL_TABLES = REAL / "icd10pcs_tables_2026.xml"
REAL_DEFINITIONS = REAL / "icd10pcs_definitions_2026.xml"


@pytest.fixture(scope="module")
def tables() -> PcsTables:
    return parse_tables(FIXTURES / "tables.xml")


def test_a_code_some_row_allows_is_valid(tables: PcsTables) -> None:
    assert tables.validate("0DTJ4ZZ") is None
    assert tables.is_valid("0SRD0J9")


def test_typed_codes_are_normalised(tables: PcsTables) -> None:
    assert normalize(" 0dtj-4zz ") == "0DTJ4ZZ"
    assert tables.is_valid("0dtj4zz")
    assert tables.is_valid(" 0DT J4.ZZ ")


def test_a_wrong_qualifier_is_named_with_its_table_and_row(tables: PcsTables) -> None:
    message = tables.validate("0DTJ4ZX")
    assert message is not None
    assert message.startswith("0DTJ4ZX is not a valid ICD-10-PCS code: qualifier X")
    assert "table 0DT (Resection)" in message
    assert "body part J Appendix" in message and "approach 4 Percutaneous Endoscopic" in message
    assert "\n" not in message


def test_the_first_character_a_row_rejects_is_the_one_named(tables: PcsTables) -> None:
    # Stomach exists in 0DB, but not with the Vertical qualifier and the Diagnostic row at once:
    # the closest row is the one that goes furthest.
    assert "body part Q does not exist in table 0DB" in tables.validate("0DBQ0ZZ")  # type: ignore[operator]
    message = tables.validate("0DBJ0Z3")
    assert message is not None and "qualifier 3 does not exist" in message
    assert "body part J Appendix" in message


def test_wrong_length_letters_and_unknown_tables_get_one_line_reasons(tables: PcsTables) -> None:
    assert "has 6 characters" in tables.validate("0DTJ4Z")  # type: ignore[operator]
    assert "letter O" in tables.validate("0DTO4ZZ")  # type: ignore[operator]
    assert "section Z does not exist" in tables.validate("ZDTJ4ZZ")  # type: ignore[operator]
    assert "table 0DQ does not exist" in tables.validate("0DQJ4ZZ")  # type: ignore[operator]
    assert "body system Q does not exist" in tables.validate("0QTJ4ZZ")  # type: ignore[operator]


def test_code_shape_check_needs_seven_pcs_characters_starting_with_a_section() -> None:
    assert looks_like_pcs("0dtj4zz")
    assert looks_like_pcs("0DT-J4Z-Z")
    assert not looks_like_pcs("0DTO4ZZ")  # PCS never uses O
    assert not looks_like_pcs("0DTI4ZZ")  # nor I
    assert not looks_like_pcs("0DTJ4Z")
    assert not looks_like_pcs("RESECTS")  # no section R


def test_every_code_is_enumerated_and_valid(tables: PcsTables) -> None:
    codes = list(tables.codes())
    assert len(codes) == len(tables) == 22
    assert len(set(codes)) == len(codes)
    assert all(tables.is_valid(code) for code in codes)
    assert list(tables.codes("0DTJ")) == ["0DTJ0ZZ", "0DTJ4ZZ"]
    assert len(tables.rows("0DB")) == 2
    assert tables.rows("0QQ") == ()


def test_explanation_gives_each_axis_with_definitions(tables: PcsTables) -> None:
    definitions = parse_definitions(FIXTURES / "definitions.xml")
    axes = tables.explain("0DTJ4ZZ", definitions)
    assert [a.position for a in axes] == [1, 2, 3, 4, 5, 6, 7]
    operation, part, approach = axes[2], axes[3], axes[4]
    assert (operation.name, operation.value, operation.label) == ("Operation", "T", "Resection")
    assert operation.definition.startswith("Cutting out or off, without replacement, all")
    assert part.label == "Appendix" and "Vermiform appendix" in part.definition
    assert approach.label == "Percutaneous Endoscopic" and "visualize" in approach.definition
    assert axes[5].definition == ""  # No Device has no definition


def test_explaining_an_invalid_code_raises_the_validation_message(tables: PcsTables) -> None:
    with pytest.raises(ValueError, match="qualifier X does not exist"):
        tables.explain("0DTJ4ZX")


def test_descriptions_read_like_cms_long_titles(tables: PcsTables) -> None:
    assert tables.describe("0DTJ4ZZ") == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert tables.describe("0SRD0J9") == (
        "Replacement of Left Knee Joint with Synthetic Substitute, Cemented, Open Approach"
    )
    assert tables.describe("0DB64ZX") == (
        "Excision of Stomach, Percutaneous Endoscopic Approach, Diagnostic"
    )


def test_label_reordering_follows_cms_titles() -> None:
    assert body_part_title("Skin, Left Lower Leg") == "Left Lower Leg Skin"
    assert body_part_title("Coronary Artery, One Artery") == "Coronary Artery, One Artery"
    assert body_part_title("Stomach, Pylorus") == "Stomach, Pylorus"
    assert device_title("Intraluminal Device, Drug-eluting") == "Drug-eluting Intraluminal Device"
    assert device_title("Cardiac Lead, Pacemaker") == "Pacemaker Lead"


def test_malformed_xml_is_a_one_line_error_with_file_and_position() -> None:
    with pytest.raises(PcsFileError) as raised:
        parse_tables(FIXTURES / "malformed.xml")
    message = str(raised.value)
    assert "malformed.xml:6:4" in message and "\n" not in message


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PcsFileError, match="expected <ICD10PCS.tabular>"):
        parse_tables(FIXTURES / "index.xml")
    with pytest.raises(PcsFileError, match="cannot be read"):
        parse_tables(tmp_path / "missing.xml")


def test_parsed_tables_survive_pickling(tables: PcsTables) -> None:
    again = pickle.loads(pickle.dumps(tables))
    assert list(again.codes()) == list(tables.codes())
    assert again.validate("0DTJ4ZX") == tables.validate("0DTJ4ZX")


@pytest.fixture(scope="module")
def real_tables() -> PcsTables:
    if not REAL_TABLES.exists():
        pytest.skip(f"CMS tables file not found at {REAL_TABLES} (../shared/data is absent)")
    return parse_tables(REAL_TABLES)


@pytest.mark.integration
def test_real_tables_parse_quickly() -> None:
    if not REAL_TABLES.exists():
        pytest.skip(f"CMS tables file not found at {REAL_TABLES} (../shared/data is absent)")
    start = time.perf_counter()
    parse_tables(REAL_TABLES)
    assert time.perf_counter() - start < 2.0


@pytest.mark.integration
def test_real_tables_hold_every_fy2026_code(real_tables: PcsTables) -> None:
    assert len(real_tables.tables) == 914
    assert sum(1 for _ in real_tables.codes()) == 79_115 == len(real_tables)


@pytest.mark.integration
def test_laparoscopic_appendectomy_code_is_explained(real_tables: PcsTables) -> None:
    if not REAL_DEFINITIONS.exists():
        pytest.skip(f"CMS definitions file not found at {REAL_DEFINITIONS}")
    definitions = parse_definitions(REAL_DEFINITIONS)
    assert real_tables.validate("0DTJ4ZZ") is None
    axes = {a.position: a for a in real_tables.explain("0DTJ4ZZ", definitions)}
    assert axes[3].label == "Resection"
    assert axes[3].definition == "Cutting out or off, without replacement, all of a body part"
    assert axes[5].label == "Percutaneous Endoscopic"
    assert "reach and visualize the site" in axes[5].definition
    assert real_tables.describe("0DTJ4ZZ") == (
        "Resection of Appendix, Percutaneous Endoscopic Approach"
    )
    message = real_tables.validate("0DTJ4ZX")
    assert message is not None and "qualifier X does not exist in table 0DT" in message
