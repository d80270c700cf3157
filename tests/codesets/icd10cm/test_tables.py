"""Drug and Neoplasm table answers: the asked column of the right row, completed to a code."""

from __future__ import annotations

import pytest
from fakes import SHARED

from assistant.codesets.icd10cm.records import index_records
from assistant.codesets.icd10cm.tables import lookup_table, subject, table_kind
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.search.lexical import LexicalIndex

DATA = SHARED / "icd10cm"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("adverse effect of amoxicillin", ("drug", "adverse_effect")),
        ("accidental overdose of acetaminophen", ("drug", "poisoning_accidental")),
        ("intentional overdose of aspirin, suicide attempt", ("drug", "poisoning_intentional")),
        ("underdosing of insulin", ("drug", "underdosing")),
        ("secondary malignant neoplasm of liver", ("neoplasm", "malignant_secondary")),
        ("carcinoma in situ of cervix", ("neoplasm", "ca_in_situ")),
        ("benign neoplasm of colon", ("neoplasm", "benign")),
        ("type 2 diabetes with hyperglycemia", None),
    ],
)
def test_table_and_column_follow_the_question(question: str, expected: object) -> None:
    assert table_kind(question) == expected


def test_subject_keeps_the_substance_only() -> None:
    assert (
        subject("What is the code for an adverse effect of amoxicillin?", "drug") == "amoxicillin"
    )


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> LexicalIndex:
    if not (DATA / "icd10cm-drug-April-1-2026-XML.xml").exists():
        pytest.skip(f"reference data not available: {DATA}")
    index = LexicalIndex(tmp_path_factory.mktemp("tables") / "lexical.sqlite3")
    for name, kind in (("drug", "drug"), ("neoplasm", "neoplasm")):
        records, _counts = index_records(DATA / f"icd10cm-{name}-April-1-2026-XML.xml", kind)
        index.put("index", f"index-{kind}", records)
    return index


@pytest.mark.integration
def test_adverse_effect_of_amoxicillin_is_completed(
    tables: LexicalIndex, real_tab: Tabular
) -> None:
    found = lookup_table("adverse effect of amoxicillin", tables, real_tab)
    assert found is not None
    assert found.cell == "T36.0X5"
    assert found.codes == ["T36.0X5A"]  # initial encounter when the question names none
    assert real_tab.is_billable(found.codes[0])


@pytest.mark.integration
def test_encounter_in_the_question_picks_the_7th_character(
    tables: LexicalIndex, real_tab: Tabular
) -> None:
    found = lookup_table("accidental poisoning by acetaminophen, follow-up visit", tables, real_tab)
    assert found is not None
    assert found.codes == ["T39.1X1D"]


@pytest.mark.integration
def test_neoplasm_secondary_liver(tables: LexicalIndex, real_tab: Tabular) -> None:
    found = lookup_table("secondary malignant neoplasm of liver", tables, real_tab)
    assert found is not None
    assert found.column == "malignant_secondary"
    assert found.codes and all(real_tab.is_billable(c) for c in found.codes)
    assert found.codes[0].startswith("C78.7")


@pytest.mark.integration
def test_unknown_substance_gives_no_row(tables: LexicalIndex, real_tab: Tabular) -> None:
    assert lookup_table("adverse effect of zzqxv", tables, real_tab) is None


@pytest.mark.integration
def test_the_main_site_row_beats_a_sub_row_whose_trail_is_shorter(
    tables: LexicalIndex, real_tab: Tabular
) -> None:
    # "breast (connective tissue) (glandular tissue) (soft parts)" is the main row; its words in
    # parentheses are nonessential, so "skin NOS, breast" does not win by having fewer words.
    found = lookup_table("breast cancer, left", tables, real_tab)
    assert found is not None
    assert found.cell.startswith("C50.9")
    assert found.codes[0] == "C50.912"  # the side the question states comes first


@pytest.mark.integration
def test_a_sub_row_the_question_names_is_still_chosen(
    tables: LexicalIndex, real_tab: Tabular
) -> None:
    found = lookup_table("skin cancer of the breast", tables, real_tab)
    assert found is not None
    assert found.codes[0].startswith("C44.5")
