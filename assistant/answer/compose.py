"""Composing grounded answers: route a question, then let the composer for its intent write it.

Without an LLM (the default) every sentence comes from the records themselves. The composers
per intent live beside this module: ``lookup`` (which code fits), ``codes`` (one code's details,
pairs of codes), ``passages`` (guidelines, career), ``tables`` (Drug and Neoplasm tables).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import codes, followup, lookup, parts, passages, router, tables, unreadable
from assistant.codesets import CodeSets
from assistant.core import gate
from assistant.core.answer import Answer
from assistant.core.codeset import CodeSearch
from assistant.search.lexical import LexicalIndex
from assistant.search.passages import PassageRetriever
from assistant.search.vectors import VectorStore

# How far a question's wording moves it toward one kind of answer (in cosine similarity).
ROUTE_NUDGE = 0.1
Handler = Callable[["Composer", str, router.Route], Answer]
HANDLERS: dict[str, Handler] = {
    router.DETAIL: codes.detail,
    router.CHECK: codes.check,
    router.GUIDELINE: passages.guideline,
    router.CAREER: passages.career,
    router.CPT: lookup.cpt,
    router.HCPCS: lookup.other_code_set,
    router.PCS: lookup.other_code_set,
}


@dataclass
class Composer:
    """Writes grounded answers from the code sets and the passage collections."""

    codesets: CodeSets
    searches: dict[str, CodeSearch]  # code set name -> its search
    guidelines: PassageRetriever
    career: PassageRetriever
    store: VectorStore
    lexical: LexicalIndex | None = None  # for the Drug and Neoplasm tables, when ingested
    k: int = 5
    handlers: dict[str, Handler] = field(default_factory=lambda: dict(HANDLERS))

    def answer(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        """The answer to one turn, read against the earlier turns of ``history``."""
        question, history = gate.clean(question), gate.history(history)
        if (early := unreadable.answer(question)) is not None:
            return early
        codes, _rest = router.code_tokens(question, self.codesets)
        reading = followup.read(question, history, has_codes=bool(codes))
        result = self._answer(reading.question)
        if reading.refined:
            result.answer = f"{reading.read_as}\n\n{result.answer}"
            result.extra["read_as"] = reading.question
        parts.attach(result, self.codesets)
        return result

    @property
    def guidelines_loaded(self) -> bool:
        """Whether the Official Guidelines were ingested (a rule question needs them)."""
        return self.guidelines.lexical.count(self.guidelines.collection) > 0

    def _answer(self, question: str) -> Answer:
        decision = router.route(question, self.codesets)
        # A rule question that shares a word with a table row ("solely" and "sole (foot)") is
        # still a rule question: the tables answer lookups only.
        if decision.kind == router.LOOKUP or (
            decision.kind == router.OPEN and not decision.guideline_cue
        ):
            found = tables.answer(self, question)
            if found is not None:
                return found
        if decision.kind == router.OPEN and decision.guideline_cue and not self.guidelines_loaded:
            # A rule question without the guidelines gets the notice, not the nearest code.
            decision.kind = router.GUIDELINE
        if decision.kind == router.OPEN:
            decision.kind = self._choose(question, decision)
        handler = self.handlers.get(decision.kind, lookup.lookup)
        result = handler(self, question, decision)
        result.route = result.route or decision.kind
        return result

    def _choose(self, question: str, decision: router.Route) -> str:
        """Route an open question to the collection whose best match is closest, nudged by
        its words: questions lean to guidelines and career, bare descriptions to codes."""
        vector = self.store.embeddings.embed_query(question)
        # Kept on the route so the chosen handler quotes these passages without searching again.
        decision.passages = {
            router.GUIDELINE: self.guidelines.search(question, 3, vector),
            router.CAREER: self.career.search(question, 3, vector),
        }
        best = {
            # The closest code record of any code set: a supply or a procedure is a lookup too.
            router.LOOKUP: max(
                (s for cs in self.codesets for _, s in self.store.search(cs.collection, vector, 3)),
                default=0.0,
            ),
            **{
                kind: max((p.dense for p in found), default=0.0)
                for kind, found in decision.passages.items()
            },
        }
        best[router.LOOKUP] += -ROUTE_NUDGE if decision.question_like else ROUTE_NUDGE
        best[router.GUIDELINE] += ROUTE_NUDGE * decision.guideline_cue
        best[router.CAREER] += ROUTE_NUDGE * (decision.career_cue or bool(decision.mentions))
        decision.scores = {k: round(v, 3) for k, v in best.items()}
        return max(best, key=lambda k: best[k])
