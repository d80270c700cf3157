"""Several code sets at once: which set a code belongs to, the guard over all of them, and the
code set a question is for."""

from __future__ import annotations

import pytest
from fakes import all_sets, write_tabular

from assistant.answer.choose import choose
from assistant.answer.guard import guard
from assistant.codesets import CodeSets
from assistant.codesets.icd10cm.tabular import load_tabular
from assistant.core.codeset import UnknownCodeError


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> CodeSets:
    return all_sets(load_tabular(write_tabular(tmp_path_factory.mktemp("xml"))))


@pytest.mark.parametrize(
    ("typed", "name", "code"),
    [
        ("e1165", "icd10cm", "E11.65"),
        ("0dtj4zz", "icd10pcs", "0DTJ4ZZ"),
        (" J0696 ", "hcpcs", "J0696"),
        ("rt", "hcpcs", "RT"),
    ],
)
def test_a_typed_code_is_found_in_its_own_code_set(
    sets: CodeSets, typed: str, name: str, code: str
) -> None:
    cs, info = sets.resolve(typed)
    assert (cs.name, info.code) == (name, code)


def test_an_invalid_code_is_reported_by_the_code_set_whose_form_it_has(sets: CodeSets) -> None:
    with pytest.raises(
        UnknownCodeError,
        match=r"^0DTJ4ZX is not a valid ICD-10-PCS FY\d+ code: qualifier X does not exist",
    ):
        sets.resolve("0DTJ4ZX")
    with pytest.raises(
        UnknownCodeError,
        match=r"^E11\.99 is not a valid ICD-10-CM FY\d+ code; nearest valid codes: E11\.9",
    ):
        sets.resolve("E11.99")
    with pytest.raises(UnknownCodeError, match="none of these code sets"):
        sets.resolve("hello")


def test_pcs_details_explain_every_axis_with_its_definition(sets: CodeSets) -> None:
    cs, _ = sets.resolve("0DTJ4ZZ")
    details = cs.details("0DTJ4ZZ")
    assert details["description"] == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert [a["position"] for a in details["axes"]] == list(range(1, 8))
    approach = details["axes"][4]
    assert (approach["name"], approach["value"], approach["label"]) == (
        "Approach",
        "4",
        "Percutaneous Endoscopic",
    )
    assert approach["definition"]
    assert details["axes"][2]["definition"].startswith("Cutting out or off")


def test_hcpcs_details_give_both_descriptions_and_the_release(sets: CodeSets) -> None:
    cs, _ = sets.resolve("J0696")
    details = cs.details("J0696")
    assert details["short_description"] == "Ceftriaxone sodium injection"
    assert details["description"] == "Injection, ceftriaxone sodium, per 250 mg"
    assert details["release"] == "HCPCS Level II, January 2026"


def test_the_guard_checks_codes_of_every_set_and_names_the_set_of_an_invalid_one(
    sets: CodeSets,
) -> None:
    text = "Report 0DTJ4ZZ, bill J0696 x2 with E11.65; not 0DTJ4ZX nor E11.99."
    result = guard(text, sets)
    assert result.invalid == ["0DTJ4ZX", "E11.99"]
    assert "0DTJ4ZX [not a valid ICD-10-PCS code]" in result.text
    assert "E11.99 [not a valid ICD-10-CM code]" in result.text
    assert result.code_sets == {"0DTJ4ZZ": "icd10pcs", "J0696": "hcpcs", "E11.65": "icd10cm"}


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("standard wheelchair with fixed arms", "hcpcs"),
        ("ceftriaxone 500 mg", "hcpcs"),
        ("resection of the appendix", "icd10pcs"),
        ("type 2 diabetes with hyperglycemia", "icd10cm"),
        ("HCPCS code for diabetes test strips", "hcpcs"),
        ("ICD-10-PCS code for stomach excision", "icd10pcs"),
    ],
)
def test_a_question_goes_to_the_code_set_whose_language_it_speaks(
    sets: CodeSets, question: str, name: str
) -> None:
    assert choose(question, sets)[0].code_set.name == name


def test_a_named_operation_marks_the_procedure_set_unless_it_is_a_state(sets: CodeSets) -> None:
    flagged = {c.code_set.name for c in choose("resection of the appendix", sets) if c.operation}
    assert flagged == {"icd10pcs"}
    after = choose("status post resection of the appendix", sets)
    assert not any(c.operation for c in after)


def test_a_side_word_is_no_evidence_against_a_set_that_reports_sides_by_modifier() -> None:
    import re
    from types import SimpleNamespace
    from typing import Any, cast

    from assistant.core.vocabulary import count_roots

    never = re.compile(r"(?!)")
    # Diagnosis titles say the side everywhere; item descriptors never do (RT/LT say it).
    titles = ["Widget fracture, left knee", "Widget fracture, right knee", "Gizmo fever"]
    diagnoses = count_roots(titles * 1000)
    items = count_roots(["Knee widget brace", "Ankle widget brace"] * 1000)

    def lead(question: str, by_modifier: bool) -> float:
        """How far the item set leads the diagnosis set for ``question``."""
        sets = [
            SimpleNamespace(name="dx", names=never, vocabulary=diagnoses),
            SimpleNamespace(
                name="items", names=never, vocabulary=items, sides_by_modifier=by_modifier
            ),
        ]
        score = {c.code_set.name: c.score for c in choose(question, cast(Any, sets))}
        return score["items"] - score["dx"]

    plain = lead("knee widget", True)
    assert plain == lead("knee widget", False)  # no side word: nothing changes
    as_modifier, as_title = (
        plain - lead("left knee widget", True),
        plain - lead("left knee widget", False),
    )
    assert 0 <= as_modifier < as_title / 2  # the side costs the item set far less


def test_a_past_participle_describes_a_state_not_an_operation(sets: CodeSets) -> None:
    named = {c.code_set.name for c in choose("resection of the appendix", sets) if c.operation}
    assert named == {"icd10pcs"}
    assert not any(c.operation for c in choose("resected appendix", sets))


def test_how_a_question_is_put_says_nothing_of_its_code_set() -> None:
    import re
    from types import SimpleNamespace
    from typing import Any, cast

    from assistant.core.vocabulary import count_roots

    never = re.compile(r"(?!)")
    # Measure-style texts say "that" and "not" a lot; diagnosis titles hardly ever.
    dx = count_roots(["Gizmo fever", "Widget cough"] * 1000)
    measures = count_roots(["Patient that did not receive widget counseling"] * 1000)
    sets = [
        SimpleNamespace(name="dx", names=never, vocabulary=dx),
        SimpleNamespace(name="measures", names=never, vocabulary=measures),
    ]

    def score(question: str) -> dict[str, float]:
        return {c.code_set.name: c.score for c in choose(question, cast(Any, sets))}

    assert score("gizmo fever that will not stop") == score("gizmo fever")


@pytest.mark.parametrize(
    ("status", "plain"),
    [
        ("end stage renal disease on hemodialysis", "end stage renal disease hemodialysis"),
        ("COPD on home oxygen", "COPD home oxygen"),
        ("diabetes, on long-term insulin", "diabetes, long-term insulin"),
    ],
)
def test_being_on_a_treatment_speaks_for_the_diagnosis_set(
    sets: CodeSets, status: str, plain: str
) -> None:
    from assistant.answer.choose import DIAGNOSIS_BONUS

    def icd(question: str) -> float:
        return next(c.score for c in choose(question, sets) if c.code_set.name == "icd10cm")

    # "on" is no word of any title: the two differ only in reading the status
    assert icd(status) - icd(plain) == pytest.approx(DIAGNOSIS_BONUS)
