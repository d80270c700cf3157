"""Fakes and fixture builders shared by the tests: a deterministic embedder, in-memory Chroma,
small source files written for the tests, and a container wired from them."""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from assistant.codesets import CodeSets
from assistant.codesets.icd10cm.codeset import Icd10cm
from assistant.codesets.icd10cm.tabular import Tabular, load_tabular
from assistant.config import Settings
from assistant.container import Container

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TABULAR_XML = (DATA / "icd10cm" / "tabular_mini.xml").read_text(encoding="utf-8")
CAREER_MD = (DATA / "career" / "becoming-a-coder.md").read_text(encoding="utf-8")

# Billable codes of the fixture without a 7th character, and the XML leaves that need one.
FIXTURE_BILLABLE = {
    "E08.9",
    "E13.9",
    "I20.9",
    "I25.10",
    "J00",
    "J06.9",
    "E10.65",
    "E10.9",
    "E11.641",
    "E11.649",
    "E11.65",
    "E11.69",
    "E11.9",
    "I21.4",
    "I21.9",
    "J02.0",
    "J02.9",
}
FIXTURE_SEVENTH_LEAVES = {
    "S02.0": "ABDGKS",
    "S02.2": "ABDGKS",
    "S02.609": "ABDGKS",
    "S00.00": "ADS",
    "S09.90": "ADS",
}

DIM = 256
_WORD = re.compile(r"[a-z0-9]+")
# Function words carry no topic; left in, every question would resemble every passage a little.
_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "and", "or", "is", "are", "be", "to", "in", "on", "at", "by"}
    | {"for", "do", "does", "i", "my", "me", "it", "what", "how", "when", "which", "who", "why"}
    | {"can", "should"}
)


class FakeEmbeddings(Embeddings):
    """Bag-of-words vectors: each (lightly stemmed) word hashes to one of 256 dimensions.

    Texts sharing words are similar, texts sharing none score 0 (up to hash collisions), and
    the same text always gets the same vector, so rankings in tests are predictable. Function
    words ("the", "is", "what") are left out.
    """

    def __init__(self, max_words: int | None = None) -> None:
        self.calls = 0  # texts embedded, so tests can see what was (not) re-embedded
        self.max_words = max_words  # like a real model's input limit: later words are unread

    @staticmethod
    def words(text: str) -> list[str]:
        out = []
        for word in _WORD.findall(text.lower()):
            if word in _FUNCTION_WORDS:
                continue
            if len(word) > 3 and word.endswith("s"):
                word = word[:-1]
            out.append(word)
        return out

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * DIM
        for word in self.words(text)[: self.max_words]:
            slot = int(hashlib.md5(word.encode("utf-8")).hexdigest(), 16) % DIM
            vector[slot] += 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


def write_tabular(folder: Path, text: str = TABULAR_XML, name: str = "tabular.xml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def module_tabular(xml: str) -> Any:
    """A module-scoped fixture giving the Tabular read from ``xml`` (a test file's own XML)."""

    @pytest.fixture(scope="module")
    def small(tmp_path_factory: pytest.TempPathFactory) -> Tabular:
        return load_tabular(write_tabular(tmp_path_factory.mktemp("tabular"), xml))

    return small


def write_career(folder: Path, text: str = CAREER_MD, name: str = "becoming-a-coder.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def ephemeral_client() -> chromadb.ClientAPI:
    """In-memory Chroma; clients in one process share data, so collections get unique names."""
    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


def icd10cm_sets(tab: Tabular, files: dict[str, Path] | None = None) -> CodeSets:
    """The registry holding only ICD-10-CM, read from ``tab``."""
    return CodeSets([Icd10cm(tab, files)])


def make_container(
    home: Path,
    tab: Tabular,
    career: Path,
    collection: str | None = None,
    client: chromadb.ClientAPI | None = None,
    files: dict[str, Path] | None = None,
    **settings: Any,
) -> Container:
    """A container on the fake embedder and in-memory Chroma, answering from ``tab``."""
    config = Settings(
        home=home,
        collection=collection or f"t{uuid4().hex[:8]}",
        knowledge_dir=career,
        **settings,
    )
    return Container(
        config,
        embeddings=FakeEmbeddings(),
        chroma=client or ephemeral_client(),
        codesets=icd10cm_sets(tab, files),
    )


def tab_of(container: Container) -> Tabular:
    """The ICD-10-CM Tabular a container answers from."""
    cs = container.codesets.get("icd10cm")
    assert isinstance(cs, Icd10cm)
    return cs.tabular


def all_sets(tab: Tabular) -> CodeSets:
    """ICD-10-CM (the mini tabular), ICD-10-PCS and HCPCS Level II from the test fixtures."""
    from assistant.codesets.hcpcs.codeset import Hcpcs
    from assistant.codesets.hcpcs.files import read_release
    from assistant.codesets.icd10pcs.codeset import Icd10pcs
    from assistant.codesets.icd10pcs.definitions import parse_definitions
    from assistant.codesets.icd10pcs.index import parse_index
    from assistant.codesets.icd10pcs.tables import parse_tables

    pcs = DATA / "icd10pcs"
    return CodeSets(
        [
            Icd10cm(tab),
            Icd10pcs(
                parse_tables(pcs / "tables.xml"),
                parse_definitions(pcs / "definitions.xml"),
                parse_index(pcs / "index.xml"),
            ),
            Hcpcs(read_release(DATA / "hcpcs" / "hcpcs-2026-jan-sample.csv")),
        ]
    )


@contextmanager
def ingested_environment(root: Path) -> Iterator[Path]:
    """A MEDCODE_HOME under ``root`` ingested by ``medcode ingest`` (the fixture release, the
    word-hashing embedder), with its settings in the environment for the duration, as
    ``medcode serve`` and ``main`` read them; yields the home."""
    import assistant.search.embeddings
    from assistant.interfaces.cli import main

    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("MEDCODE_")]:
            patch.delenv(name)
        patch.setenv("MEDCODE_TABULAR_XML", str(write_tabular(root / "xml")))
        patch.setenv("MEDCODE_KNOWLEDGE_DIR", str(write_career(root / "career")))
        patch.setenv("MEDCODE_HOME", str(root / "home"))
        patch.setattr(
            assistant.search.embeddings, "make_embeddings", lambda settings: FakeEmbeddings()
        )
        assert main(["ingest", "--quiet"]) == 0
        yield root / "home"
