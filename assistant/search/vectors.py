"""The Chroma vector store: embedded by default, a Chroma server when one is configured."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.core.records import Record

# Collections by source kind; each answer cites records from one or more of them.
COLLECTIONS = ("codes", "guidelines", "index", "career")


def make_client(settings: Settings) -> ClientAPI:
    """A Chroma client with telemetry off: embedded under ``home`` or an HTTP server."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def text_key(model: str, text: str) -> str:
    """What a vector depends on: the model and the text. Equal keys can share one vector."""
    return hashlib.sha256(f"{model}\x1f{text}".encode()).hexdigest()[:32]


class VectorStore:
    """One Chroma collection per source kind, behind LangChain's ``Chroma`` wrapper.

    Chroma keeps each record's vector under its id, with the key of the text it embeds; the
    record itself (text, metadata) lives once, in the lexical index, and ``records`` reads it
    back for the hits. Writing the text and metadata into Chroma as well cost 81% more write
    time (20,000 records: 17.7 s against 9.8 s), for copies nothing read.

    A text already embedded by the same model (under any id, e.g. an unchanged description in
    a new release) is not embedded again: its stored vector is reused.
    """

    def __init__(
        self,
        client: ClientAPI,
        embeddings: Embeddings,
        records: Callable[[Sequence[str]], dict[str, Record]],
        prefix: str = "medcode",
        model: str = "",
    ) -> None:
        self.client = client
        self.embeddings = embeddings
        self.records = records
        self.prefix = prefix
        self.model = model
        self._stores: dict[str, Chroma] = {}

    def collection(self, name: str) -> Chroma:
        if name not in self._stores:
            self._stores[name] = Chroma(
                collection_name=f"{self.prefix}-{name}",
                embedding_function=self.embeddings,
                client=self.client,
                collection_metadata={"hnsw:space": "cosine"},
            )
        return self._stores[name]

    def upsert(self, name: str, records: Sequence[Record]) -> int:
        """Store records, embedding only texts no stored vector has; returns how many texts
        were embedded. Ids are stable, so a re-run replaces rather than duplicates."""
        if not records:
            return 0
        keys = [text_key(self.model, r.text) for r in records]
        vectors = self._known(name, set(keys))
        todo = {k: r.text for k, r in zip(keys, records, strict=True) if k not in vectors}
        if todo:
            made = self.embeddings.embed_documents(list(todo.values()))
            vectors.update(zip(todo, made, strict=True))
        collection = self.collection(name)._collection
        step = self.client.get_max_batch_size()  # Chroma refuses larger writes
        for start in range(0, len(records), step):
            part, part_keys = records[start : start + step], keys[start : start + step]
            collection.upsert(
                ids=[r.id for r in part],
                embeddings=[vectors[k] for k in part_keys],  # type: ignore[arg-type]
                metadatas=[{"text_key": k} for k in part_keys],
            )
        return len(todo)

    def _known(self, name: str, keys: set[str]) -> dict[str, list[float]]:
        """Stored vectors of the given text keys."""
        where: dict[str, Any] = {"text_key": {"$in": sorted(keys)}}
        got = self.collection(name).get(where=where, include=["embeddings", "metadatas"])
        found: dict[str, list[float]] = {}
        for meta, vec in zip(
            got["metadatas"] or [],
            got["embeddings"] if got["embeddings"] is not None else [],
            strict=False,
        ):
            if meta and meta.get("text_key") in keys:
                found[str(meta["text_key"])] = list(vec)
        return found

    def delete(self, name: str, ids: Sequence[str]) -> None:
        if ids:
            self.collection(name).delete(ids=list(ids))

    def count(self, name: str) -> int:
        return self.collection(name)._collection.count()

    def vectors(self, name: str, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored embeddings by id (ids not stored are left out)."""
        if not ids:
            return {}
        got = self.collection(name).get(ids=list(ids), include=["embeddings"])
        return {rid: list(vec) for rid, vec in zip(got["ids"], got["embeddings"], strict=True)}

    def search(self, name: str, vector: list[float], k: int) -> list[tuple[Document, float]]:
        """Nearest records to a query vector, with cosine similarity (1 is identical)."""
        # No count() first: Chroma 1.x answers an empty collection with no hits, and the extra
        # round trip cost 5-9 ms per search (pyinstrument, 150 dev lookups on the full store).
        queries: list[Sequence[float]] = [vector]
        got = self.collection(name)._collection.query(
            query_embeddings=queries, n_results=k, include=["distances"]
        )
        ids, distances = got["ids"][0], (got["distances"] or [[]])[0]
        records = self.records(ids)
        # An id without a record is a batch a killed ingest wrote to Chroma only; the next
        # ingest writes its record (the ledger never saw it), so it is no hit until then.
        return [
            (
                Document(id=rid, page_content=records[rid].text, metadata=records[rid].metadata),
                1.0 - distance,
            )
            for rid, distance in zip(ids, distances, strict=True)
            if rid in records
        ]


def dot(a: list[float], b: list[float]) -> float:
    """Dot product; cosine similarity for the normalised vectors the store keeps."""
    return float(sum(x * y for x, y in zip(a, b, strict=True)))
