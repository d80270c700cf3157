"""Excludes1/Excludes2 pair checks (assistant.codesets.icd10cm.excludes)."""

from __future__ import annotations

import pytest
from fakes import module_tabular

from assistant.codesets.icd10cm.excludes import Reference, check_codes, parse_references
from assistant.codesets.icd10cm.notes import UnknownCodeError
from assistant.codesets.icd10cm.tabular import Tabular

# Ranges named at chapter and category level; C7A sits between C75 and C76 in Tabular order
# although it sorts after C76 as text, and O9A closes the pregnancy chapter after O99.
FIXTURE_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2099</version>
  <chapter>
    <name>2</name>
    <desc>Neoplasms (C00-D49)</desc>
    <section id="C73-C75">
      <desc>Endocrine glands (C73-C75)</desc>
      <diag><name>C75</name><desc>Other endocrine glands</desc>
        <diag><name>C75.0</name><desc>Parathyroid gland</desc></diag>
      </diag>
    </section>
    <section id="C7A">
      <desc>Neuroendocrine tumors (C7A)</desc>
      <diag><name>C7A</name><desc>Malignant neuroendocrine tumors</desc>
        <excludes1><note>secondary neoplasms (C76-C80)</note></excludes1>
        <diag><name>C7A.0</name><desc>Carcinoid tumors</desc>
          <diag><name>C7A.00</name><desc>Carcinoid tumor of unspecified site</desc></diag>
        </diag>
      </diag>
    </section>
    <section id="C76-C80">
      <desc>Ill-defined and secondary sites (C76-C80)</desc>
      <diag><name>C76</name><desc>Other ill-defined sites</desc>
        <diag><name>C76.0</name><desc>Head, face and neck</desc></diag>
      </diag>
      <diag><name>C80</name><desc>Without specification of site</desc>
        <diag><name>C80.1</name><desc>Unspecified</desc></diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>4</name>
    <desc>Endocrine diseases (E08-E13)</desc>
    <excludes1><note>transitory disorders of newborn (P70-P74)</note></excludes1>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <diag><name>E10</name><desc>Type 1 diabetes mellitus</desc>
        <excludes1><note>type 2 diabetes mellitus (E11.-)</note></excludes1>
        <diag><name>E10.9</name><desc>Type 1 diabetes mellitus without complications</desc></diag>
      </diag>
      <diag><name>E11</name><desc>Type 2 diabetes mellitus</desc>
        <excludes1><note>type 1 diabetes mellitus (E10.-)</note></excludes1>
        <excludes2><note>pregnancy care (O09.9-)</note></excludes2>
        <diag><name>E11.4</name><desc>Type 2 diabetes with neurological complications</desc>
          <diag><name>E11.41</name><desc>Type 2 diabetes mellitus with mononeuropathy</desc></diag>
          <diag><name>E11.44</name><desc>Type 2 diabetes mellitus with amyotrophy</desc></diag>
        </diag>
        <diag><name>E11.9</name><desc>Type 2 diabetes mellitus without complications</desc></diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>6</name>
    <desc>Nervous system (G00-G99)</desc>
    <section id="G50-G59">
      <desc>Nerve disorders (G50-G59)</desc>
      <diag><name>G54</name><desc>Nerve root and plexus disorders</desc>
        <diag><name>G54.5</name><desc>Neuralgic amyotrophy</desc>
          <excludes1>
            <note>neuralgic amyotrophy in diabetes mellitus (E08-E13 with .44)</note>
          </excludes1>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>15</name>
    <desc>Pregnancy (O00-O9A)</desc>
    <section id="O09">
      <desc>Supervision of high risk pregnancy (O09)</desc>
      <diag><name>O09</name><desc>Supervision of high risk pregnancy</desc>
        <diag><name>O09.9</name><desc>Unspecified</desc>
          <diag><name>O09.90</name><desc>Unspecified trimester</desc></diag>
        </diag>
      </diag>
    </section>
    <section id="O94-O9A">
      <desc>Other obstetric conditions (O94-O9A)</desc>
      <diag><name>O99</name><desc>Other maternal diseases</desc>
        <diag><name>O99.0</name><desc>Anemia complicating pregnancy</desc></diag>
      </diag>
      <diag><name>O9A</name><desc>Maternal malignant neoplasms</desc>
        <diag><name>O9A.1</name><desc>Malignant neoplasm complicating pregnancy</desc></diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>16</name>
    <desc>Perinatal (P00-P96)</desc>
    <section id="P70-P74">
      <desc>Transitory endocrine disorders of newborn (P70-P74)</desc>
      <diag><name>P70</name><desc>Disorders of carbohydrate metabolism of newborn</desc>
        <diag><name>P70.2</name><desc>Neonatal diabetes mellitus</desc></diag>
      </diag>
      <diag><name>P74</name><desc>Other transitory disorders of newborn</desc>
        <diag><name>P74.1</name><desc>Dehydration of newborn</desc></diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>21</name>
    <desc>Factors influencing health status (Z00-Z99)</desc>
    <section id="Z30-Z39">
      <desc>Reproduction (Z30-Z39)</desc>
      <diag><name>Z34</name><desc>Supervision of normal pregnancy</desc>
        <excludes1><note>any complication of pregnancy (O00-O9A)</note></excludes1>
        <diag><name>Z34.0</name><desc>First pregnancy</desc>
          <diag><name>Z34.00</name><desc>Unspecified trimester</desc></diag>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


small = module_tabular(FIXTURE_XML)


def _pairs(result: dict, key: str) -> set[tuple[str, str, str]]:
    return {(c["code"], c["other"], c["level"]) for c in result[key]}


# --- reading notes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("note", "refs"),
    [
        ("type 1 diabetes mellitus (E10.-)", [Reference("E10")]),
        ("gestational diabetes (O24.4-)", [Reference("O244")]),
        ("complications of pregnancy (O00-O9A)", [Reference("O00", "O9A")]),
        ("Escherichia coli infection (A04.0-A04.4)", [Reference("A040", "A044")]),
        ("eyelid (C43.1-, C44.1-)", [Reference("C431"), Reference("C441")]),
        ("abortion (O00-O07, O08.1)", [Reference("O00", "O07"), Reference("O081")]),
        ("concussion (S06.1- to S06.6-)", [Reference("S061", "S066")]),
        (
            "open fracture of pelvis (S32.1--S32.9 with 7th character B)",
            [Reference("S321", "S329", "7th character B")],
        ),
        ("vitamin B12 deficiency anemia (D51.-)", [Reference("D51")]),
        ("injury to visual cortex S04.04-", [Reference("S0404")]),
        ("dysplasia (mild) (moderate) of prostate (N42.3-)", [Reference("N423")]),
        ("certain localized infections - see body system-related chapters", []),
    ],
)
def test_parse_references(note: str, refs: list[Reference]) -> None:
    assert list(parse_references(note)) == refs


# --- fixture tabular ------------------------------------------------------------------------
def test_excludes1_conflict_reported_in_both_directions(small: Tabular) -> None:
    result = check_codes(small, ["e109", "E11.9"])
    assert result["codes"] == ["E10.9", "E11.9"]
    assert _pairs(result, "conflicts") == {("E10.9", "E11.9", "E10"), ("E11.9", "E10.9", "E11")}
    notes = {c["note"] for c in result["conflicts"]}
    assert notes == {"type 2 diabetes mellitus (E11.-)", "type 1 diabetes mellitus (E10.-)"}


def test_chapter_level_range_note_applies_to_every_code_below(small: Tabular) -> None:
    result = check_codes(small, ["E11.9", "P74.1"])
    assert _pairs(result, "conflicts") == {("E11.9", "P74.1", "Chapter 4")}


def test_alphanumeric_range_end_includes_o9a(small: Tabular) -> None:
    assert _pairs(check_codes(small, ["Z34.00", "O9A.1"]), "conflicts") == {
        ("Z34.00", "O9A.1", "Z34")
    }
    assert check_codes(small, ["Z34.00", "O09.90"])["conflicts"]


def test_ranges_follow_tabular_order_not_text_order(small: Tabular) -> None:
    # "C7A" sorts between C76 and C80 as text, but the Tabular places it before C76.
    assert check_codes(small, ["C7A.00", "C76.0"])["conflicts"]
    assert check_codes(small, ["C7A.00", "C80.1"])["conflicts"]
    assert not check_codes(small, ["C7A.00", "C75.0"])["conflicts"]


def test_qualified_range_names_only_matching_codes(small: Tabular) -> None:
    assert _pairs(check_codes(small, ["G54.5", "E11.44"]), "conflicts") == {
        ("G54.5", "E11.44", "G54.5")
    }
    assert not check_codes(small, ["G54.5", "E11.41"])["conflicts"]


def test_excludes2_is_allowed_with_note(small: Tabular) -> None:
    result = check_codes(small, ["E11.9", "O09.90"])
    assert result["conflicts"] == []
    assert result["allowed_with_note"] == [
        {"code": "E11.9", "other": "O09.90", "note": "pregnancy care (O09.9-)", "level": "E11"}
    ]


def test_unrelated_codes_have_no_notes(small: Tabular) -> None:
    assert check_codes(small, ["E11.9", "C75.0"]) == {
        "codes": ["E11.9", "C75.0"],
        "conflicts": [],
        "allowed_with_note": [],
    }


def test_unknown_code_raises(small: Tabular) -> None:
    with pytest.raises(UnknownCodeError, match="E11.99 is not a valid ICD-10-CM FY2099 code"):
        check_codes(small, ["E10.9", "E11.99"])


# --- bundled FY2026 tabular ----------------------------------------------------------------
def test_bundled_type1_with_type2_is_a_conflict(real_tab: Tabular) -> None:
    result = check_codes(real_tab, ["E10.9", "E11.9"])
    assert ("E10.9", "E11.9", "E10") in _pairs(result, "conflicts")
    assert ("E11.9", "E10.9", "E11") in _pairs(result, "conflicts")


def test_bundled_excludes2_pair_is_allowed(real_tab: Tabular) -> None:
    # S72 Excludes2: fracture of lower leg and ankle (S82.-)
    result = check_codes(real_tab, ["S72.001A", "S82.001A"])
    assert result["conflicts"] == []
    assert ("S72.001A", "S82.001A", "S72") in _pairs(result, "allowed_with_note")


def test_bundled_qualified_notes(real_tab: Tabular) -> None:
    # S01 Excludes1: open skull fracture (S02.- with 7th character B)
    assert check_codes(real_tab, ["S01.01XA", "S02.0XXB"])["conflicts"]
    assert not check_codes(real_tab, ["S01.01XA", "S02.0XXA"])["conflicts"]
    # E87.2 Excludes1: diabetic acidosis - see categories E08-E10, E11, E13 with ketoacidosis
    assert check_codes(real_tab, ["E87.20", "E11.10"])["conflicts"]
    assert not check_codes(real_tab, ["E87.20", "E11.9"])["conflicts"]


def test_bundled_unknown_code(real_tab: Tabular) -> None:
    with pytest.raises(UnknownCodeError, match=r"^X99\.99 is not a valid ICD-10-CM FY2026 code"):
        check_codes(real_tab, ["E11.9", "X99.99"])
