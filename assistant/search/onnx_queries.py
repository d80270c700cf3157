"""Queries through an ONNX export of the embedding model, so a one-off command needs no torch.

``import sentence_transformers`` alone takes about 6.5 s on this 2-core machine (transformers,
torch, scikit-learn); ``fastembed`` with onnxruntime loads in about 0.5 s and gives the same
vectors (cosine >= 0.99999 to sentence-transformers' on the probe texts below). The ingest,
which loads torch anyway to embed the records, exports the model into ``MEDCODE_HOME``; later
processes embed their questions through the export. A missing, stale or unreadable export is
never used: queries then go through sentence-transformers as before.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

# What the export folder must hold next to model.onnx for fastembed's tokenizer.
TOKENIZER_FILES = ("tokenizer.json", "special_tokens_map.json", "config.json", "vocab.txt")
FINGERPRINT_FILE = "medcode-export.json"
ONNX_FILE = "model.onnx"
# The sentence-transformers modules an export reproduces: transformer, pooling, normalising.
EXPORTABLE = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}
# Texts compared both ways after an export; short and long, one past the 256-token limit.
PROBES = (
    "type 2 diabetes mellitus with diabetic chronic kidney disease",
    "fracture of lower end of right radius, initial encounter for closed fracture",
    "wheelchair",
    "Sequencing of sepsis and a localized infection when both are present on admission. " * 30,
)
# Least cosine between the export's vector and sentence-transformers' for any probe. Measured
# 0.99999994 for all-MiniLM-L6-v2 (fp32 both ways); a lossy export (int8) gave 0.94.
AGREEMENT = 0.9999


class ExportError(RuntimeError):
    """The model cannot be exported, or its export does not reproduce its vectors."""


@dataclass(frozen=True)
class ModelShape:
    """What an export needs to know of a sentence-transformers model folder."""

    folder: Path
    pooling: str  # "mean" or "cls"
    max_tokens: int
    dim: int

    def fingerprint(self) -> dict[str, Any]:
        """Name, size and modification time of every file: changes when the model does."""
        files = sorted(p for p in self.folder.rglob("*") if p.is_file())
        return {
            "folder": str(self.folder.resolve()),
            "files": [
                [str(p.relative_to(self.folder)), p.stat().st_size, p.stat().st_mtime_ns]
                for p in files
            ],
            "pooling": self.pooling,
            "max_tokens": self.max_tokens,
            "dim": self.dim,
        }


def model_shape(folder: Path) -> ModelShape | None:
    """The shape of a local sentence-transformers model an export can reproduce, else None."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        if {m["type"] for m in modules} - EXPORTABLE:
            return None
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_dir / "config.json").read_text(encoding="utf-8"))
        bert = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    kinds = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
    if len(modes) != 1 or modes[0] not in kinds:
        return None
    return ModelShape(
        folder=folder,
        pooling=kinds[modes[0]],
        max_tokens=int(bert.get("max_seq_length", 256)),
        dim=int(pooling["word_embedding_dimension"]),
    )


def export(
    shape: ModelShape, target: Path, reference: Callable[[list[str]], list[list[float]]]
) -> None:
    """Write an ONNX export of the model to ``target`` and check it against ``reference``
    (the sentence-transformers embedder). Written beside ``target`` and moved into place, so
    a killed ingest leaves either the old export or none."""
    import torch
    from transformers import AutoModel

    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        model = AutoModel.from_pretrained(str(shape.folder)).eval()

        class LastHiddenState(torch.nn.Module):  # positional inputs, one output, for export
            def __init__(self) -> None:
                super().__init__()
                self.inner = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.inner(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        wrapped = LastHiddenState()
        sample = torch.ones(1, 8, dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        # The tracer warns about shape branches it fixes; every one holds for any input the
        # model gets (an attention mask is always given). The probes below check the result.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped,
                (sample, sample, torch.zeros_like(sample)),
                str(work / ONNX_FILE),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        for name in TOKENIZER_FILES:
            if (shape.folder / name).is_file():
                shutil.copy2(shape.folder / name, work / name)
        # fastembed truncates at the tokenizer's model_max_length; sentence-transformers at
        # the model's max_seq_length. Written here as the latter so long texts agree.
        config = json.loads((shape.folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        config["model_max_length"] = shape.max_tokens
        (work / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
        (work / FINGERPRINT_FILE).write_text(json.dumps(shape.fingerprint()), encoding="utf-8")
        queries = OnnxQueries(work, shape)
        worst = min(
            sum(a * b for a, b in zip(queries.embed_query(text), ref, strict=True))
            for text, ref in zip(PROBES, reference(list(PROBES)), strict=True)
        )
        if worst < AGREEMENT:
            raise ExportError(f"the ONNX export gives different vectors (cosine {worst:.5f})")
    except ExportError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except Exception as exc:  # torch's exporter raises many kinds
        shutil.rmtree(work, ignore_errors=True)
        raise ExportError(f"cannot export the model to ONNX: {exc}".splitlines()[0]) from exc
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)


def load(target: Path, shape: ModelShape | None) -> OnnxQueries | None:
    """The export in ``target`` if it was made from this very model, else None."""
    if shape is None:
        return None
    try:
        made = json.loads((target / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if made != shape.fingerprint():
        log.info("the ONNX query model in %s is stale; queries use sentence-transformers", target)
        return None
    try:
        return OnnxQueries(target, shape)
    except Exception as exc:  # an unreadable export: fall back rather than fail the question
        log.warning("cannot load the ONNX query model (%s); using sentence-transformers", exc)
        return None


_registered: set[str] = set()
_register_lock = threading.Lock()


class OnnxQueries(Embeddings):
    """fastembed on the export: one onnxruntime thread per query (see ``QUERY_THREADS``)."""

    def __init__(self, folder: Path, shape: ModelShape) -> None:
        from fastembed import TextEmbedding
        from fastembed.common.model_description import ModelSource, PoolingType

        name = f"medcode-local/{shape.pooling}-{shape.dim}"
        with _register_lock:
            if name not in _registered:
                TextEmbedding.add_custom_model(
                    model=name,
                    pooling=PoolingType.MEAN if shape.pooling == "mean" else PoolingType.CLS,
                    normalization=True,
                    sources=ModelSource(url=folder.as_uri()),
                    dim=shape.dim,
                    model_file=ONNX_FILE,
                )
                _registered.add(name)
        self.model = TextEmbedding(name, specific_model_path=str(folder), threads=1)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [v.tolist() for v in self.model.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return next(iter(self.model.embed([text]))).tolist()
