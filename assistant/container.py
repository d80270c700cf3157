"""Wiring: the only place that picks backends and builds every collaborator from the settings.

Everything is built on first use, so a one-off command builds only what it needs: ``medcode
code E11.65`` loads the parsed code sets from the cache and never the embedding model or
Chroma. A constructor argument replaces what would be built (tests pass fakes this way).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from assistant.codesets import CodeSets, LoadContext, load_code_sets
from assistant.config import Settings
from assistant.sources.cache import ParsedCache
from assistant.sources.manifest import Source, load_manifest, locate

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from assistant.answer.chain import AnswerChain
    from assistant.answer.compose import Composer
    from assistant.core.answer import Answer
    from assistant.core.codeset import CodeSearch
    from assistant.search.backends import SearchBackends
    from assistant.search.lexical import LexicalIndex
    from assistant.search.passages import PassageRetriever
    from assistant.search.vectors import VectorStore

GUIDELINE_TERMS = "terms.toml"  # case words -> the Guidelines' wording, in knowledge/guidelines
CAREER_TERMS = "terms.toml"  # everyday words -> the career files' terms, in the career folder
SOURCES_RECORD = "sources.json"  # in MEDCODE_HOME: the official files the last ingest read


def remembered_files(settings: Settings) -> dict[str, Path]:
    """The files the last ingest read, by manifest kind ({} before the first ingest)."""
    try:
        data = json.loads((settings.home / SOURCES_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): Path(v) for k, v in data.items()} if isinstance(data, dict) else {}


PASSAGES_SHOWN = 3
# Asked once by ``warm``: a description (embedding, code search, re-ranking) and an open rule
# question (routing across collections, passage search): between them every path of a first
# answer has run once. Written for warming; never logged.
WARM_PROBES = ("fever", "when is a code sequenced first?")
T = TypeVar("T")


class built(Generic[T]):  # noqa: N801 - used like functools.cached_property
    """A ``cached_property`` whose first build holds the container's lock: concurrent first
    requests build a collaborator once (``functools.cached_property`` has no lock of its own
    from Python 3.12), and later reads take no lock at all."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, container: Any, owner: type | None = None) -> T:
        if container is None:
            return self  # type: ignore[return-value]
        cache = container.__dict__
        if self.name not in cache:
            with container._lock:
                if self.name not in cache:
                    cache[self.name] = self.build(container)
        return cache[self.name]  # type: ignore[no-any-return]


class Container:
    """Every collaborator a command, the page or the API needs, built once, on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: Embeddings | None = None,
        chroma: ClientAPI | None = None,
        codesets: CodeSets | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.chroma_client = chroma
        self._lock = threading.RLock()  # two first requests must not build a thing twice
        # A given collaborator takes the place of the one the settings would build.
        for name, given in (("embeddings", embeddings), ("codesets", codesets), ("llm", llm)):
            if given is not None:
                self.__dict__[name] = given

    # --- sources and code sets (cheap: no model, no Chroma) -------------------------------
    @built
    def manifest(self) -> list[Source]:
        return load_manifest()

    @built
    def files(self) -> dict[str, Path]:
        """The official files found, by manifest kind (the first found for each kind): in the
        configured folders, else where the last ingest found them (``--source-dir`` is given
        to ``ingest`` only, and every later command must read the same files)."""
        found = locate(self.manifest, self.settings.source_dirs)
        out: dict[str, Path] = {}
        for source in self.manifest:
            path = found.get(source.id)
            if path is not None:
                out.setdefault(source.kind, path)
        for kind, path in remembered_files(self.settings).items():
            if kind not in out and path.is_file():
                out[kind] = path
        return out

    def remember_files(self) -> None:
        """Record the files this ingest read, for the commands after it."""
        record = {kind: str(path.resolve()) for kind, path in self.files.items()}
        target = self.settings.home / SOURCES_RECORD
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")

    @built
    def cache(self) -> ParsedCache:
        return ParsedCache(self.settings.cache_path)

    @built
    def codesets(self) -> CodeSets:
        return load_code_sets(LoadContext(self.settings, self.cache, self.files))

    # --- backends that touch the outside ---------------------------------------------------
    @built
    def embeddings(self) -> Embeddings:
        from assistant.search.embeddings import make_embeddings

        return make_embeddings(self.settings)

    @built
    def store(self) -> VectorStore:
        from assistant.search.vectors import VectorStore, make_client

        client = self.chroma_client or make_client(self.settings)
        return VectorStore(
            client,
            self.embeddings,
            self.lexical.get,
            prefix=self.settings.collection,
            model=self.settings.embedding_model,
        )

    @built
    def lexical(self) -> LexicalIndex:
        from assistant.search.lexical import LexicalIndex

        return LexicalIndex(self.settings.lexical_path)

    @built
    def llm(self) -> BaseChatModel | None:
        from assistant.llm import make_chat_model

        return make_chat_model(self.settings)

    # --- search and answers ----------------------------------------------------------------
    @built
    def backends(self) -> SearchBackends:
        from assistant.search.backends import SearchBackends
        from assistant.text.bridges import load_terms

        return SearchBackends(self.store, self.lexical, self.settings.top_k, load_terms())

    @built
    def searches(self) -> dict[str, CodeSearch]:
        """Each code set's search, by code set name."""
        return {cs.name: cs.searcher(self.backends) for cs in self.codesets}

    def search(self, name: str | None = None) -> CodeSearch:
        """The search of one code set (default: the first, ICD-10-CM)."""
        return self.searches[name or self.codesets[0].name]

    def passages(self, collection: str, k: int = PASSAGES_SHOWN) -> PassageRetriever:
        from assistant.search.passages import PassageRetriever
        from assistant.search.sections import unstated_circumstance
        from assistant.sources.packaged import knowledge_file
        from assistant.text.bridges import load_terms

        if collection == "career":
            terms = self.settings.knowledge_dir / CAREER_TERMS
            bridges = load_terms(terms) if terms.exists() else []
            adjust = None
        else:  # the Guidelines: coders' words about a case -> the Guidelines' own wording
            bridges = load_terms(knowledge_file("guidelines", GUIDELINE_TERMS))
            adjust = unstated_circumstance
        return PassageRetriever(
            store=self.store,
            lexical=self.lexical,
            collection=collection,
            k=k,
            bridges=bridges,
            adjust=adjust,
        )

    @built
    def composer(self) -> Composer:
        from assistant.answer.compose import Composer

        return Composer(
            codesets=self.codesets,
            searches=self.searches,
            guidelines=self.passages("guidelines"),
            career=self.passages("career"),
            store=self.store,
            lexical=self.lexical,
            k=self.settings.top_k,
        )

    @built
    def chain(self) -> AnswerChain:
        from assistant.answer.chain import build_chain
        from assistant.llm import is_remote

        where = (
            (self.settings.llm_base_url or self.settings.llm) if is_remote(self.settings) else ""
        )
        return build_chain(
            self.composer,
            llm=self.llm,
            remote=where,
            max_chars=self.settings.max_question_chars,
        )

    def ask(self, question: str, history: list[dict[str, Any]] | None = None) -> Answer:
        """The answer to one chat turn (``history``: the earlier ``{"role", "content"}`` turns)."""
        return self.chain.invoke({"question": question, "history": history or []})

    def stream(
        self, question: str, history: list[dict[str, Any]] | None = None
    ) -> Iterator[Answer]:
        """The answer as it grows (LLM tokens); the last one is complete and guarded."""
        return self.chain.stream({"question": question, "history": history or []})

    def close(self) -> None:
        if "lexical" in self.__dict__:
            self.lexical.close()

    # --- what is loaded, and loading it before the first request ---------------------------
    def status(self) -> dict[str, Any]:
        """What answers can draw on: code sets and releases, whether the guidelines, the
        Alphabetic Index and the Drug/Neoplasm tables are ingested, and the LLM backend
        (``none``, ``local`` or ``remote``). Shown on the page's status line."""
        from assistant.llm import is_remote

        lexical = self.lexical
        kinds = set(self.files)
        index = lexical.count("index") > 0
        return {
            "code_sets": [
                {"name": cs.name, "title": cs.title, "release": cs.release, "label": cs.label}
                for cs in self.codesets
            ],
            "guidelines": lexical.count("guidelines") > 0,
            "index": index and bool(kinds & {"index", "eindex"}),
            "tables": index and bool(kinds & {"drug", "neoplasm"}),
            "llm": (
                "none"
                if self.settings.llm == "none"
                else "remote"
                if is_remote(self.settings)
                else "local"
            ),
        }

    def warm(self) -> None:
        """Build everything a first question would (parsed code sets, the embedding model,
        Chroma, the lexical index, the chain) and answer two probe questions, so the first
        real answer is as fast as the rest."""
        self.chain  # noqa: B018 - builds the code sets, store, lexical index and composer
        for probe in WARM_PROBES:
            self.ask(probe)
