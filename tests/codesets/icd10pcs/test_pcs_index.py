"""ICD-10-PCS Index: entries with their trails, code prefixes and see/use references."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from assistant.codesets.icd10pcs.codeset import Icd10pcs
from assistant.codesets.icd10pcs.index import IndexEntry, PcsIndex, parse_index
from assistant.codesets.icd10pcs.xmlfile import PcsFileError
from assistant.text.stems import terms

FIXTURES = Path(__file__).parents[2] / "data" / "icd10pcs"
REAL = Path(__file__).parents[4] / "shared" / "data" / "icd10pcs" / "icd10pcs_index_2025.xml"


@pytest.fixture(scope="module")
def index() -> PcsIndex:
    return parse_index(FIXTURES / "index.xml")


def test_see_references_carry_their_code_prefix(index: PcsIndex) -> None:
    entries = index.lookup("appendectomy")
    assert [(e.trail, e.see, e.codes) for e in entries] == [
        (("Appendectomy",), "Excision, Appendix", "0DBJ"),
        (("Appendectomy",), "Resection, Appendix", "0DTJ"),
    ]
    assert entries[1].citation() == "Index: Appendectomy -> see Resection, Appendix 0DTJ"


def test_subterms_make_the_trail_and_tables_count_as_prefixes(index: PcsIndex) -> None:
    (sleeve,) = [e for e in index.lookup("Gastrectomy") if "Vertical (sleeve)" in e.trail]
    assert sleeve.text == "Gastrectomy, Vertical (sleeve)" and sleeve.codes == "0DB6"
    (arthroplasty,) = index.lookup("Arthroplasty")
    assert arthroplasty.codes == "0SR" and arthroplasty.see_trail == ("Replacement", "Lower Joints")
    knees = list(index.under(("Replacement", "Joint", "Knee")))
    assert [(e.trail[-1], e.codes) for e in knees] == [("Left", "0SRD"), ("Right", "0SRC")]


def test_use_entries_name_the_value_to_use(index: PcsIndex) -> None:
    (entry,) = index.lookup("Vermiform appendix")
    assert entry.use == "Appendix" and entry.codes == "" and entry.see == ""
    assert entry.citation() == "Index: Vermiform appendix -> use Appendix"


def test_full_codes_are_kept_whole(index: PcsIndex) -> None:
    (entry,) = index.lookup("resection")
    assert entry.trail == ("Resection", "Appendix") and entry.codes == "0DTJ0ZZ"
    assert "Resection" in index.main_terms()


def test_malformed_or_foreign_files_are_one_line_errors() -> None:
    with pytest.raises(PcsFileError, match=r"malformed\.xml:6:4"):
        parse_index(FIXTURES / "malformed.xml")
    with pytest.raises(PcsFileError, match="expected <ICD10PCS.index>"):
        parse_index(FIXTURES / "definitions.xml")


def test_parsed_index_survives_pickling(index: PcsIndex) -> None:
    again = pickle.loads(pickle.dumps(index))
    assert again.entries == index.entries
    assert again.lookup("Appendectomy") == index.lookup("Appendectomy")


@pytest.mark.integration
def test_real_index_leads_appendectomy_to_resection() -> None:
    if not REAL.exists():
        pytest.skip(f"CMS index file not found at {REAL} (../shared/data is absent)")
    real = parse_index(REAL)
    assert len(real.entries) > 18_000
    assert {e.codes for e in real.lookup("Appendectomy")} == {"0DBJ", "0DTJ"}
    assert any(e.codes == "0TJB8ZZ" for e in real.lookup("Cystoscopy"))
    assert any(e.use == "Drainage Device" for e in real.lookup("Foley catheter"))


def _pcs_with(*entries: IndexEntry) -> Icd10pcs:
    from fakes import DATA

    from assistant.codesets.icd10pcs.tables import parse_tables

    index = PcsIndex("2099", tuple(entries), {})
    return Icd10pcs(parse_tables(DATA / "icd10pcs" / "tables.xml"), None, index)


def test_multi_word_main_terms_of_operations_are_phrases_and_others_are_not() -> None:
    pcs = _pcs_with(
        IndexEntry(("Gizmo section",), "", "Extraction, Widget", ""),  # see -> an operation
        IndexEntry(("Extraction", "Widget"), "10D00", "", ""),
        IndexEntry(("Wobble ventilation",), "5A19", "", ""),
        IndexEntry(("Humming pressure",), "4A03", "", ""),  # a measurement
        IndexEntry(("Buzzing therapy",), "F07", "", ""),  # rehabilitation
        IndexEntry(("Sprocket stimulator", "Insertion of device in"), "0JH", "", ""),  # subterm
    )
    assert pcs.action_phrases == {terms("gizmo section"), terms("wobble ventilation")}


def test_an_abbreviation_beside_an_operation_name_is_an_operation_word() -> None:
    pcs = _pcs_with(
        IndexEntry(("ZQX (zorboscopy)",), "0DJ0", "", ""),
        IndexEntry(("GFQ (glow filtration quotient)",), "4A0", "", ""),  # not an operation
        IndexEntry(("Widget (Wobble)",), "0DJ0", "", ""),  # not an abbreviation
    )
    assert "zqx" in pcs.actions and "gfq" not in pcs.actions and "wobbl" not in pcs.actions
