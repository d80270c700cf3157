"""Tests for the ICD-10-CM Alphabetic Index and table parser (assistant.codesets.icd10cm.alphaindex)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from fakes import SHARED

from assistant.codesets.icd10cm.alphaindex import (
    AlphaIndexError,
    IndexEntry,
    entry_codes,
    parse_index,
    render,
    trail_text,
)

DATA = SHARED / "icd10cm"
REAL_FILES = {
    "eindex": "icd10cm-eindex-April-1-2026-XML.xml",
    "neoplasm": "icd10cm-neoplasm-April-1-2026-XML.xml",
    "drug": "icd10cm-drug-April-1-2026-XML.xml",
}

INDEX_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
  <letter>
    <title>D</title>
    <mainTerm>
      <title>Diabetes, diabetic<nemod>(mellitus) (sugar)</nemod></title>
      <code>E11.9</code>
      <term level="1">
        <title>type 2</title>
        <code>E11.9</code>
        <term level="2">
          <title>with</title>
          <term level="3">
            <title>cataract</title>
            <code>E11.36</code>
            <manif>H28</manif>
          </term>
          <term level="3">
            <title>hyperglycemia</title>
            <code>E11.65</code>
          </term>
        </term>
      </term>
      <term level="1">
        <title>bronzed</title>
        <see>Hemochromatosis</see>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Disease, diseased</title>
      <seeAlso>Syndrome</seeAlso>
      <term level="1">
        <title>person<nemod>(s) (in contact)</nemod>   NEC</title>
        <code>Z20.9</code>
      </term>
    </mainTerm>
  </letter>
  <letter>
    <title>L</title>
    <mainTerm>
      <title>Lightning<nemod>(shock) (stroke)</nemod></title>
      <subcat>T75.0</subcat>
    </mainTerm>
    <mainTerm>
      <title>Strangulation</title>
      <seecat>T71</seecat>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

DRUG_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <indexHeading>
    <head col="1">Substance</head>
    <head col="2">Poisoning Accidental (unintentional)</head>
    <head col="3">Poisoning Intentional self-harm</head>
    <head col="4">Poisoning Assault</head>
    <head col="5">Poisoning Undetermined</head>
    <head col="6">Adverse effect</head>
    <head col="7">Underdosing</head>
  </indexHeading>
  <letter>
    <title>A</title>
    <mainTerm>
      <title>Acid<nemod>(corrosive)</nemod> NEC</title>
      <cell col="2">T54.2X1</cell>
      <cell col="3">T54.2X2</cell>
      <cell col="4">T54.2X3</cell>
      <cell col="5">T54.2X4</cell>
      <cell col="6">--</cell>
      <cell col="7">--</cell>
      <term level="1">
        <title>amino</title>
        <cell col="2">T50.991</cell>
        <cell col="3">T50.992</cell>
        <cell col="4">T50.993</cell>
        <cell col="5">T50.994</cell>
        <cell col="6">T50.995</cell>
        <cell col="7">T50.996</cell>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Aleve</title>
      <see>Naproxen</see>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""


def _write(tmp_path: Path, text: str, name: str = "fixture.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _by_trail(entries: list[IndexEntry]) -> dict[str, IndexEntry]:
    return {trail_text(e): e for e in entries}


# --- fixture: the index ------------------------------------------------------------------
@pytest.fixture
def index_file(tmp_path: Path):
    return parse_index(_write(tmp_path, INDEX_XML), "index")


def test_every_term_at_every_level_becomes_one_entry_in_document_order(index_file) -> None:
    assert [trail_text(e) for e in index_file.entries] == [
        "Diabetes, diabetic",
        "Diabetes, diabetic, type 2",
        "Diabetes, diabetic, type 2, with",
        "Diabetes, diabetic, type 2, with, cataract",
        "Diabetes, diabetic, type 2, with, hyperglycemia",
        "Diabetes, diabetic, bronzed",
        "Disease, diseased",
        "Disease, diseased, person NEC",
        "Lightning",
        "Strangulation",
    ]
    assert [e.level for e in index_file.entries] == [0, 1, 2, 3, 3, 1, 0, 1, 0, 0]


def test_trail_keeps_nonessential_modifiers_in_parentheses(index_file) -> None:
    entry = _by_trail(index_file.entries)["Diabetes, diabetic, type 2, with, hyperglycemia"]
    assert entry.trail == (
        "Diabetes, diabetic (mellitus) (sugar)",
        "type 2",
        "with",
        "hyperglycemia",
    )
    assert entry.code == "E11.65"
    assert index_file.entries[0].nemod == ("(mellitus) (sugar)",)
    # A plural modifier is glued to its word; spacing is collapsed; NEC is kept.
    person = _by_trail(index_file.entries)["Disease, diseased, person NEC"]
    assert person.trail[-1] == "person(s) (in contact) NEC"


def test_render_cites_the_trail_and_what_it_points_to(index_file) -> None:
    entries = _by_trail(index_file.entries)
    assert render(entries["Diabetes, diabetic, type 2, with, hyperglycemia"]) == (
        "Index: Diabetes, diabetic (mellitus) (sugar), type 2, with, hyperglycemia -> E11.65"
    )
    assert render(entries["Diabetes, diabetic, type 2, with, cataract"]).endswith("-> E11.36 [H28]")
    assert render(entries["Diabetes, diabetic, bronzed"]).endswith("-> see Hemochromatosis")
    assert render(entries["Disease, diseased"]) == "Index: Disease, diseased -> see also Syndrome"
    assert render(entries["Lightning"]).endswith("-> see subcategory T75.0")
    assert render(entries["Strangulation"]).endswith("-> see category T71")
    # A heading with nothing of its own is cited without an arrow.
    assert render(entries["Diabetes, diabetic, type 2, with"]).endswith("type 2, with")


def test_references_and_manifestations_are_kept(index_file) -> None:
    entries = _by_trail(index_file.entries)
    cataract = entries["Diabetes, diabetic, type 2, with, cataract"]
    assert (cataract.code, cataract.manif) == ("E11.36", "H28")
    assert entry_codes(cataract) == ["E11.36", "H28"]
    assert entries["Diabetes, diabetic, bronzed"].see == "Hemochromatosis"
    assert entries["Disease, diseased"].see_also == "Syndrome"
    assert entries["Lightning"].subcat == "T75.0"
    assert entries["Strangulation"].seecat == "T71"


def test_version_title_and_counts(index_file) -> None:
    assert index_file.version == "2026"
    assert index_file.title == "ICD-10-CM INDEX TO DISEASES and INJURIES"
    counts = index_file.counts
    assert counts["main_terms"] == 4
    assert counts["terms"] == 6
    assert (counts["level_1"], counts["level_2"], counts["level_3"]) == (3, 1, 2)
    assert counts["with_code"] == 5
    assert (counts["see"], counts["see_also"], counts["seecat"], counts["subcat"]) == (1, 1, 1, 1)


def test_ids_are_stable_unique_and_name_file_and_release(tmp_path: Path, index_file) -> None:
    again = parse_index(_write(tmp_path, INDEX_XML, "again.xml"), "index")
    ids = [e.id for e in index_file.entries]
    assert ids == [e.id for e in again.entries]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("index:index:2026:") for i in ids)
    newer = parse_index(_write(tmp_path, INDEX_XML.replace("2026", "2027"), "n.xml"), "index")
    assert newer.entries[0].id.startswith("index:index:2027:")


def test_a_trail_printed_twice_still_gets_distinct_ids(tmp_path: Path) -> None:
    doubled = INDEX_XML.replace(
        "<title>Strangulation</title>", "<title>Lightning<nemod>(shock) (stroke)</nemod></title>"
    )
    entries = parse_index(_write(tmp_path, doubled), "index").entries
    ids = [e.id for e in entries]
    assert len(set(ids)) == len(ids)


# --- fixture: a table --------------------------------------------------------------------
def test_table_rows_get_named_columns_from_the_file_headings(tmp_path: Path) -> None:
    table = parse_index(_write(tmp_path, DRUG_XML), "drug")
    assert table.headings["adverse_effect"] == "Adverse effect"
    amino = _by_trail(table.entries)["Acid NEC, amino"]
    assert amino.columns == {
        "poisoning_accidental": "T50.991",
        "poisoning_intentional": "T50.992",
        "poisoning_assault": "T50.993",
        "poisoning_undetermined": "T50.994",
        "adverse_effect": "T50.995",
        "underdosing": "T50.996",
    }
    assert amino.trail == ("Acid (corrosive) NEC", "amino")
    acid = table.entries[0]
    # "--" is printed in the table and kept; it is not a code.
    assert acid.columns["adverse_effect"] == "--"
    assert entry_codes(acid) == ["T54.2X1", "T54.2X2", "T54.2X3", "T54.2X4"]
    line = render(amino)
    assert line.startswith("Drug Table: Acid (corrosive) NEC, amino -> poisoning accidental:")
    assert "adverse effect: T50.995" in line
    assert render(table.entries[-1]) == "Drug Table: Aleve -> see Naproxen"
    assert table.counts["cells"] == 12


def test_neoplasm_headings_map_to_their_keys(tmp_path: Path) -> None:
    headings = [
        "Neoplasm",
        "Malignant Primary",
        "Malignant Secondary",
        "Ca in situ",
        "Benign",
        "Uncertain Behavior",
        "Unspecified Behavior",
    ]
    heads = "".join(f'<head col="{i}">{h}</head>' for i, h in enumerate(headings, 1))
    cells = "".join(f'<cell col="{i}">C{i}0.{i}</cell>' for i in range(2, 8))
    text = (
        f"<ICD10CM.index><version>2026</version><indexHeading>{heads}</indexHeading>"
        f"<letter><title>N</title><mainTerm><title>Neoplasm</title>{cells}</mainTerm></letter>"
        "</ICD10CM.index>"
    )
    row = parse_index(_write(tmp_path, text), "neoplasm").entries[0]
    assert list(row.columns) == [
        "malignant_primary",
        "malignant_secondary",
        "ca_in_situ",
        "benign",
        "uncertain",
        "unspecified",
    ]
    assert "ca in situ: C40.4" in render(row)


# --- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "source", "message"),
    [
        ("", "index", "not XML or empty"),
        ("this is not xml", "index", "not XML or empty"),
        ("<ICD10CM.tabular><version>2026</version></ICD10CM.tabular>", "index", "root <ICD10CM"),
        ("<ICD10CM.index><version>2026</version>", "index", "malformed XML"),
        ("<ICD10CM.index><version>2026</version></ICD10CM.index>", "index", "no index entries"),
        (INDEX_XML, "drug", "no column headings"),
        (DRUG_XML, "eindex", "is a table"),
        (DRUG_XML, "neoplasm", "no 'malignant_primary' column"),
        (INDEX_XML, "tabular", "unknown index source"),
        (DRUG_XML.replace('col="6"', 'col="six"', 1), "drug", "bad col='six'"),
    ],
)
def test_wrong_or_malformed_files_raise_one_line_errors(
    tmp_path: Path, content: str, source: str, message: str
) -> None:
    with pytest.raises(AlphaIndexError) as caught:
        parse_index(_write(tmp_path, content), source)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(AlphaIndexError, match="cannot read"):
        parse_index(tmp_path / "absent.xml", "index")


# --- real files --------------------------------------------------------------------------
def _real(source: str) -> Path:
    path = DATA / REAL_FILES[source]
    if not path.is_file():
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.mark.integration
@pytest.mark.parametrize("source", sorted(REAL_FILES))
def test_real_file_every_term_is_accounted_for(source: str) -> None:
    path = _real(source)
    parsed = parse_index(path, source)
    # Independent count: a plain whole-tree parse, counting elements by tag and @level.
    root = ET.parse(path).getroot()
    levels = Counter(int(t.get("level", "0")) for t in root.iter("term"))
    assert parsed.counts["main_terms"] == sum(1 for _ in root.iter("mainTerm"))
    assert parsed.counts["terms"] == sum(1 for _ in root.iter("term"))
    assert len(parsed.entries) == parsed.counts["main_terms"] + parsed.counts["terms"]
    assert Counter(e.level for e in parsed.entries if e.level) == levels
    assert parsed.counts["cells"] == sum(1 for _ in root.iter("cell"))
    for tag, name in [
        ("code", "code"),
        ("see", "see"),
        ("seeAlso", "see_also"),
        ("seecat", "seecat"),
        ("subcat", "subcat"),
        ("manif", "manif"),
    ]:
        expected = Counter(" ".join((el.text or "").split()) for el in root.iter(tag))
        assert Counter(getattr(e, name) for e in parsed.entries if getattr(e, name)) == expected
    assert parsed.version == (root.findtext("version") or "").strip()
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
    assert all(e.trail and all(e.trail) for e in parsed.entries)


@pytest.mark.integration
def test_real_drug_table_amoxicillin() -> None:
    table = parse_index(_real("drug"), "drug")
    assert list(table.headings) == [
        "poisoning_accidental",
        "poisoning_intentional",
        "poisoning_assault",
        "poisoning_undetermined",
        "adverse_effect",
        "underdosing",
    ]
    amoxicillin = _by_trail(table.entries)["Amoxicillin"]
    assert amoxicillin.columns["adverse_effect"] == "T36.0X5"
    assert amoxicillin.columns["underdosing"] == "T36.0X6"
    assert "adverse effect: T36.0X5" in render(amoxicillin)


@pytest.mark.integration
def test_real_neoplasm_table_rows_have_six_columns() -> None:
    table = parse_index(_real("neoplasm"), "neoplasm")
    top = table.entries[0]
    assert top.trail == ("Neoplasm, neoplastic",)
    assert top.columns["malignant_primary"] == "C80.1"
    assert len(top.columns) == 6
    # Nearly every row fills all six columns; a few print only some (basal cell carcinoma
    # rows give the malignant primary code alone), never a column outside the six.
    rows = [e for e in table.entries if e.columns]
    assert all(set(e.columns) <= set(table.headings) for e in rows)
    assert sum(len(e.columns) == 6 for e in rows) > 0.95 * len(rows)
    wall = _by_trail(table.entries)["Neoplasm, neoplastic, abdomen, abdominal, wall"]
    assert wall.columns["malignant_secondary"] == "C79.2-"
    assert wall.see_also == "Neoplasm, abdomen, wall, skin"


@pytest.mark.integration
def test_real_external_cause_index_entries() -> None:
    eindex = parse_index(_real("eindex"), "eindex")
    entries = _by_trail(eindex.entries)
    powered = entries["Accident, boat, boating, striking swimmer, powered"]
    assert powered.code == "V94.11"
    assert render(powered) == (
        "External Cause Index: Accident (to), boat, boating, striking swimmer, powered -> V94.11"
    )
    assert entries["Accident, aircraft, due to, caused by cataclysm"].see == (
        "Forces of nature, by type"
    )
    assert entries["Abandonment NEC"].trail[0].startswith("Abandonment (causing exposure")
