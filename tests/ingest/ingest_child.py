"""A medcode ingest in its own process for the crash test (tests/ingest/test_crash.py): the real
ingest on the embedded Chroma store and the fake embedder, which kills itself with SIGKILL at
the kill point it is given, or prints the store's contents as one JSON line when it is done.

Usage: ``python ingest_child.py HOME TABULAR_XML CAREER_DIR [STEP:N]``, STEP one of ``upsert``
(vectors written, the ledger not yet), ``put`` (a batch in the ledger) or ``delete`` (stale
vectors removed, the ledger not yet), N the records that step has handled before the kill.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes import FakeEmbeddings

import ingest.pipeline
from assistant.config import Settings
from assistant.container import Container
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore
from ingest import run_ingest

BATCH = 4  # records per batch here (256 in real ingests): a kill point between many batches


def kill_after(owner: type, name: str, limit: int) -> None:
    """Replace ``owner.name`` by itself followed by SIGKILL once ``limit`` records passed."""
    original: Callable[..., Any] = getattr(owner, name)
    seen = [0]

    def counted(self: Any, collection: str, *args: Any) -> Any:
        result = original(self, collection, *args)
        seen[0] += len(args[-1])  # the records or ids of this call
        if seen[0] >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, counted)


def snapshot(container: Container) -> dict[str, Any]:
    """What the store holds: ledger ids and hashes, FTS rows, every collection's items."""
    conn = container.lexical.conn
    out: dict[str, Any] = {
        "ledger": sorted(conn.execute("SELECT id, hash, collection FROM records").fetchall()),
        "fts": conn.execute("SELECT count(*) FROM fts").fetchone()[0],
        "fts_orphans": conn.execute(
            "SELECT count(*) FROM fts WHERE rowid NOT IN (SELECT rid FROM records)"
        ).fetchone()[0],
        "collections": {},
    }
    client = container.store.client
    for collection in sorted(client.list_collections(), key=lambda c: c.name):
        got = client.get_collection(collection.name).get(include=["metadatas"])
        items = zip(got["ids"], got["metadatas"] or [], strict=True)
        out["collections"][collection.name] = sorted(
            [rid, (meta or {}).get("text_key")] for rid, meta in items
        )
    return out


def main(argv: list[str]) -> int:
    home, xml, career = (Path(a) for a in argv[:3])
    ingest.pipeline.BATCH = BATCH
    if len(argv) > 3:
        step, _, n = argv[3].partition(":")
        owner = {"upsert": VectorStore, "put": LexicalIndex, "delete": VectorStore}[step]
        kill_after(owner, step, int(n))
    settings = Settings(home=home, tabular_xml=xml, knowledge_dir=career)
    container = Container(settings, embeddings=FakeEmbeddings())
    run_ingest(container, progress=False)
    print(json.dumps(snapshot(container)), flush=True)
    container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
