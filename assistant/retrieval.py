"""Hybrid code retrieval: exact code match, BM25 and dense search, fused by reciprocal rank."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.codes import CODE_TOKEN, normalize_code
from assistant.lexical import LexicalIndex
from assistant.store import VectorStore
from assistant.tabular import Tabular

RRF_K = 60
# How much each ranking counts in the fusion; dense search carries paraphrase, BM25 exact words.
WEIGHTS = {"dense": 1.0, "lexical": 0.8, "index": 1.0}
# A header's relevance flows down to its billable codes, weakened per level.
INHERIT = 0.5


@dataclass
class CodeHit:
    """A code found for a query, with how it was found."""

    code: str
    description: str
    billable: bool
    score: float
    matched: str
    via: list[str] = field(default_factory=list)
    record_id: str = ""


class HybridRetriever(BaseRetriever):
    """LangChain retriever over ICD-10-CM codes; ``search_codes`` gives the typed hits."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: VectorStore
    lexical: LexicalIndex
    tabular: Tabular
    k: int = 5
    depth: int = 60

    # --- LangChain interface -------------------------------------------------------------
    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit_document(hit, self.tabular) for hit in self.search_codes(query)]

    # --- search --------------------------------------------------------------------------
    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]:
        """Best billable codes for a description or a code, most likely first."""
        k = k or self.k
        exact = self._exact(query)
        words = CODE_TOKEN.sub(" ", query).strip() if exact else query
        if exact and not _has_words(words):
            return exact[:k] if len(exact) >= k else exact
        rankings, matched = self._rankings(words)
        fused = _fuse(rankings)
        hits = self._to_billable(fused, matched)
        seen = {h.code for h in exact}
        return (exact + [h for h in hits if h.code not in seen])[:k]

    def _exact(self, query: str) -> list[CodeHit]:
        out: list[CodeHit] = []
        for token in CODE_TOKEN.findall(query):
            code = normalize_code(token.rstrip("-").rstrip("."))
            node = self.tabular.node(code) if code else None
            if node is None or node.kind in {"chapter", "block"}:
                continue
            if self.tabular.is_billable(node.code):
                codes = [node.code]
            else:
                codes = self.tabular.billable_under(node.code, limit=self.k)
            for rank, c in enumerate(codes):
                sub = self.tabular.node(c)
                assert sub is not None
                out.append(
                    CodeHit(
                        code=c,
                        description=sub.description,
                        billable=True,
                        score=round(1.0 - rank * 0.01, 4),
                        matched=token,
                        via=["exact" if c == node.code else "exact-prefix"],
                    )
                )
        return out

    def _rankings(self, text: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Per-method code rankings (best first) and the text that matched each code."""
        rankings: dict[str, list[str]] = {}
        matched: dict[str, str] = {}
        vector = self.store.embeddings.embed_query(text)
        dense: list[str] = []
        for doc, _score in self.store.search("codes", vector, self.depth):
            code = str(doc.metadata["code"])
            if code not in dense:
                dense.append(code)
                matched.setdefault(code, doc.page_content)
        rankings["dense"] = dense
        lexical: list[str] = []
        ids = [rid for rid, _ in self.lexical.search("codes", text, self.depth)]
        records = self.lexical.get(ids)
        for rid in ids:
            rec = records.get(rid)
            if rec is None:
                continue
            code = str(rec.metadata["code"])
            if code not in lexical:
                lexical.append(code)
                matched.setdefault(code, rec.text)
        rankings["lexical"] = lexical
        return rankings, matched

    def _to_billable(self, fused: dict[str, float], matched: dict[str, str]) -> list[CodeHit]:
        """Turn fused scores over all levels into a ranking of billable codes.

        A billable code scores its own fusion score plus a share of its ancestors'; a header
        that ranks well but none of whose codes were found brings in its billable codes.
        """
        scores: dict[str, float] = defaultdict(float)
        for code, score in fused.items():
            if self.tabular.is_billable(code):
                scores[code] += score
        for code, score in fused.items():
            if self.tabular.is_billable(code):
                continue
            below = self.tabular.billable_under(code, limit=40)
            found = [c for c in below if c in scores]
            targets = found or below[:1]
            for target in targets:
                scores[target] += INHERIT * score
        hits = []
        for code, score in sorted(scores.items(), key=lambda kv: -kv[1]):
            node = self.tabular.node(code)
            assert node is not None
            hits.append(
                CodeHit(
                    code=code,
                    description=node.description,
                    billable=True,
                    score=round(score * RRF_K / 2, 4),
                    matched=matched.get(code, node.description),
                    via=[],
                )
            )
        return hits


def _fuse(rankings: dict[str, list[str]]) -> dict[str, float]:
    fused: dict[str, float] = defaultdict(float)
    for method, codes in rankings.items():
        weight = WEIGHTS.get(method, 1.0)
        for rank, code in enumerate(codes):
            fused[code] += weight / (RRF_K + rank + 1)
    return dict(fused)


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def hit_document(hit: CodeHit, tab: Tabular) -> Document:
    """A code hit as a LangChain document carrying its citation metadata."""
    meta: dict[str, Any] = {
        "kind": "code",
        "code": hit.code,
        "billable": hit.billable,
        "score": hit.score,
        "matched": hit.matched,
        "source": f"{tab.label} Tabular List",
        "version": f"FY{tab.version}",
        "ref": hit.code,
    }
    return Document(page_content=f"{hit.code} {hit.description}", metadata=meta)
