"""Team server mode: two app replicas (two MEDCODE_HOMEs) on one ``chroma run`` server. The
vectors are shared; each replica's lexical index and parsed cache are its own, built by its
own ``medcode ingest``, which finds every vector already stored and embeds nothing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakes import FakeEmbeddings, write_career, write_tabular

from assistant.config import Settings
from assistant.container import Container
from assistant.core import gate
from assistant.interfaces import queries
from ingest import run_ingest

START_SECONDS = 30  # a cold `chroma run` is up in 1-3 s here; 30 s means it will not start
QUESTION = "type 2 diabetes with hyperglycemia"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A ``chroma run`` on 127.0.0.1 and a free port, stopped after the module."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed next to this Python")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    argv = [str(exe if exe.exists() else "chroma"), "run", "--path", str(path)]
    proc = subprocess.Popen(
        [*argv, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip(f"`chroma run` did not start within {START_SECONDS} s on port {port}")
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def replica(
    chroma_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> Iterator[dict[str, Container]]:
    """Two containers as two replicas would build them: same server settings, own homes."""
    monkeypatch.setenv("MEDCODE_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDCODE_CHROMA_PORT", str(chroma_server))
    monkeypatch.setenv("MEDCODE_COLLECTION", f"team-{tmp_path.name[-12:]}")
    monkeypatch.setenv("MEDCODE_TABULAR_XML", str(write_tabular(tmp_path / "xml")))
    monkeypatch.setenv("MEDCODE_KNOWLEDGE_DIR", str(write_career(tmp_path / "career")))
    made = {
        name: Container(Settings(home=tmp_path / name), embeddings=FakeEmbeddings())
        for name in ("a", "b")
    }
    yield made
    for container in made.values():
        container.close()


def test_two_replicas_answer_alike_from_one_chroma_server(
    replica: dict[str, Container],
) -> None:
    a, b = replica["a"], replica["b"]
    first = run_ingest(a, progress=False)
    assert first.total.embedded > 40  # the fixture's records went to the server
    assert not (a.settings.home / "chroma").exists()  # nothing embedded on disk: the server
    # Replica b has the vectors on the server but no lexical index of its own yet.
    with pytest.raises(gate.BadInput, match="run `medcode ingest` first"):
        queries.require_index(b)
    second = run_ingest(b, progress=False)
    assert second.total.embedded == 0  # every vector found on the server, none made again
    assert b.embeddings.calls == 0  # type: ignore[attr-defined]
    assert b.lexical.count() == a.lexical.count()
    one, other = a.ask(QUESTION), b.ask(QUESTION)
    assert one.codes[0] == "E11.65"
    assert (other.answer, other.codes) == (one.answer, one.codes)
    assert queries.lookup(b, "acute myocardial infarction") == queries.lookup(
        a, "acute myocardial infarction"
    )
