"""Wiring: the one place that builds every collaborator from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings
from langchain_core.runnables import Runnable

from assistant.chain import Answer, Composer, build_chain
from assistant.lexical import LexicalIndex
from assistant.retrieval import HybridRetriever, PassageRetriever
from assistant.settings import Settings
from assistant.store import VectorStore, make_client
from assistant.tabular import Tabular, load_tabular
from assistant.terms import load_terms

CAREER_TERMS = "terms.toml"  # everyday words -> the career files' terms, in the knowledge folder


@dataclass
class Services:
    """Everything a command or the UI needs, built lazily so cheap commands stay cheap."""

    settings: Settings
    _embeddings: Embeddings | None = None
    _client: ClientAPI | None = None
    _tabular: Tabular | None = field(default=None, repr=False)

    @cached_property
    def tabular(self) -> Tabular:
        """The configured release, else an official tabular XML among the source files, else
        the FY2026 release bundled with simple-icd-10-cm."""
        if self._tabular is not None:
            return self._tabular
        return load_tabular(self.settings.tabular_xml or self._located_tabular())

    def _located_tabular(self) -> Path | None:
        from assistant.download import load_manifest, locate

        sources = [s for s in load_manifest() if s.kind == "tabular"]
        dirs = [d for d in (self.settings.source_dir, self.settings.downloads_path) if d]
        found = locate(sources, dirs)
        return next((p for p in found.values() if p is not None), None)

    @cached_property
    def embeddings(self) -> Embeddings:
        if self._embeddings is not None:
            return self._embeddings
        from assistant.embeddings import make_embeddings

        return make_embeddings(self.settings)

    @cached_property
    def store(self) -> VectorStore:
        client = self._client or make_client(self.settings)
        return VectorStore(client, self.embeddings, prefix=self.settings.collection)

    @cached_property
    def lexical(self) -> LexicalIndex:
        return LexicalIndex(self.settings.lexical_path)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(
            store=self.store,
            lexical=self.lexical,
            tabular=self.tabular,
            k=self.settings.top_k,
            bridges=load_terms(),
        )

    def passages(self, collection: str, k: int = 3) -> PassageRetriever:
        terms = self.settings.knowledge_dir / CAREER_TERMS
        bridges = load_terms(terms) if collection == "career" and terms.exists() else []
        return PassageRetriever(
            store=self.store, lexical=self.lexical, collection=collection, k=k, bridges=bridges
        )

    @cached_property
    def chain(self) -> Runnable[str, Answer]:
        composer = Composer(
            tabular=self.tabular,
            codes=self.retriever,
            guidelines=self.passages("guidelines"),
            career=self.passages("career"),
            lexical=self.lexical,
            k=self.settings.top_k,
        )
        return build_chain(composer, llm=None)

    def ask(self, question: str) -> Answer:
        return self.chain.invoke(question)

    def close(self) -> None:
        if "lexical" in self.__dict__:
            self.lexical.close()
