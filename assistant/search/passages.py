"""Passage search (guidelines, career knowledge): BM25 and dense scores fused per passage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.core.records import Record, base_id
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore, dot
from assistant.text.bridges import Bridge, expand

LEXICAL_SHARE = 0.15  # weight of normalised BM25 next to cosine similarity for passages


@dataclass
class Passage:
    """A guideline, index or knowledge record found for a question."""

    record: Record
    score: float
    via: list[str] = field(default_factory=list)
    dense: float = 0.0  # cosine similarity of the passage to the question


class PassageRetriever(BaseRetriever):
    """Hybrid (BM25 + dense, rank-fused) search over one collection of passages."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: VectorStore
    lexical: LexicalIndex
    collection: str
    k: int = 3
    depth: int = 30
    bridges: list[Bridge] = []
    # A collection's own evidence for or against a passage: (question, title) -> score.
    adjust: Callable[[str, str], float] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(page_content=p.record.text, metadata={**p.record.metadata, "score": p.score})
            for p in self.search(query)
        ]

    def search(
        self, query: str, k: int | None = None, vector: list[float] | None = None
    ) -> list[Passage]:
        """Best passages, fused from both rankings; ``vector`` reuses a query embedding."""
        k = k or self.k
        if self.lexical.count(self.collection) == 0:
            return []
        # A bridged query (lay words followed by the knowledge files' own terms) is searched
        # instead of the typed one; it keeps every typed word.
        typed = query
        expanded = expand(query, self.bridges)
        if expanded != query:
            query, vector = expanded, None
        vector = vector or self.store.embeddings.embed_query(query)
        found = self.store.search(self.collection, vector, self.depth)
        similarity: dict[str, float] = {}
        dense: list[str] = []
        for doc, score in found:  # a heading-only vector stands for its passage
            rid = base_id(str(doc.id))
            similarity[rid] = max(similarity.get(rid, 0.0), score)
            if rid not in dense:
                dense.append(rid)
        lexical: dict[str, float] = {}
        for rid, bm25 in self.lexical.search(self.collection, query, self.depth):
            rid = base_id(rid)
            lexical[rid] = max(lexical.get(rid, 0.0), bm25)
        missing = [rid for rid in lexical if rid not in similarity]
        for rid, vec in self.store.vectors(self.collection, missing).items():
            similarity[rid] = dot(vec, vector)
        top = max(lexical.values(), default=1.0) or 1.0
        # Scores, not ranks, are fused: a passage far closer in meaning should not lose to one
        # that merely repeats a common query word.
        fused = {
            rid: similarity.get(rid, 0.0) + LEXICAL_SHARE * lexical.get(rid, 0.0) / top
            for rid in {*dense, *lexical}
        }
        if self.adjust is None:
            best = sorted(fused, key=lambda rid: -fused[rid])[:k]
            records = self.lexical.get(best)
        else:  # the collection's own evidence needs each candidate's title: one read of them
            records = self.lexical.get(sorted(fused, key=lambda rid: -fused[rid])[: self.depth])
            for rid, record in records.items():
                fused[rid] += self.adjust(typed, str(record.metadata.get("title", "")))
            best = sorted(records, key=lambda rid: -fused[rid])[:k]
        return [
            Passage(
                record=records[rid],
                score=round(fused[rid], 4),
                via=[m for m, ids in (("dense", dense), ("lexical", lexical)) if rid in ids],
                dense=similarity.get(rid, 0.0),
            )
            for rid in best
            if rid in records
        ]
