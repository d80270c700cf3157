"""Search over a code set whose codes have one title each (HCPCS Level II, a CPT file).

Dense and BM25 candidates are re-scored like ICD-10-CM titles (word overlap, negation,
qualifiers, a BM25 share); a code set adds what its own coders check first by overriding
``adjust`` and ``detail``.
"""

from __future__ import annotations

from typing import Any

from assistant.core.codeset import CodeHit, CodeSet
from assistant.core.records import record_id
from assistant.search.backends import SearchBackends
from assistant.search.hybrid import fill_similarity, gather
from assistant.search.rerank import Weights, rescore

POOL = 50  # candidates re-scored per query (as for ICD-10-CM)
LEXICAL_WEIGHT = 0.1  # normalised BM25 next to cosine similarity (as for ICD-10-CM)


class FlatCodeSearch:
    """Hybrid search over ``codeset.collection``, whose records carry ``metadata["code"]``."""

    def __init__(self, codeset: CodeSet, backends: SearchBackends, version: str) -> None:
        self.codeset = codeset
        self.store = backends.store
        self.lexical = backends.lexical
        self.k = backends.k
        self.version = version  # the middle part of the code records' ids

    # --- what a code set adds ----------------------------------------------------------------
    def reading(self, words: str) -> str:
        """The query as searched (a code set may add the wording its titles use)."""
        return words

    def wordings(self, text: str) -> list[str]:
        """The wordings BM25 searches."""
        return [text]

    def weights(self, text: str) -> Weights:
        """The re-scoring weights for one question (a code set may judge a feature itself)."""
        return Weights()

    def adjust(self, text: str, code: str, title: str) -> float:
        """A code set's own evidence for or against one candidate."""
        return 0.0

    def detail(self, text: str, code: str) -> dict[str, Any]:
        """What a hit carries beyond code and title (units to bill, modifiers, ...)."""
        return {}

    # --- search --------------------------------------------------------------------------------
    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]:
        k = k or self.k
        exact = []
        for m in self.codeset.mentions(query):
            if m.code and (info := self.codeset.info(m.code)) is not None:
                exact.append(
                    self.hit(info.code, info.description, 1.0, ["exact"], m.text, 1.0, query)
                )
        words = query
        for m in sorted(self.codeset.mentions(query), key=lambda m: -m.start):
            words = words[: m.start] + " " + words[m.end :]
        if not any(ch.isalpha() for ch in words):
            return exact[:k]
        seen = {h.code for h in exact}
        return (
            exact + [h for h in self.search_words(" ".join(words.split()), k) if h.code not in seen]
        )[:k]

    def search_words(self, words: str, k: int) -> list[CodeHit]:
        text = self.reading(words)
        collection = self.codeset.collection
        vector = self.store.embeddings.embed_query(text)
        found = gather(self.store, self.lexical, collection, vector, self.wordings(text))
        pool = found.interleaved()[:POOL]
        fill_similarity(found, pool, self.store, collection, vector, self.record_id)
        scored = []
        weights = self.weights(text)
        for code in pool:
            info = self.codeset.info(code)
            if info is None:
                continue
            dense = found.similarity.get(code, 0.0)
            score = rescore(text, info.description, dense, weights, typed=words)
            score += LEXICAL_WEIGHT * found.bm25.get(code, 0.0) + self.adjust(
                text, code, info.description
            )
            scored.append((score, info.code, info.description, dense))
        scored.sort(key=lambda row: -row[0])
        return [
            self.hit(
                code,
                title,
                score,
                sorted(found.via.get(code, set())),
                found.matched.get(code, ""),
                dense,
                text,
            )
            for score, code, title, dense in scored[:k]
        ]

    def record_id(self, code: str) -> str:
        return record_id(self.codeset.name, self.version, code)

    def hit(
        self,
        code: str,
        title: str,
        score: float,
        via: list[str],
        matched: str,
        dense: float,
        text: str,
    ) -> CodeHit:
        info = self.codeset.info(code)
        return CodeHit(
            code=code,
            description=title,
            billable=bool(info and info.billable),
            score=round(score, 4),
            matched=matched,
            via=via,
            dense=round(dense, 4),
            code_set=self.codeset.name,
            detail=self.detail(text, code),
        )
