"""Ingest: official sources -> records -> Chroma + the lexical index (re-runnable).

Each code set says which records it contributes (``CodeSet.ingest_groups``); the career
knowledge files are added here. A source that cannot be read is reported and skipped, the
rest go on, and the store keeps what it had for the skipped one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial

from assistant.container import Container
from assistant.core.codeset import IngestGroup
from assistant.search.embeddings import Embedder
from assistant.sources.manifest import missing_report
from ingest.career import career_records
from ingest.pipeline import SyncCounts, sync

log = logging.getLogger(__name__)

# Manifest kinds reported as missing after an ingest: a user can act on each.
REPORTED = ("guidelines", "index", "eindex", "neoplasm", "drug")


@dataclass
class IngestSummary:
    """Counts per source and in total, for the summary line."""

    seconds: float = 0.0
    total: SyncCounts = field(default_factory=SyncCounts)
    per_source: dict[str, SyncCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # missing files, one line each
    skipped: list[str] = field(default_factory=list)  # sources that could not be read

    def line(self) -> str:
        t = self.total
        return (
            f"ingest: {t.added} added, {t.updated} updated, {t.skipped} skipped, "
            f"{t.removed} removed in {self.seconds:.1f} s ({t.embedded} texts embedded)"
        )


def groups(container: Container) -> list[IngestGroup]:
    """Everything the store should hold: each code set's records, then the career files."""
    out = [group for cs in container.codesets for group in cs.ingest_groups()]
    folder = container.settings.knowledge_dir
    out.append(IngestGroup("career", "career", partial(career_records, folder)))
    return out


def run_ingest(container: Container, *, progress: bool = True) -> IngestSummary:
    """Bring every available source up to date in the store and the lexical index."""
    started = time.perf_counter()
    summary = IngestSummary()
    summary.skipped += container.codesets.notes  # a code set whose files could not be read
    for group in groups(container):
        try:
            records = group.make()
        except ValueError as exc:  # a malformed file: say so, keep what is stored
            summary.skipped.append(f"{group.group}: skipped, {str(exc).splitlines()[0]}")
            continue
        log.info("%s: %d records", group.group, len(records))
        counts = sync(
            group.group,
            group.collection,
            records,
            container.store,
            container.lexical,
            progress=progress,
        )
        summary.per_source[group.group] = counts
        summary.total += counts
    wanted = [s for s in container.manifest if s.kind in REPORTED]
    have = set(container.files)
    report = missing_report({s.id: None for s in wanted if s.kind not in have}, wanted)
    if report:
        summary.notes.append(report)
    container.remember_files()
    for codeset in container.codesets:
        _ = codeset.vocabulary  # counted and cached here, not at the first question
    if isinstance(container.embeddings, Embedder):
        note = container.embeddings.export_queries()
        if note:
            summary.notes.append(note)
    summary.seconds = time.perf_counter() - started
    return summary
