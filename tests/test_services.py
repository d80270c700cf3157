"""Wiring: which tabular release the services use, and that nothing heavy is built early."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tabular

from assistant.services import Services
from assistant.settings import Settings
from assistant.tabular import bundled_tabular_path


def test_official_tabular_in_the_source_folder_is_used(clean_env: None, tmp_path: Path) -> None:
    folder = tmp_path / "official"
    folder.mkdir()
    xml = write_tabular(folder, name="icd10cm-tabular-2026.xml")
    services = Services(Settings(home=tmp_path / "home", source_dir=folder))
    assert Path(services.tabular.source) == xml
    assert "E11.65" in services.tabular


def test_setting_wins_over_the_source_folder(clean_env: None, tmp_path: Path) -> None:
    folder = tmp_path / "official"
    folder.mkdir()
    write_tabular(folder, name="icd10cm-tabular-2026.xml")
    chosen = write_tabular(tmp_path, name="chosen.xml")
    services = Services(Settings(home=tmp_path / "home", source_dir=folder, tabular_xml=chosen))
    assert Path(services.tabular.source) == chosen


def test_bundled_release_without_source_files(clean_env: None, tmp_path: Path) -> None:
    services = Services(Settings(home=tmp_path / "home"))
    assert services._located_tabular() is None
    assert bundled_tabular_path().exists()


def test_building_services_loads_nothing(clean_env: None, tmp_path: Path) -> None:
    services = Services(Settings(home=tmp_path / "home"))
    # cached properties are built on first use only: no model, store or index yet
    assert not {"embeddings", "store", "lexical", "tabular"} & set(vars(services))
    assert not (tmp_path / "home").exists()
