"""Code candidates from both kinds of search: dense (cosine) and lexical (BM25), per code.

Every code-set search starts here: the codes whose vectors are nearest the query and those
whose words BM25 ranks best, each code with its best cosine similarity and its BM25 score
relative to the best of its own search. A code found by BM25 alone gets its similarity from
its stored vector, so the two lists can be re-scored on one scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import zip_longest

from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore, dot

DEPTH = 60  # candidates taken from each search (the re-scoring pool is cut from these)


@dataclass
class Candidates:
    """What both searches found, by code."""

    dense_order: list[str] = field(default_factory=list)
    lexical_order: list[str] = field(default_factory=list)
    similarity: dict[str, float] = field(default_factory=dict)  # best cosine per code
    bm25: dict[str, float] = field(default_factory=dict)  # BM25 / the search's best, 0..1
    matched: dict[str, str] = field(default_factory=dict)  # the text that matched
    via: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def interleaved(self) -> list[str]:
        """Dense and lexical rankings taken in turn, without repeats."""
        return interleave(self.dense_order, self.lexical_order)


def gather(
    store: VectorStore,
    lexical: LexicalIndex,
    collection: str,
    vector: list[float],
    wordings: Iterable[str],
    depth: int = DEPTH,
) -> Candidates:
    """Dense candidates for ``vector`` and BM25 candidates for each wording of the query."""
    found = Candidates()
    for doc, score in store.search(collection, vector, depth):
        code = str(doc.metadata["code"])
        if code not in found.similarity:
            found.dense_order.append(code)
            found.matched[code] = doc.page_content
        found.similarity[code] = max(found.similarity.get(code, 0.0), score)
        found.via[code].add("dense")
    for wording in dict.fromkeys(wordings):
        hits = lexical.search(collection, wording, depth)
        records = lexical.get([rid for rid, _ in hits])
        top = max((rank for _, rank in hits), default=1.0) or 1.0
        for rid, rank in hits:
            rec = records.get(rid)
            if rec is None:
                continue
            code = str(rec.metadata["code"])
            if code not in found.lexical_order:
                found.lexical_order.append(code)
                found.matched.setdefault(code, rec.text)
            found.bm25[code] = max(found.bm25.get(code, 0.0), rank / top)
            found.via[code].add("lexical")
    return found


def fill_similarity(
    found: Candidates,
    codes: Iterable[str],
    store: VectorStore,
    collection: str,
    vector: list[float],
    record_id: Callable[[str], str],
) -> None:
    """Give every code of ``codes`` that dense search did not reach its stored similarity."""
    missing = {record_id(c): c for c in codes if c not in found.similarity}
    for rid, vec in store.vectors(collection, list(missing)).items():
        found.similarity[missing[rid]] = dot(vec, vector)


def interleave(a: list[str], b: list[str]) -> list[str]:
    """``a`` and ``b`` taken in turn, without repeats."""
    out: dict[str, None] = {}
    for pair in zip_longest(a, b):
        for code in pair:
            if code is not None:
                out.setdefault(code, None)
    return list(out)
