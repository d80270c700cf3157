"""A non-editable install carries everything medcode reads at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fakes import write_tabular

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("medcode-*.whl")
    return built


def test_the_wheel_holds_the_knowledge_files_and_every_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"assistant/knowledge/{p.relative_to(REPO / 'knowledge')}"
        for p in (REPO / "knowledge").rglob("*")
        if p.is_file() and p.suffix in {".toml", ".md"}
    }
    assert shipped and shipped <= names
    assert "assistant/knowledge/sources.toml" in names
    # every package of the source tree is in the wheel, so an import cannot fail after install
    packages = {
        str(p.parent.relative_to(REPO)) for p in (REPO / "assistant").rglob("__init__.py")
    } | {"ingest"}
    assert {f"{p}/__init__.py" for p in packages} <= names
    assert not any(n.startswith(("tests/", "assistant/knowledge/eval/")) for n in names)


def test_the_installed_wheel_answers_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    xml = write_tabular(tmp_path, name="tabular.xml")
    env = {
        **os.environ,
        "PYTHONPATH": str(target),  # the wheel's copy before the editable checkout
        "MEDCODE_HOME": str(tmp_path / "home"),
        "MEDCODE_TABULAR_XML": str(xml),
    }
    probe = (
        "import assistant, json; from assistant.interfaces.cli import main; "
        "from assistant.sources.manifest import load_manifest; "
        "from assistant.config import Settings; "
        f"assert assistant.__file__.startswith({str(target)!r}), assistant.__file__; "
        "assert (Settings().knowledge_dir / 'certifications.md').is_file(); "
        "assert load_manifest(); raise SystemExit(main(['code', 'E11.65', '--json']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert '"code": "E11.65"' in done.stdout
