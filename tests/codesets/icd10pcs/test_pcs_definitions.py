"""ICD-10-PCS definitions: terms by section and axis, anatomy includes, device scopes."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from assistant.codesets.icd10pcs.definitions import Definitions, parse_definitions, scope_of
from assistant.codesets.icd10pcs.xmlfile import PcsFileError

FIXTURES = Path(__file__).parents[2] / "data" / "icd10pcs"
REAL = Path(__file__).parents[4] / "shared" / "data" / "icd10pcs" / "icd10pcs_definitions_2026.xml"


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return parse_definitions(FIXTURES / "definitions.xml")


def test_root_operations_have_definition_explanation_and_examples(definitions: Definitions) -> None:
    term = definitions.term("0", 3, "Replacement")
    assert term is not None
    assert term.definition.startswith("Putting in or on biological or synthetic material")
    assert term.explanation == "The body part may have been taken out or replaced before"
    assert term.includes == ("Total knee replacement, bone graft",)


def test_body_part_includes_map_anatomy_to_body_part_values(definitions: Definitions) -> None:
    anatomy = definitions.anatomy("0")
    assert anatomy["vermiform appendix"] == ("Appendix",)
    assert set(anatomy["medial meniscus"]) == {"Knee Joint, Left", "Knee Joint, Right"}
    # One entry holds both sides, so either title finds it.
    assert definitions.term("0", 4, "knee joint, right") is definitions.term(
        "0", 4, "Knee Joint, Left"
    )


def test_meaning_falls_back_to_what_a_body_part_includes(definitions: Definitions) -> None:
    assert definitions.meaning("0", 5, "Open").startswith("Cutting through the skin")
    assert definitions.meaning("0", 4, "Appendix") == "Includes: Vermiform appendix"
    assert definitions.meaning("0", 4, "Spleen") == ""


def test_device_titles_are_scoped_to_their_body_system(definitions: Definitions) -> None:
    scope = scope_of("Internal Fixation Device, Rigid Plate for Insertion in Upper Bones")
    assert (scope.label, scope.operation, scope.body_system) == (
        "Internal Fixation Device, Rigid Plate",
        "Insertion",
        "Upper Bones",
    )
    ceramic = definitions.term("0", 6, "Synthetic Substitute, Ceramic", "Lower Joints")
    assert ceramic is not None and ceramic.includes == ("Ceramic test bearing",)
    assert definitions.term("0", 6, "Synthetic Substitute") is not ceramic


def test_device_aggregation_names_the_parent_value(definitions: Definitions) -> None:
    (aggregate,) = definitions.aggregates
    assert aggregate.device == "Synthetic Substitute, Ceramic"
    assert (aggregate.parent_value, aggregate.parent) == ("J", "Synthetic Substitute")
    assert aggregate.body_systems == ("Lower Joints",)


def test_malformed_or_foreign_files_are_one_line_errors() -> None:
    with pytest.raises(PcsFileError, match=r"malformed\.xml:6:4: malformed XML"):
        parse_definitions(FIXTURES / "malformed.xml")
    with pytest.raises(PcsFileError, match="expected <ICD10PCS.definitions>"):
        parse_definitions(FIXTURES / "tables.xml")


def test_parsed_definitions_survive_pickling(definitions: Definitions) -> None:
    again = pickle.loads(pickle.dumps(definitions))
    assert again.anatomy("0") == definitions.anatomy("0")
    assert again.meaning("0", 3, "Resection") == definitions.meaning("0", 3, "Resection")


@pytest.mark.integration
def test_real_definitions_cover_every_section() -> None:
    if not REAL.exists():
        pytest.skip(f"CMS definitions file not found at {REAL} (../shared/data is absent)")
    real = parse_definitions(REAL)
    assert len(real.sections) == 16
    assert real.anatomy("0")["vermiform appendix"] == ("Appendix",)
    assert "visualize" in real.meaning("0", 5, "Percutaneous Endoscopic")
    assert real.term("0", 6, "Zooplastic Tissue", "Heart and Great Vessels") is not None
    assert len(real.aggregates) == 60
