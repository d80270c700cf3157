"""Questions that need a source that is not loaded, and the structured parts of an answer."""

from __future__ import annotations

import json

import pytest

from assistant.answer import router
from assistant.answer.passages import balance_bold, excerpt
from assistant.container import Container
from assistant.core.answer import INHERITED_NOTES


def one_line(text: str) -> bool:
    return "\n" not in text.strip()


# --- a missing source is named, with the command that adds it ---------------------------------
def test_rule_question_without_guidelines_is_not_answered_from_the_codes(ingested: Container):
    # An open rule question whose words are close to a code ("sepsis") must still be a
    # notice: make the code lookup win the comparison of collections if it ran at all.
    ingested.composer.handlers[router.LOOKUP] = lambda *a: pytest.fail("answered as a lookup")
    answer = ingested.ask("how is sepsis with pneumonia sequenced when admitted?")
    assert answer.route == router.GUIDELINE
    assert one_line(answer.answer) and answer.codes == [] and answer.citations == []
    assert "`medcode download`" in answer.answer
    assert "`medcode ingest --source-dir DIR`" in answer.answer
    assert answer.to_json()["missing"] == {
        "source": "guidelines",
        "commands": ["medcode download", "medcode ingest --source-dir DIR"],
    }


@pytest.mark.parametrize(
    ("question", "route", "name"),
    [
        ("What is the ICD-10-PCS code for appendectomy?", router.PCS, "ICD-10-PCS"),
        ("What is the HCPCS code for a wheelchair?", router.HCPCS, "HCPCS Level II"),
    ],
)
def test_code_set_not_loaded_is_one_line_with_the_commands(
    ingested: Container, question: str, route: str, name: str
):
    answer = ingested.ask(question)
    assert answer.route == route
    assert answer.answer.startswith(f"{name} is not loaded")
    assert one_line(answer.answer) and "loaded now: ICD-10-CM FY2026" in answer.answer
    assert answer.extra["missing"]["commands"][0] == "medcode download"


def test_cpt_without_a_licensed_file_names_the_import_command(ingested: Container):
    answer = ingested.ask("CPT code for an office visit")
    assert answer.route == router.CPT and one_line(answer.answer)
    assert answer.extra["missing"] == {"source": "cpt", "commands": ["medcode ingest --cpt FILE"]}


def test_a_lookup_is_not_a_missing_source(ingested: Container):
    answer = ingested.ask("type 2 diabetes with hyperglycemia")
    assert "missing" not in answer.extra


# --- the parts a coder acts on, in ask --json -------------------------------------------------
def test_json_keeps_the_contract_and_adds_the_codes_to_report(ingested: Container):
    data = json.loads(json.dumps(ingested.ask("type 2 diabetes with hyperglycemia").to_json()))
    assert {"answer", "citations", "codes"} <= set(data)
    assert data["report"] == ["E11.65"]
    assert data["report_codes"] == [
        {
            "code": "E11.65",
            "description": "Type 2 diabetes mellitus with hyperglycemia",
            "code_set": "icd10cm",
            "title": "ICD-10-CM",
            "release": "FY2026",
            "billable": True,
        }
    ]


def test_code_notes_are_grouped_own_first(ingested: Container):
    answer = ingested.ask("what is E11.65?")
    [group] = answer.extra["notes"]
    assert group["code"] == "E11.65" and group["own"] == []
    assert {"kind": "excludes1", "level": "E11"}.items() <= group["inherited"][1].items()
    # The text says where the code's own notes end, and the inherited ones name their level.
    assert f"{INHERITED_NOTES} (E11):" in answer.answer


def test_a_pair_check_carries_its_verdict(ingested: Container):
    answer = ingested.ask("can I code E10.9 with E11.9?")
    assert answer.extra["verdict"] == {
        "conflict": True,
        "line": "Excludes1 conflict found among E10.9, E11.9:",
    }
    assert [r["code"] for r in answer.extra["report_codes"]] == ["E10.9", "E11.9"]


# --- bold that renders ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("PC** (founded as the American Academy", "PC (founded as the American Academy"),
        ("issued by **AAPC** and **AHI", "issued by **AAPC** and AHI"),
        ("**AAPC** and **AHIMA**", "**AAPC** and **AHIMA**"),
    ],
)
def test_an_unpaired_bold_mark_is_dropped(text: str, shown: str):
    assert balance_bold(text) == shown


def test_excerpt_cut_inside_bold_leaves_no_mark():
    cut = excerpt("The exam: **Pass mark** is seventy", 20)
    assert cut == "The exam: Pass ..." and cut.count("**") == 0
