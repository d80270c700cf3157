"""The lexical index and record ledger (assistant.search.lexical): SQLite FTS5 with BM25."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.records import Record
from assistant.search.lexical import LexicalIndex, query_terms


def code(code: str, text: str, keywords: str = "") -> Record:
    return Record(
        id=f"icd10cm:2026:{code}",
        text=text,
        metadata={"kind": "code", "code": code, "billable": True},
        keywords=keywords,
    )


HYPER = code("E11.65", "Type 2 diabetes mellitus with hyperglycemia", keywords="E11.65")
PLAIN = code("E11.9", "Type 2 diabetes mellitus without complications")
NOSE = code("S02.2", "Fracture of nasal bones", keywords="Injuries to the head")
CAREER = Record(
    id="career:guide:exams",
    text="Certification exams: the CPC exam covers diabetes coding too",
    metadata={"kind": "career", "ref": "Exams"},
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LexicalIndex]:
    idx = LexicalIndex(tmp_path / "sub" / "lexical.sqlite3")
    idx.put("codes", "icd10cm", [HYPER, PLAIN, NOSE])
    idx.put("career", "career", [CAREER])
    yield idx
    idx.close()


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [rid for rid, _score in hits]


def test_record_with_more_query_words_ranks_first(index: LexicalIndex) -> None:
    hits = index.search("codes", "type 2 diabetes with hyperglycemia", 10)
    assert ids(hits) == [HYPER.id, PLAIN.id]
    assert hits[0][1] > hits[1][1] > 0  # higher is better


def test_any_query_word_may_match_and_words_are_stemmed(index: LexicalIndex) -> None:
    assert ids(index.search("codes", "fractures of the nose bones", 10)) == [NOSE.id]


def test_keywords_are_searchable_but_not_part_of_the_text(index: LexicalIndex) -> None:
    assert ids(index.search("codes", "head injuries", 10)) == [NOSE.id]
    assert index.get([NOSE.id])[NOSE.id].text == "Fracture of nasal bones"


def test_search_stays_within_its_collection(index: LexicalIndex) -> None:
    assert CAREER.id not in ids(index.search("codes", "diabetes", 10))
    assert ids(index.search("career", "diabetes", 10)) == [CAREER.id]


def test_k_limits_the_results(index: LexicalIndex) -> None:
    assert len(index.search("codes", "diabetes mellitus", 1)) == 1


@pytest.mark.parametrize("query", ["what is the code for", "", "   ", "?!", "how do I"])
def test_stop_words_alone_return_nothing(index: LexicalIndex, query: str) -> None:
    assert query_terms(query) == []
    assert index.search("codes", query, 10) == []


def test_fts_syntax_in_a_query_is_taken_as_words(index: LexicalIndex) -> None:
    hits = index.search("codes", 'nasal" OR (bones*) NOT: -fracture^', 10)
    assert ids(hits) == [NOSE.id]


def test_query_terms_keep_order_and_drop_repeats() -> None:
    assert query_terms("Diabetes, type 2 DIABETES with coma") == ["diabetes", "type", "2", "coma"]


def test_hashes_get_count_and_where(index: LexicalIndex) -> None:
    assert index.hashes("icd10cm") == {r.id: r.content_hash for r in (HYPER, PLAIN, NOSE)}
    assert index.hashes("nothing") == {}
    got = index.get([HYPER.id, "missing"])
    assert list(got) == [HYPER.id]
    assert got[HYPER.id].metadata == HYPER.metadata
    assert index.count() == 4
    assert index.count("codes") == 3
    assert [r.id for r in index.where("codes", code="S02.2")] == [NOSE.id]
    assert index.where("career", kind="code") == []


def test_re_putting_a_record_replaces_its_text(index: LexicalIndex) -> None:
    moved = code("S02.2", "Fracture of mandible")
    index.put("codes", "icd10cm", [moved])
    assert index.search("codes", "nasal", 10) == []
    assert ids(index.search("codes", "mandible", 10)) == [moved.id]
    assert index.count("codes") == 3
    assert index.hashes("icd10cm")[moved.id] == moved.content_hash != NOSE.content_hash
    assert index.get([moved.id])[moved.id].text == "Fracture of mandible"


def test_removed_records_are_gone_from_search_and_ledger(index: LexicalIndex) -> None:
    index.remove([HYPER.id, "never-stored"])
    assert ids(index.search("codes", "hyperglycemia diabetes", 10)) == [PLAIN.id]
    assert HYPER.id not in index.hashes("icd10cm")
    assert index.count("codes") == 2


def test_ledger_survives_reopening_the_file(tmp_path: Path, index: LexicalIndex) -> None:
    index.close()
    again = LexicalIndex(tmp_path / "sub" / "lexical.sqlite3")
    try:
        assert again.count() == 4
        assert ids(again.search("codes", "nasal", 10)) == [NOSE.id]
    finally:
        again.close()


def test_a_store_from_before_the_collection_was_indexed_is_rebuilt_on_open(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE records (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
        "collection TEXT NOT NULL, grp TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL, "
        "metadata TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE fts USING fts5(collection UNINDEXED, body, "
        "tokenize = 'porter unicode61 remove_diacritics 2');"
        "INSERT INTO records VALUES (7, 'icd10cm:2026:S02.2', 'codes', 'icd10cm', 'h', "
        "'Fracture of nasal bones', '{}');"
        "INSERT INTO fts (rowid, collection, body) VALUES (7, 'codes', 'Fracture of nasal bones');"
        "INSERT INTO records VALUES (8, 'career:x', 'career', 'career', 'h', 'nasal', '{}');"
        "INSERT INTO fts (rowid, collection, body) VALUES (8, 'career', 'nasal');"
    )
    old.commit()
    old.close()
    idx = LexicalIndex(path)
    try:
        assert [rid for rid, _ in idx.search("codes", "nasal fracture", 5)] == [
            "icd10cm:2026:S02.2"
        ]
        assert [rid for rid, _ in idx.search("career", "nasal", 5)] == ["career:x"]
        sql = idx.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()[0]
        assert "UNINDEXED" not in sql
    finally:
        idx.close()
    again = LexicalIndex(path)  # a second open finds nothing to do and keeps the rows
    assert again.search("codes", "nasal", 5)[0][0] == "icd10cm:2026:S02.2"
    again.close()


def test_a_collection_name_in_another_collections_text_does_not_leak(index: LexicalIndex) -> None:
    index.put(
        "career", "career", [Record(id="career:codes", text="codes career exam", metadata={})]
    )
    assert {rid for rid, _ in index.search("codes", "codes career exam", 10)} <= {
        HYPER.id,
        PLAIN.id,
        NOSE.id,
    }
    assert "career:codes" in [rid for rid, _ in index.search("career", "career exam", 10)]


def test_a_body_part_adjective_finds_the_noun(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lexical.sqlite3")
    organ = code("C25.9", "Malignant neoplasm of pancreas, unspecified")
    duct = code("C25.3", "Malignant neoplasm of pancreatic duct")
    idx.put("codes", "icd10cm", [organ, duct])
    try:
        assert set(ids(idx.search("codes", "pancreatic", 10))) == {organ.id, duct.id}
        assert ids(idx.search("codes", "pancreas", 10)) == [organ.id]  # nouns stay nouns
    finally:
        idx.close()
