"""Code syntax (assistant.codesets.icd10cm.syntax): what users type becomes the dotted code, prose yields codes."""

from __future__ import annotations

import pytest

from assistant.codesets.icd10cm.syntax import CODE_TOKEN, compact, normalize_code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("e1165", "E11.65"),
        (" E11.65 ", "E11.65"),
        ("E11.65", "E11.65"),
        ("E11", "E11"),
        ("S022XXA", "S02.2XXA"),
        ("s02.2xxa", "S02.2XXA"),
        # QA0 (genetic disorders) is new in the April 2026 release: a letter in third place.
        ("QA0.0101", "QA0.0101"),
        ("qa00101", "QA0.0101"),
    ],
)
def test_normalize_code_gives_the_dotted_upper_case_form(typed: str, code: str) -> None:
    assert normalize_code(typed) == code


@pytest.mark.parametrize("text", ["hello", "12345", "", "   ", "E1", "E11.65432", "11.65"])
def test_normalize_code_rejects_what_is_not_a_code(text: str) -> None:
    assert normalize_code(text) is None


def test_compact_drops_the_dot_for_prefix_matching() -> None:
    assert compact("E11.65") == "E1165"
    assert compact("S02.2XXA") == "S022XXA"


def test_code_token_finds_codes_in_prose_in_any_spelling() -> None:
    text = "Use E11.65 with S02.2XXA; the patient also had e1165 and QA0.0101 once."
    assert CODE_TOKEN.findall(text) == ["E11.65", "S02.2XXA", "e1165", "QA0.0101"]


def test_code_token_keeps_the_dash_of_codes_written_as_headers() -> None:
    assert CODE_TOKEN.findall("type 1 diabetes mellitus (E10.-), see T36.0X5-") == [
        "E10.-",
        "T36.0X5-",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "see guideline I.C.1.d.4 for sepsis",
        "Section I.C.19.a on 7th characters",
        "the patient has a cold and a sore throat",
    ],
)
def test_code_token_ignores_guideline_sections_and_words(text: str) -> None:
    assert CODE_TOKEN.findall(text) == []
