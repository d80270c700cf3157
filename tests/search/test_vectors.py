"""The vector store keeps vectors and text keys; the hits' records come from the lexical index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.records import Record
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore
from tests.fakes import FakeEmbeddings, ephemeral_client


def code(code: str, text: str) -> Record:
    return Record(id=f"icd10cm:2026:{code}", text=text, metadata={"kind": "code", "code": code})


NOSE = code("S02.2", "Fracture of nasal bones")
WRIST = code("S62.10", "Fracture of carpal bone")


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[VectorStore, LexicalIndex]]:
    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    store = VectorStore(ephemeral_client(), FakeEmbeddings(), lexical.get, prefix="t-vectors")
    yield store, lexical
    lexical.close()


def test_hits_carry_the_records_text_and_metadata_that_chroma_does_not_keep(parts) -> None:
    store, lexical = parts
    assert store.upsert("codes", [NOSE, WRIST]) == 2
    lexical.put("codes", "icd10cm", [NOSE, WRIST])
    stored = store.collection("codes")._collection.get(include=["documents", "metadatas"])
    assert stored["documents"] == [None, None]
    assert all(set(meta) == {"text_key"} for meta in stored["metadatas"])

    hits = store.search("codes", store.embeddings.embed_query("nasal bones fracture"), 2)
    assert [doc.id for doc, _ in hits] == [NOSE.id, WRIST.id]
    assert hits[0][0].page_content == NOSE.text
    assert hits[0][0].metadata == NOSE.metadata
    assert hits[0][1] > hits[1][1]  # cosine similarity, higher is closer


def test_a_vector_whose_record_never_reached_the_ledger_is_no_hit(parts) -> None:
    store, lexical = parts
    store.upsert("codes", [NOSE, WRIST])
    lexical.put("codes", "icd10cm", [WRIST])  # killed before NOSE's batch was recorded
    hits = store.search("codes", store.embeddings.embed_query("nasal bones fracture"), 5)
    assert [doc.id for doc, _ in hits] == [WRIST.id]


def test_an_unchanged_text_under_a_new_id_reuses_its_vector(parts) -> None:
    store, _ = parts
    store.upsert("codes", [NOSE])
    moved = Record(id="icd10cm:2027:S02.2", text=NOSE.text, metadata=NOSE.metadata)
    assert store.upsert("codes", [moved]) == 0
