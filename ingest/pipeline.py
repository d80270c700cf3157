"""Syncing a source's records into the vector store and the lexical index, resumably."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tqdm import tqdm

from assistant.core.records import Record
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore

# Records embedded and written together. The model pads each call to its longest text, so a
# larger batch sorted by length pads less: the first 8,000 ICD-10-CM records went at 208
# records/s in batches of 256 in file order, and at 327 in batches of 2,048 each sorted by
# length (2-core machine, quiet). A killed ingest redoes at most one batch (about 6 s).
BATCH = 2048


@dataclass
class SyncCounts:
    """What one sync did; summed into the ingest summary line."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    removed: int = 0
    embedded: int = 0  # texts sent to the model; the others reused a stored vector

    def __iadd__(self, other: SyncCounts) -> SyncCounts:
        self.added += other.added
        self.updated += other.updated
        self.skipped += other.skipped
        self.removed += other.removed
        self.embedded += other.embedded
        return self


def sync(
    group: str,
    collection: str,
    records: Sequence[Record],
    store: VectorStore,
    lexical: LexicalIndex,
    *,
    progress: bool = True,
) -> SyncCounts:
    """Make ``group`` in ``collection`` hold exactly ``records``.

    Unchanged records (same id and content hash) are skipped. Each batch is written to Chroma
    first and recorded in the ledger after, so a killed ingest redoes at most one batch.
    """
    known = lexical.hashes(group)
    fresh = {r.id: r for r in records}
    if len(fresh) != len(records):
        raise ValueError(f"{group}: duplicate record ids in source")
    todo = [r for r in records if known.get(r.id) != r.content_hash]
    stale = [rid for rid in known if rid not in fresh]
    counts = SyncCounts(
        added=sum(1 for r in todo if r.id not in known),
        updated=sum(1 for r in todo if r.id in known),
        skipped=len(records) - len(todo),
        removed=len(stale),
    )
    bar = tqdm(total=len(todo), desc=f"{group:<12}", unit="rec", disable=not progress or not todo)
    with bar:
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            counts.embedded += store.upsert(collection, batch)
            lexical.put(collection, group, batch)
            bar.update(len(batch))
    # Stale records go last: their vectors may serve the new ones (an unchanged description
    # under a new release's id), and a killed run leaves them for the next run to remove.
    if stale:
        store.delete(collection, stale)
        lexical.remove(stale)
    return counts
