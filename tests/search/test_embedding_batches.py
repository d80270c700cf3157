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
