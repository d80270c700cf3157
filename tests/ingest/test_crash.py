"""kill -9 mid-ingest, then the same ingest again: the store (the SQLite ledger's ids and
hashes, the FTS rows, every Chroma collection's ids, documents and hashes) is exactly what one
uninterrupted ingest writes. Each trial runs the real ingest on the embedded store in a child
process (``ingest_child.py``, the fake embedder) that SIGKILLs itself at a given step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import TABULAR_XML, write_career, write_tabular

CHILD = Path(__file__).with_name("ingest_child.py")
ROOT = Path(__file__).resolve().parents[2]
# A later release of the fixture: one title reworded, one code (J02.9) withdrawn.
RELEASE_2 = TABULAR_XML.replace(
    "Acute nasopharyngitis [common cold]", "Acute nasopharyngitis (common cold)"
).replace(
    "<diag>\n          <name>J02.9</name>\n          <desc>Acute pharyngitis, unspecified</desc>\n"
    "        </diag>\n",
    "",
)


def ingest(home: Path, xml: Path, career: Path, kill: str | None = None) -> dict[str, Any]:
    """Run the child; with ``kill`` it must die by SIGKILL, else print the store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCODE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    argv = [sys.executable, str(CHILD), str(home), str(xml), str(career)]
    done = subprocess.run(
        argv + ([kill] if kill else []), capture_output=True, text=True, env=env, timeout=120
    )
    if kill:
        assert done.returncode == -signal.SIGKILL, f"not killed at {kill}: {done.stderr[-2000:]}"
        return {}
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("crash")
    return {
        "v1": write_tabular(root / "v1"),
        "v2": write_tabular(root / "v2", RELEASE_2),
        "career": write_career(root / "career"),
    }


@pytest.fixture(scope="module")
def uninterrupted(
    sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """The stores one uninterrupted ingest writes, of each release."""
    return {
        v: ingest(tmp_path_factory.mktemp(f"whole-{v}"), sources[v], sources["career"])
        for v in ("v1", "v2")
    }


def test_the_reference_store_holds_every_record(uninterrupted: dict[str, Any]) -> None:
    v1, v2 = uninterrupted["v1"], uninterrupted["v2"]
    assert len(v1["ledger"]) > 40 and v1["fts"] == len(v1["ledger"]) and v1["fts_orphans"] == 0
    stored = sum(len(items) for items in v1["collections"].values())
    assert stored == len(v1["ledger"])
    ids = {row[0] for row in v1["ledger"]}
    assert "icd10cm:2026:J02.9" in ids
    assert "icd10cm:2026:J02.9" not in {row[0] for row in v2["ledger"]}
    assert v1 != v2


@pytest.mark.parametrize(
    "kill",
    [
        "upsert:4",  # the first batch's vectors written, nothing in the ledger
        "put:4",  # the first batch complete
        "upsert:24",  # mid-way through the codes: vectors ahead of the ledger
        "put:48",  # the codes done, into the career files
    ],
)
def test_kill_then_rerun_gives_the_uninterrupted_store(
    kill: str, sources: dict[str, Path], uninterrupted: dict[str, Any], tmp_path: Path
) -> None:
    ingest(tmp_path, sources["v1"], sources["career"], kill)
    assert ingest(tmp_path, sources["v1"], sources["career"]) == uninterrupted["v1"]


@pytest.mark.parametrize(
    "kill",
    [
        "upsert:1",  # the reworded title's vector written, its ledger row still the old one
        "delete:1",  # the withdrawn code's vector gone, its ledger row not yet
    ],
)
def test_kill_during_a_new_release_then_rerun_gives_that_release(
    kill: str, sources: dict[str, Path], uninterrupted: dict[str, Any], tmp_path: Path
) -> None:
    assert ingest(tmp_path, sources["v1"], sources["career"]) == uninterrupted["v1"]
    ingest(tmp_path, sources["v2"], sources["career"], kill)
    assert ingest(tmp_path, sources["v2"], sources["career"]) == uninterrupted["v2"]
