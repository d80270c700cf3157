"""Wiring: which tabular release the container use, and that nothing heavy is built early."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from fakes import tab_of, write_tabular

from assistant.codesets.icd10cm import tabular
from assistant.codesets.icd10cm.tabular import bundled_tabular_path
from assistant.config import Settings
from assistant.container import Container


def test_official_tabular_in_the_source_folder_is_used(clean_env: None, tmp_path: Path) -> None:
    folder = tmp_path / "official"
    folder.mkdir()
    xml = write_tabular(folder, name="icd10cm-tabular-2026.xml")
    container = Container(Settings(home=tmp_path / "home", source_dir=folder))
    assert Path(tab_of(container).source) == xml
    assert "E11.65" in tab_of(container)


def test_setting_wins_over_the_source_folder(clean_env: None, tmp_path: Path) -> None:
    folder = tmp_path / "official"
    folder.mkdir()
    write_tabular(folder, name="icd10cm-tabular-2026.xml")
    chosen = write_tabular(tmp_path, name="chosen.xml")
    container = Container(Settings(home=tmp_path / "home", source_dir=folder, tabular_xml=chosen))
    assert Path(tab_of(container).source) == chosen


def test_bundled_release_without_source_files(clean_env: None, tmp_path: Path) -> None:
    container = Container(Settings(home=tmp_path / "home"))
    assert "tabular" not in container.files
    assert bundled_tabular_path().exists()


def test_building_the_container_loads_nothing(clean_env: None, tmp_path: Path) -> None:
    container = Container(Settings(home=tmp_path / "home"))
    # cached properties are built on first use only: no model, store or index yet
    assert not {"embeddings", "store", "lexical", "codesets"} & set(vars(container))
    assert not (tmp_path / "home").exists()


def test_a_second_process_reads_the_parsed_tabular_from_the_cache(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = write_tabular(tmp_path, name="chosen.xml")
    settings = Settings(home=tmp_path / "home", tabular_xml=xml)
    first = tab_of(Container(settings))
    assert list((tmp_path / "home" / "cache").glob("icd10cm-tabular-*.pickle"))

    def no_parsing(*args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(tabular.ET, "parse", no_parsing)
    again = tab_of(Container(settings))
    assert again.version == first.version and "E11.65" in again


def test_a_changed_source_file_is_parsed_again(clean_env: None, tmp_path: Path) -> None:
    xml = write_tabular(tmp_path, name="chosen.xml")
    settings = Settings(home=tmp_path / "home", tabular_xml=xml)
    assert "E11.65" in tab_of(Container(settings))
    xml.write_text(xml.read_text().replace("<name>E11.65</name>", "<name>E11.66</name>"))
    changed = tab_of(Container(settings))
    assert "E11.66" in changed and "E11.65" not in changed


def test_code_and_check_never_load_the_model_or_chroma(clean_env: None, tmp_path: Path) -> None:
    xml = write_tabular(tmp_path, name="chosen.xml")
    probe = (
        "import sys, json\n"
        "from assistant.interfaces.cli import main\n"
        "main(['code', 'E11.65', '--json']); main(['check', 'E10.9', 'E11.9', '--json'])\n"
        "heavy = {'torch', 'chromadb', 'sentence_transformers', 'langchain_core'}\n"
        "print(json.dumps(sorted(heavy & set(sys.modules))))\n"
    )
    env = {**os.environ, "MEDCODE_HOME": str(tmp_path / "home"), "MEDCODE_TABULAR_XML": str(xml)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_derived_value_is_remembered_for_the_same_texts_and_computed_again_for_new_ones(
    tmp_path: Path,
) -> None:
    from assistant.sources.cache import ParsedCache, vocabulary

    calls: list[int] = []

    def count(texts: Sequence[str]) -> int:
        calls.append(1)
        return len(texts)

    texts = ["Wheelchair, standard", "Walker, folding"]
    assert ParsedCache(tmp_path / "cache").derive("demo", texts, count) == 2
    assert ParsedCache(tmp_path / "cache").derive("demo", texts, count) == 2  # another process
    assert len(calls) == 1
    assert ParsedCache(tmp_path / "cache").derive("demo", [*texts, "Cane, quad"], count) == 3
    assert len(calls) == 2
    assert len(list((tmp_path / "cache").glob("demo-*.pickle"))) == 1  # the old one went
    words = vocabulary(ParsedCache(tmp_path / "cache"), "demo", texts)
    assert words.documents == 2 and words.frequency["wheelchair"] == 1
    assert words == vocabulary(ParsedCache(tmp_path / "cache"), "demo", texts)
