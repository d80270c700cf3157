"""ICD-10-CM code search: exact code match, BM25, dense and Index candidates, re-scored."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.codesets.icd10cm.records import code_id
from assistant.codesets.icd10cm.seventh import (
    complete,
    encounter_from_text,
    read_meaning,
    without_visit,
)
from assistant.codesets.icd10cm.syntax import CODE_TOKEN, compact, normalize_code
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.codeset import CodeHit
from assistant.search.hybrid import fill_similarity, gather, interleave
from assistant.search.lexical import LexicalIndex
from assistant.search.rerank import OTHER, rescore
from assistant.search.vectors import VectorStore
from assistant.text.bridges import Bridge, expand, substitute
from assistant.text.trails import natural

POOL = 50  # candidate codes re-scored per query
LEXICAL_WEIGHT = 0.1  # normalised BM25 of a code's own words (title, inclusion terms, parents)
HEADERS = 5  # top-ranked headers whose codes join the pool
INDEX_DEPTH = 20  # Alphabetic Index trails consulted per query
INDEX_TRUST = 0.95  # a trail's similarity counts slightly less than the code title's own
# "X in diseases classified elsewhere" asks for the manifestation code, the one that is coded
# after its underlying disease; it gains (and any other code loses) this much.
ELSEWHERE = re.compile(r"\bclassified elsewhere\b", re.I)
MANIFESTATION_WEIGHT = 0.04
# A question that names the encounter ("subsequent encounter", "first visit") speaks of a code
# that takes an encounter 7th character (injuries, poisonings, some fractures; I.C.19.a): a
# code that takes none loses this much.
ENCOUNTER_WEIGHT = 0.06


class HybridRetriever(BaseRetriever):
    """LangChain retriever over ICD-10-CM codes; ``search_codes`` gives the typed hits."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: VectorStore
    lexical: LexicalIndex
    tabular: Tabular
    k: int = 5
    depth: int = 60
    bridges: list[Bridge] = []
    use_index: bool = True
    _said: dict[str, list[str]] = PrivateAttr(default_factory=dict)  # code -> its wordings

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
        tokens = CODE_TOKEN.findall(query)
        words = CODE_TOKEN.sub(" ", query).strip() if tokens else query
        if tokens and not _has_words(words):
            return exact[:k]  # only codes were given: a code that does not exist finds nothing
        hits = self._search_words(words, k)
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
                        dense=1.0,
                    )
                )
        return out

    def _search_words(self, typed: str, k: int) -> list[CodeHit]:
        """Dense and BM25 candidates, re-scored, then completed to billable codes."""
        encounter = encounter_from_text(typed)
        # An Index trail ("Colitis, amebic") is read in the order of a description: the
        # embedding model reads natural phrases; the words, and so BM25, stay the same.
        text = natural(without_visit(typed) or typed)
        expanded = expand(text, self.bridges)
        vector = self.store.embeddings.embed_query(expanded)
        substituted = substitute(text, self.bridges)
        found = gather(
            self.store, self.lexical, "codes", vector, [expanded, substituted], self.depth
        )
        similarity, matched, via, bm25 = found.similarity, found.matched, found.via, found.bm25
        index_order = self._index_candidates(vector, similarity, matched, via)
        pool = self._pool(interleave(found.dense_order, index_order), found.lexical_order)
        fill_similarity(found, pool, self.store, "codes", vector, self.record_id)
        scored = []
        # A title is read against the words as typed, as bridged, and with the lay phrases
        # replaced by their ICD-10-CM wording, whichever fits it best.
        readings = {text, expanded, substituted}
        elsewhere = bool(ELSEWHERE.search(text))
        visit = bool(encounter and read_meaning(typed).stage)
        for code in pool:
            node = self.tabular.node(code)
            assert node is not None
            dense = similarity.get(code, 0.0)
            score = max(
                rescore(q, wording, dense, typed=text)
                for q in readings
                for wording in self._wordings(code)
            )
            score += LEXICAL_WEIGHT * bm25.get(code, 0.0)
            if elsewhere:
                score += MANIFESTATION_WEIGHT * (1 if self.tabular.is_manifestation(code) else -1)
            if visit and not self.tabular.needs_seventh(code):
                score -= ENCOUNTER_WEIGHT
            scored.append((score, code))
        scored.sort(key=lambda sc: -sc[0])
        hits: list[CodeHit] = []
        later: list[CodeHit] = []  # other encounters of codes below the first
        bases: set[str] = set()  # codes below the first already shown with one 7th character
        for rank, (score, code) in enumerate(scored):
            for full in complete(self.tabular, code, encounter):
                node = self.tabular.node(full)
                assert node is not None
                # Without an encounter in the question every 7th character is offered: all of
                # them for the best code, one in place for each other code so that the first
                # results name different conditions, and the rest after them.
                base = compact(full)[:6] if len(compact(full)) == 7 else ""
                deferred = rank > 0 and base in bases
                if rank > 0 and base:
                    bases.add(base)
                (later if deferred else hits).append(
                    CodeHit(
                        code=full,
                        description=node.description,
                        billable=True,
                        score=round(score, 4),
                        matched=matched.get(code, node.description),
                        via=sorted(via.get(code, {"header"})),
                        dense=round(similarity.get(code, 0.0), 4),
                    )
                )
            if len(hits) >= k:
                break
        return (hits + later)[:k]

    def _index_candidates(
        self,
        vector: list[float],
        similarity: dict[str, float],
        matched: dict[str, str],
        via: dict[str, set[str]],
    ) -> list[str]:
        """Codes that Alphabetic Index trails close to the query lead to (when ingested).

        The index speaks the coder's language ("Attack, heart") where titles do not, so a
        trail that matches well stands for the code it names.
        """
        if not self.use_index:
            return []
        order: list[str] = []
        for doc, score in self.store.search("index", vector, INDEX_DEPTH):
            if doc.metadata.get("index") not in {"index", "eindex"}:
                continue  # the tables are answered cell by cell, not as lookup keys
            node = self.tabular.node(str(doc.metadata.get("code") or ""))
            if node is None or node.kind in {"chapter", "block"}:
                continue
            leaves = [node.code] if not node.children else self.tabular.leaves_under(node.code, 3)
            for leaf in leaves:
                if score * INDEX_TRUST > similarity.get(leaf, 0.0):
                    similarity[leaf] = score * INDEX_TRUST
                    matched[leaf] = str(doc.metadata.get("citation", doc.page_content))
                via[leaf].add("index")
                if leaf not in order:
                    order.append(leaf)
        return order

    def _wordings(self, code: str) -> list[str]:
        """A code's official wordings: a code fits a question as well as the best of them."""
        if code not in self._said:
            self._said[code] = wordings(self.tabular, code)
        return self._said[code]

    def record_id(self, code: str) -> str:
        return code_id(self.tabular, code)

    def _pool(self, dense: list[str], lexical: list[str]) -> list[str]:
        """Candidate codes: billable (or 7th-character) leaves found by either method, and the
        leaves under headers that either method ranks near the top."""
        pool: list[str] = []

        def add(code: str) -> None:
            if code not in pool and len(pool) < POOL:
                pool.append(code)

        for code in interleave(dense, lexical):
            if self._leaf(code):
                add(code)
        for code in dense[:HEADERS] + lexical[:HEADERS]:
            if not self._leaf(code):
                for leaf in self.tabular.leaves_under(code, limit=10):
                    add(leaf)
        return pool

    def _leaf(self, code: str) -> bool:
        node = self.tabular.node(code)
        return node is not None and not node.children


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
        "source": tab.source_label,
        "version": f"FY{tab.version}",
        "ref": hit.code,
    }
    return Document(page_content=f"{hit.code} {hit.description}", metadata=meta)


def wordings(tab: Tabular, code: str) -> list[str]:
    """The title and inclusion terms of a code, and those its headers give it.

    Parenthesized words may be present or absent (nonessential modifiers, Official Guidelines
    I.A.7), in a title as in an inclusion term. A header's inclusion terms and includes notes
    name conditions its codes are for (I.A.10, I.A.11), and each code below it splits them
    further: "Pressure ulcer of tailbone" at L89.15 reads, for L89.159 "Pressure ulcer of
    sacral region, unspecified stage", as "Pressure ulcer of tailbone, unspecified stage" (the
    header's title replaced by the term within the code's title).
    An "other" code's inclusion terms list what falls into the residual category, so it is
    judged by its title alone (which says "other").
    """
    node = tab.node(code)
    if node is None:
        return []
    title = node.description
    said = list(dict.fromkeys([title, *_bare([title])]))
    if OTHER.search(title):
        return said
    said += _bare([*node.notes.get("inclusion_terms", []), *node.notes.get("includes", [])])
    for header in reversed(tab.ancestors(code)):
        if header.kind in {"chapter", "block"} or OTHER.search(header.description):
            continue
        if not title.lower().startswith(header.description.lower()):
            continue
        rest = title[len(header.description) :]
        inherited = [*header.notes.get("inclusion_terms", []), *header.notes.get("includes", [])]
        said += [f"{term}{rest}" for term in _bare(inherited)]
    return list(dict.fromkeys(said))


def _bare(terms: list[str]) -> list[str]:
    """Inclusion terms without their supplementary (parenthesized) words."""
    bare = (" ".join(_PARENS.sub(" ", t).split()) for t in terms)
    return [t for t in bare if t]


_PARENS = re.compile(r"\([^)]*\)")
