"""Many users at once on one container: concurrent questions get exactly the answers they get
one at a time, from a cold start (first builds, stem caches, SQLite connections), and the
stemmer gives every thread Snowball's own stems."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import snowballstemmer
from fakes import TABULAR_XML, ephemeral_client, make_container, write_career, write_tabular

from assistant.codesets.icd10cm.tabular import load_tabular
from assistant.container import Container
from assistant.text import stems

THREADS = 16
# Written for this test: each reaches a different route or code of the fixture release.
QUESTIONS = [
    "type 2 diabetes with hyperglycemia",
    "what is E11.65?",
    "acute myocardial infarction",
    "broken nose, first visit",
    "fracture of nasal bones, subsequent encounter",
    "can E10.9 and E11.9 be coded together?",
    "common cold",
    "streptococcal pharyngitis",
    "angina pectoris",
    "how do I become a medical coder?",
    "E11.999999999999",
    "aaaa",
    "injury of head",
    "diabetes due to underlying condition",
    "atherosclerotic heart disease",
    "S02.2XXA",
]
T = TypeVar("T")


def together(work: Callable[[int], T], n: int = THREADS) -> list[T]:
    """``work(i)`` for i in range(n), each in its own thread, all released at once."""
    gate = threading.Barrier(n)

    def run(i: int) -> T:
        gate.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def fingerprint(answer: Any) -> tuple[Any, ...]:
    return (answer.answer, tuple(answer.codes), tuple(c.ref for c in answer.citations))


def clear_stem_caches() -> None:
    for cached in (stems.stem, stems.root, stems.terms):
        cached.cache_clear()


@pytest.fixture
def homes(tmp_path: Path, clean_env: None) -> Iterator[Callable[[], Container]]:
    """Cold containers over one ingested store (same home, collection and Chroma client)."""
    from ingest import run_ingest

    tab = load_tabular(write_tabular(tmp_path / "xml"))
    career = write_career(tmp_path / "career")
    client = ephemeral_client()
    made: list[Container] = []

    def cold() -> Container:
        made.append(make_container(tmp_path / "home", tab, career, "shared", client))
        return made[-1]

    run_ingest(cold(), progress=False)
    yield cold
    for container in made:
        container.close()


def test_concurrent_questions_get_the_single_threaded_answers(
    homes: Callable[[], Container],
) -> None:
    one = homes()
    expected = [fingerprint(one.ask(q)) for q in QUESTIONS]
    assert len(set(expected)) == len(QUESTIONS)  # different questions, different answers

    clear_stem_caches()
    shared = homes()  # cold: every collaborator is built by the first concurrent requests

    def ask_all(i: int) -> list[tuple[Any, ...]]:
        order = QUESTIONS[i:] + QUESTIONS[:i]  # each thread starts on another question
        got = {q: fingerprint(shared.ask(q)) for q in order}
        return [got[q] for q in QUESTIONS]

    for answers in together(ask_all):
        assert answers == expected


def test_first_builds_happen_once_under_concurrency(homes: Callable[[], Container]) -> None:
    shared = homes()
    chains = together(lambda i: shared.chain)
    assert all(chain is chains[0] for chain in chains)
    stores = together(lambda i: shared.store)
    assert all(store is stores[0] for store in stores)


def test_concurrent_lookups_through_the_lexical_index(homes: Callable[[], Container]) -> None:
    shared = homes()
    lexical = shared.lexical
    expected = [lexical.search("codes", q, 5) for q in QUESTIONS]

    def search_all(i: int) -> list[list[tuple[str, float]]]:
        return [lexical.search("codes", q, 5) for q in QUESTIONS]

    for found in together(search_all):
        assert found == expected


# --- the stemmer ---------------------------------------------------------------------------
def words_to_stem() -> list[str]:
    """Every word of the fixture release plus inflected forms: thousands of distinct words,
    so the threads stem (not just read the cache) at the same time."""
    import re

    base = sorted(set(re.findall(r"[a-z]{3,}", TABULAR_XML.lower())))
    return [w + end for w in base for end in ("", "s", "ing", "ed", "ally", "ational")]


def test_the_stemmer_gives_every_thread_snowballs_stems() -> None:
    words = words_to_stem()
    reference = snowballstemmer.stemmer("english")
    expected = [reference.stemWord(w) for w in words]
    assert len(set(words)) > 500 and len(set(expected)) > 200

    def stem_all(i: int) -> list[str]:
        order = words[i::THREADS] + words  # different first words per thread, then all
        got = {w: stems.stem(w) for w in order}
        return [got[w] for w in words]

    clear_stem_caches()
    for found in together(stem_all):
        assert found == expected


def test_each_thread_has_its_own_stemmer_object() -> None:
    objects = together(lambda i: id(stems._stemmer()))
    assert len(set(objects)) == THREADS
