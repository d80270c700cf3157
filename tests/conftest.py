"""Shared fakes and fixtures: a deterministic embedder, a small tabular XML, wired services."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from assistant.services import Services
from assistant.settings import Settings
from assistant.tabular import Tabular, load_tabular

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


# A miniature of the official ICD-10-CM tabular XML, in its schema: chapters, sections, nested
# diags, Excludes1 and inclusion-term notes, and a 7th-character category (S02).
TABULAR_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2026</version>
  <chapter>
    <name>4</name>
    <desc>Endocrine, nutritional and metabolic diseases</desc>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <diag>
        <name>E08</name>
        <desc>Diabetes mellitus due to underlying condition</desc>
        <diag>
          <name>E08.9</name>
          <desc>Diabetes mellitus due to underlying condition without complications</desc>
        </diag>
      </diag>
      <diag>
        <name>E10</name>
        <desc>Type 1 diabetes mellitus</desc>
        <includes>
          <note>juvenile onset diabetes</note>
        </includes>
        <excludes1>
          <note>type 2 diabetes mellitus (E11.-)</note>
        </excludes1>
        <diag>
          <name>E10.6</name>
          <desc>Type 1 diabetes mellitus with other specified complications</desc>
          <diag>
            <name>E10.65</name>
            <desc>Type 1 diabetes mellitus with hyperglycemia</desc>
          </diag>
        </diag>
        <diag>
          <name>E10.9</name>
          <desc>Type 1 diabetes mellitus without complications</desc>
        </diag>
      </diag>
      <diag>
        <name>E11</name>
        <desc>Type 2 diabetes mellitus</desc>
        <includes>
          <note>diabetes NOS</note>
        </includes>
        <excludes1>
          <note>type 1 diabetes mellitus (E10.-)</note>
        </excludes1>
        <diag>
          <name>E11.6</name>
          <desc>Type 2 diabetes mellitus with other specified complications</desc>
          <diag>
            <name>E11.64</name>
            <desc>Type 2 diabetes mellitus with hypoglycemia</desc>
            <diag>
              <name>E11.641</name>
              <desc>Type 2 diabetes mellitus with hypoglycemia with coma</desc>
            </diag>
            <diag>
              <name>E11.649</name>
              <desc>Type 2 diabetes mellitus with hypoglycemia without coma</desc>
            </diag>
          </diag>
          <diag>
            <name>E11.65</name>
            <desc>Type 2 diabetes mellitus with hyperglycemia</desc>
          </diag>
          <diag>
            <name>E11.69</name>
            <desc>Type 2 diabetes mellitus with other specified complication</desc>
          </diag>
        </diag>
        <diag>
          <name>E11.9</name>
          <desc>Type 2 diabetes mellitus without complications</desc>
        </diag>
      </diag>
      <diag>
        <name>E13</name>
        <desc>Other specified diabetes mellitus</desc>
        <diag>
          <name>E13.9</name>
          <desc>Other specified diabetes mellitus without complications</desc>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>9</name>
    <desc>Diseases of the circulatory system</desc>
    <section id="I20-I25">
      <desc>Ischemic heart diseases (I20-I25)</desc>
      <diag>
        <name>I20</name>
        <desc>Angina pectoris</desc>
        <diag>
          <name>I20.9</name>
          <desc>Angina pectoris, unspecified</desc>
        </diag>
      </diag>
      <diag>
        <name>I21</name>
        <desc>Acute myocardial infarction</desc>
        <diag>
          <name>I21.4</name>
          <desc>Non-ST elevation (NSTEMI) myocardial infarction</desc>
        </diag>
        <diag>
          <name>I21.9</name>
          <desc>Acute myocardial infarction, unspecified</desc>
          <inclusionTerm>
            <note>Myocardial infarction (acute) NOS</note>
          </inclusionTerm>
        </diag>
      </diag>
      <diag>
        <name>I25</name>
        <desc>Chronic ischemic heart disease</desc>
        <diag>
          <name>I25.1</name>
          <desc>Atherosclerotic heart disease of native coronary artery</desc>
          <diag>
            <name>I25.10</name>
            <desc>Atherosclerotic heart disease of native coronary artery without angina pectoris</desc>
          </diag>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>10</name>
    <desc>Diseases of the respiratory system</desc>
    <section id="J00-J06">
      <desc>Acute upper respiratory infections (J00-J06)</desc>
      <diag>
        <name>J00</name>
        <desc>Acute nasopharyngitis [common cold]</desc>
      </diag>
      <diag>
        <name>J02</name>
        <desc>Acute pharyngitis</desc>
        <diag>
          <name>J02.0</name>
          <desc>Streptococcal pharyngitis</desc>
          <inclusionTerm>
            <note>Septic pharyngitis</note>
            <note>Streptococcal sore throat</note>
          </inclusionTerm>
        </diag>
        <diag>
          <name>J02.9</name>
          <desc>Acute pharyngitis, unspecified</desc>
        </diag>
      </diag>
      <diag>
        <name>J06</name>
        <desc>Acute upper respiratory infections of multiple and unspecified sites</desc>
        <diag>
          <name>J06.9</name>
          <desc>Acute upper respiratory infection, unspecified</desc>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>19</name>
    <desc>Injury, poisoning and certain other consequences of external causes</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S00</name>
        <desc>Superficial injury of head</desc>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S00.0</name>
          <desc>Superficial injury of scalp</desc>
          <diag>
            <name>S00.00</name>
            <desc>Unspecified superficial injury of scalp</desc>
          </diag>
        </diag>
      </diag>
      <diag>
        <name>S02</name>
        <desc>Fracture of skull and facial bones</desc>
        <notes>
          <note>A fracture not indicated as open or closed should be coded to closed</note>
        </notes>
        <sevenChrNote>
          <note>The appropriate 7th character is to be added to each code from category S02</note>
        </sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter for closed fracture</extension>
          <extension char="B">initial encounter for open fracture</extension>
          <extension char="D">subsequent encounter for fracture with routine healing</extension>
          <extension char="G">subsequent encounter for fracture with delayed healing</extension>
          <extension char="K">subsequent encounter for fracture with nonunion</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S02.0</name>
          <desc>Fracture of vault of skull</desc>
          <inclusionTerm>
            <note>Fracture of frontal bone</note>
            <note>Fracture of parietal bone</note>
          </inclusionTerm>
        </diag>
        <diag>
          <name>S02.2</name>
          <desc>Fracture of nasal bones</desc>
        </diag>
        <diag>
          <name>S02.6</name>
          <desc>Fracture of mandible</desc>
          <diag>
            <name>S02.60</name>
            <desc>Fracture of mandible, unspecified</desc>
            <diag>
              <name>S02.609</name>
              <desc>Fracture of mandible, unspecified</desc>
            </diag>
          </diag>
        </diag>
      </diag>
      <diag>
        <name>S09</name>
        <desc>Other and unspecified injuries of head</desc>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S09.9</name>
          <desc>Unspecified injury of face and head</desc>
          <diag>
            <name>S09.90</name>
            <desc>Unspecified injury of head</desc>
          </diag>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""

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

CAREER_MD = """\
# Becoming a medical coder

## What coders do

Medical coders read clinical documentation and assign diagnosis codes from ICD-10-CM.

## Certifications

The CPC credential from the AAPC and the CCS credential from AHIMA are the common
certifications; each requires passing a proctored exam.

## Salary and outlook

Pay depends on region, credential and experience; remote work is common.
"""


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


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MEDCODE_* setting from the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("MEDCODE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def tabular_xml(tmp_path: Path) -> Path:
    return write_tabular(tmp_path / "xml")


@pytest.fixture
def small_tab(tabular_xml: Path) -> Tabular:
    return load_tabular(tabular_xml)


@pytest.fixture
def career_dir(tmp_path: Path) -> Path:
    return write_career(tmp_path / "career")


def make_services(
    home: Path, tab: Tabular, career: Path, collection: str | None = None, client=None
) -> Services:
    settings = Settings(
        home=home, collection=collection or f"t{uuid4().hex[:8]}", knowledge_dir=career
    )
    return Services(
        settings,
        _embeddings=FakeEmbeddings(),
        _client=client or ephemeral_client(),
        _tabular=tab,
    )


@pytest.fixture
def services(
    clean_env: None, tmp_path: Path, small_tab: Tabular, career_dir: Path
) -> Iterator[Services]:
    svc = make_services(tmp_path / "home", small_tab, career_dir)
    yield svc
    svc.close()


@pytest.fixture
def ingested(services: Services) -> Services:
    from ingest import run_ingest

    run_ingest(services, progress=False)
    return services


@pytest.fixture(scope="session")
def real_tab() -> Tabular:
    """The bundled FY2026 tabular (about 3 s to load, so once per session)."""
    return load_tabular()
