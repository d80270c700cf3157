"""The invalid-code guard (assistant.answer.guard)."""

from __future__ import annotations

from fakes import icd10cm_sets, module_tabular

from assistant.answer.guard import guard, invalid_mark
from assistant.codesets.icd10cm.tabular import Tabular

FIXTURE_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2099</version>
  <chapter>
    <name>4</name>
    <desc>Endocrine diseases (E08-E13)</desc>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <diag><name>E08</name><desc>Diabetes due to underlying condition</desc>
        <diag><name>E08.9</name><desc>Without complications</desc></diag>
      </diag>
      <diag><name>E11</name><desc>Type 2 diabetes mellitus</desc>
        <diag><name>E11.65</name><desc>With hyperglycemia</desc></diag>
        <diag><name>E11.9</name><desc>Without complications</desc></diag>
      </diag>
      <diag><name>E13</name><desc>Other specified diabetes mellitus</desc>
        <diag><name>E13.9</name><desc>Without complications</desc></diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>19</name>
    <desc>Injury (S00-T88)</desc>
    <section id="T36-T50">
      <desc>Poisoning by drugs (T36-T50)</desc>
      <diag><name>T36</name><desc>Poisoning by systemic antibiotics</desc>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag><name>T36.0</name><desc>Penicillins</desc>
          <diag><name>T36.0X5</name><desc>Adverse effect of penicillins</desc></diag>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""

INVALID_MARK = invalid_mark("ICD-10-CM")


small = module_tabular(FIXTURE_XML)


def test_invalid_code_is_marked_and_never_left_bare(small: Tabular) -> None:
    result = guard("Report E11.65, not E11.99.", icd10cm_sets(small))
    assert result.text == f"Report E11.65, not E11.99{INVALID_MARK}."
    assert result.invalid == ["E11.99"]
    assert result.checked == 2


def test_valid_codes_in_any_form_pass_unchanged(small: Tabular) -> None:
    text = "Use e1165 or E11.9; the block E08-E13; derived T36.0X5A."
    result = guard(text, icd10cm_sets(small))
    assert result.text == text
    assert result.invalid == []
    assert result.checked == 5


def test_trailing_dash_codes_are_valid_but_incomplete(small: Tabular) -> None:
    text = "Add T36.0X5- for the adverse effect; any code from E11.- applies; not T37.0X5-."
    result = guard(text, icd10cm_sets(small))
    assert result.invalid == ["T37.0X5-"]
    assert f"T37.0X5-{INVALID_MARK}" in result.text
    assert {"T36.0X5-", "E11.-"} <= set(result.incomplete)


def test_code_words_that_are_not_codes_are_left_alone(small: Tabular) -> None:
    text = "Vitamin B12 and A1C levels, H2O, CD4 count, T2DM, G6PD; see guideline I.C.4.a and T2."
    result = guard(text, icd10cm_sets(small))
    assert result.text == text
    assert result.checked == 0


def test_bare_category_called_a_code_is_checked(small: Tabular) -> None:
    result = guard("Assign code E15 here.", icd10cm_sets(small))
    assert result.invalid == ["E15"]


def test_guard_is_idempotent(small: Tabular) -> None:
    once = guard("E11.99 and S72.00123", icd10cm_sets(small)).text
    assert guard(once, icd10cm_sets(small)).text == once
    assert once.count(INVALID_MARK) == 2


def test_a_long_real_answer_is_checked_token_by_token(real_tab: Tabular) -> None:
    answer = (
        "For type 2 diabetes with hyperglycemia report E11.65 and Z79.4 for insulin use. "
        "E11.65 is in block E08-E13; a hip fracture at the first visit is S72.001A. "
        "Poisoning codes such as T36.0X5- need a 7th character. X99.99 is not a real code. "
    ) * 8
    result = guard(answer[:2000], icd10cm_sets(real_tab))
    assert set(result.invalid) == {"X99.99"}
    assert "X99.99 [not a valid ICD-10-CM code]" in result.text
    assert "S72.001A [" not in result.text


def test_hcpcs_codes_named_as_such_are_not_flagged(real_tab: Tabular) -> None:
    text = "A HCPCS Level II code is one letter and four digits: E0100 is a cane."
    result = guard(text, icd10cm_sets(real_tab))
    assert result.invalid == [] and result.text == text
    # the same token with no HCPCS context still reads as a mistyped ICD-10-CM code
    assert guard("Code E0100 for this patient.", icd10cm_sets(real_tab)).invalid == ["E0100"]
