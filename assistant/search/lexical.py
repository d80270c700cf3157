"""The lexical side of hybrid search, and the record ledger: SQLite FTS5 with BM25 ranking.

The ``records`` table remembers every stored record with its content hash, so a re-run of the
ingest skips what has not changed and a killed ingest resumes where it stopped.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.core.records import Record
from assistant.text.stems import NOUN_OF
from assistant.text.tokens import query_terms

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL,
    grp TEXT NOT NULL,
    hash TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_grp ON records (grp);
CREATE INDEX IF NOT EXISTS records_collection ON records (collection);
"""

# The collection is an indexed column, so a search reads only its own collection's postings:
# with it UNINDEXED every match in every collection was scored and then filtered (200 dev
# lookups on the full store: codes p50 11.3 -> 6.7 ms, p95 58.6 -> 34.9; index and
# guidelines p95 29 -> 3 ms). A store written before this is rebuilt on open.
_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(
    collection, body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


class LexicalIndex:
    """FTS5 index plus record ledger in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.conn.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Create the full-text table, or rebuild one whose collection is not indexed."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")  # one process rebuilds; the others then see it done
        try:
            row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()
            if row is None:
                conn.execute(_FTS.format(name="fts"))
            elif "UNINDEXED" in row[0]:
                conn.execute("DROP TABLE IF EXISTS fts_rebuilt")
                conn.execute(_FTS.format(name="fts_rebuilt"))
                conn.execute(
                    "INSERT INTO fts_rebuilt (rowid, collection, body) "
                    "SELECT rowid, collection, body FROM fts"
                )
                conn.execute("DROP TABLE fts")
                conn.execute("ALTER TABLE fts_rebuilt RENAME TO fts")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection: a SQLite connection must not be used by two threads at
        once, so concurrent questions each read through their own."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()

    # --- ledger ------------------------------------------------------------------------
    def hashes(self, group: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT id, hash FROM records WHERE grp = ?", (group,))
        return dict(rows.fetchall())

    def put(self, collection: str, group: str, records: Sequence[Record]) -> None:
        """Store records (and their searchable text) in one transaction."""
        with self.conn:
            for r in records:
                values = (collection, group, r.content_hash, r.text, json.dumps(r.metadata))
                row = self.conn.execute("SELECT rid FROM records WHERE id = ?", (r.id,)).fetchone()
                if row:
                    rid = row[0]
                    self.conn.execute("DELETE FROM fts WHERE rowid = ?", (rid,))
                    self.conn.execute(
                        "UPDATE records SET collection = ?, grp = ?, hash = ?, text = ?, "
                        "metadata = ? WHERE rid = ?",
                        (*values, rid),
                    )
                else:
                    rid = self.conn.execute(
                        "INSERT INTO records (id, collection, grp, hash, text, metadata) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (r.id, *values),
                    ).lastrowid
                self.conn.execute(
                    "INSERT INTO fts (rowid, collection, body) VALUES (?, ?, ?)",
                    (rid, collection, f"{r.text}\n{r.keywords}"),
                )

    def remove(self, ids: Iterable[str]) -> None:
        keys = [(i,) for i in ids]
        with self.conn:
            self.conn.executemany(
                "DELETE FROM fts WHERE rowid = (SELECT rid FROM records WHERE id = ?)", keys
            )
            self.conn.executemany("DELETE FROM records WHERE id = ?", keys)

    def get(self, ids: Sequence[str]) -> dict[str, Record]:
        """Records by id (used to build citations)."""
        out: dict[str, Record] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, text, metadata FROM records WHERE id IN ({marks})", chunk
            )
            for rid, text, meta in rows:
                out[rid] = Record(id=rid, text=text, metadata=json.loads(meta))
        return out

    def where(self, collection: str, **metadata: str) -> list[Record]:
        """Records of a collection whose metadata has the given values (exact match)."""
        clauses = " AND ".join(f"json_extract(metadata, '$.{k}') = ?" for k in metadata)
        sql = "SELECT id, text, metadata FROM records WHERE collection = ?"
        if clauses:
            sql += f" AND {clauses}"
        rows = self.conn.execute(sql, (collection, *metadata.values()))
        return [Record(id=i, text=t, metadata=json.loads(m)) for i, t, m in rows]

    def count(self, collection: str | None = None) -> int:
        if collection is None:
            return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])
        row = self.conn.execute("SELECT count(*) FROM records WHERE collection = ?", (collection,))
        return int(row.fetchone()[0])

    # --- search ------------------------------------------------------------------------
    def search(self, collection: str, text: str, k: int) -> list[tuple[str, float]]:
        """Best BM25 matches as (id, score); higher is better. Any query word may match."""
        terms = query_terms(text)
        if not terms:
            return []
        # A body-part adjective finds its noun too ("pancreatic" -> "pancreas"), as the
        # re-ranker's roots read it.
        terms += [n for t in terms if (n := NOUN_OF.get(t)) and n not in terms]
        words = " OR ".join(f'body:"{t}"' for t in terms)
        match = f'collection:"{collection}" AND ({words})'
        # Weights 0 and 1: the collection's own word adds nothing to a record's score.
        # Ranked and cut inside the full-text table first, so only the k kept rows are joined
        # (the same rows; 300 dev lookups at depth 50: 12.9 -> 10.3 ms each).
        rows = self.conn.execute(
            "SELECT r.id, s.rank FROM (SELECT rowid, bm25(fts, 0.0, 1.0) AS rank FROM fts "
            "WHERE fts MATCH ? ORDER BY rank LIMIT ?) s JOIN records r ON r.rid = s.rowid "
            "ORDER BY s.rank",
            (match, k),
        )
        return [(rid, -rank) for rid, rank in rows]
