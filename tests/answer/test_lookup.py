"""Lookups across code sets: the best match comes from the set the question is for, named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeEmbeddings, all_sets, ephemeral_client

from assistant.codesets.icd10cm.tabular import Tabular
from assistant.config import Settings
from assistant.container import Container
from ingest import run_ingest


@pytest.fixture
def mixed(
    clean_env: None, tmp_path: Path, small_tab: Tabular, career_dir: Path
) -> Iterator[Container]:
    settings = Settings(home=tmp_path / "home", collection="mixed", knowledge_dir=career_dir)
    made = Container(
        settings,
        embeddings=FakeEmbeddings(),
        chroma=ephemeral_client(),
        codesets=all_sets(small_tab),
    )
    run_ingest(made, progress=False)
    yield made
    made.close()


def test_a_supply_is_answered_from_hcpcs_with_its_release(mixed: Container) -> None:
    answer = mixed.ask("standard wheelchair with fixed full length arms")
    assert answer.route == "lookup"
    assert (answer.codes[0], answer.code_sets[0]) == ("E1130", "hcpcs")
    assert answer.answer.startswith("Best match: **E1130** Standard wheelchair")
    assert "HCPCS Level II January 2026" in answer.answer
    assert answer.report == ["E1130"]


def test_a_drug_dose_gives_the_units_to_bill(mixed: Container) -> None:
    answer = mixed.ask("ceftriaxone 500 mg injection")
    assert answer.codes[0] == "J0696"
    assert "bill 2 units of J0696 for 500 mg" in answer.answer


def test_a_procedure_is_built_as_a_complete_pcs_code_explained_by_axis(mixed: Container) -> None:
    answer = mixed.ask("laparoscopic appendectomy")
    assert (answer.codes[0], answer.code_sets[0]) == ("0DTJ4ZZ", "icd10pcs")
    assert "| 5 | Approach | 4 | Percutaneous Endoscopic |" in answer.answer
    assert answer.guard["invalid"] == []


def test_a_diagnosis_still_comes_from_icd10cm(mixed: Container) -> None:
    answer = mixed.ask("type 2 diabetes with hyperglycemia")
    assert (answer.codes[0], answer.code_sets[0]) == ("E11.65", "icd10cm")


def test_naming_a_code_set_searches_only_it(mixed: Container) -> None:
    answer = mixed.ask("HCPCS code for blood glucose test strips")
    assert answer.code_sets and set(answer.code_sets) == {"hcpcs"}
    assert answer.codes[0] == "A4253"


def test_a_modifier_question_gets_the_modifier(mixed: Container) -> None:
    answer = mixed.ask("which modifier for the right side?")
    assert answer.codes[0] == "RT"
