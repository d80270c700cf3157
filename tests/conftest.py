"""Fixtures shared by the tests; the fakes they are built from live in ``fakes.py``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import make_container, write_career, write_tabular

from assistant.codesets.icd10cm.tabular import Tabular, load_tabular
from assistant.container import Container


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MEDCODE_* setting from the developer's shell leaks into a test."""
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


@pytest.fixture
def container(
    clean_env: None, tmp_path: Path, small_tab: Tabular, career_dir: Path
) -> Iterator[Container]:
    made = make_container(tmp_path / "home", small_tab, career_dir)
    yield made
    made.close()


@pytest.fixture
def ingested(container: Container) -> Container:
    from ingest import run_ingest

    run_ingest(container, progress=False)
    return container


@pytest.fixture(scope="session")
def real_tab() -> Tabular:
    """The bundled FY2026 tabular (about 3 s to load, so once per session)."""
    return load_tabular()


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Path:
    """A MEDCODE_HOME as the command line and the server see it (settings from the
    environment) on the fixture release and the word-hashing embedder; not ingested."""
    from fakes import FakeEmbeddings

    import assistant.search.embeddings

    monkeypatch.setenv("MEDCODE_TABULAR_XML", str(write_tabular(tmp_path / "xml")))
    monkeypatch.setenv("MEDCODE_KNOWLEDGE_DIR", str(write_career(tmp_path / "career")))
    monkeypatch.setattr(
        assistant.search.embeddings, "make_embeddings", lambda settings: FakeEmbeddings()
    )
    home = tmp_path / "home"
    monkeypatch.setenv("MEDCODE_HOME", str(home))
    return home


@pytest.fixture
def cli_ingested(cli_home: Path, capsys: pytest.CaptureFixture) -> Path:
    """``cli_home`` after ``medcode ingest``."""
    from assistant.interfaces.cli import main

    assert main(["ingest", "--quiet"]) == 0
    capsys.readouterr()
    return cli_home
