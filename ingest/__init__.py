"""Ingest: official sources -> records -> Chroma + the lexical index (re-runnable)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.download import Source, load_manifest, locate, missing_report
from assistant.records import Record
from assistant.services import Services
from ingest.codes import code_records
from ingest.pipeline import SyncCounts, sync
from ingest.sources import career_records, guideline_records, index_records

# Manifest kinds this ingest reads (the others are listed for download only, for now).
INDEX_KINDS = ("index", "eindex", "neoplasm", "drug")


@dataclass
class IngestSummary:
    """Counts per source and in total, for the summary line."""

    seconds: float = 0.0
    total: SyncCounts = field(default_factory=SyncCounts)
    per_source: dict[str, SyncCounts] = field(default_factory=dict)
    index_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        t = self.total
        return (
            f"ingest: {t.added} added, {t.updated} updated, {t.skipped} skipped, "
            f"{t.removed} removed in {self.seconds:.1f} s"
        )


def source_dirs(services: Services) -> list[Path]:
    """Where official files are looked for: the user's folder first, then the download cache."""
    settings = services.settings
    return [d for d in (settings.source_dir, settings.downloads_path) if d]


def run_ingest(services: Services, *, progress: bool = True) -> IngestSummary:
    """Bring every available source up to date in the store and the lexical index.

    Sources whose files are missing are reported and left as they are; the rest go on.
    """
    started = time.perf_counter()
    summary = IngestSummary()
    sources = load_manifest()
    found = locate(sources, source_dirs(services))
    by_kind: dict[str, tuple[Source, Path | None]] = {s.kind: (s, found[s.id]) for s in sources}

    def step(group: str, collection: str, make: Callable[[], list[Record]]) -> None:
        try:
            records = make()
        except ValueError as exc:  # a malformed file: say so, keep what is stored
            summary.notes.append(f"{group}: skipped, {str(exc).splitlines()[0]}")
            return
        counts = sync(
            group, collection, records, services.store, services.lexical, progress=progress
        )
        summary.per_source[group] = counts
        summary.total += counts

    step("icd10cm", "codes", lambda: code_records(services.tabular))

    _source, pdf = by_kind.get("guidelines", (None, None))
    if pdf is not None:
        step("guidelines", "guidelines", lambda: guideline_records(pdf)[0])

    for kind in INDEX_KINDS:
        _source, path = by_kind.get(kind, (None, None))
        if path is None:
            continue

        def make(path: Path = path, kind: str = kind) -> list[Record]:
            records, counts = index_records(path, kind)
            summary.index_counts[kind] = counts
            return records

        step(f"index-{kind}", "index", make)

    step("career", "career", lambda: career_records(services.settings.knowledge_dir))

    wanted = {k: v for k, v in found.items() if _kind(sources, k) in {"guidelines", *INDEX_KINDS}}
    report = missing_report(wanted, sources)
    if report:
        summary.notes.append(report)
    for kind, counts in summary.index_counts.items():
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        summary.notes.append(f"index-{kind}: {shown}")
    summary.seconds = time.perf_counter() - started
    return summary


def _kind(sources: list[Source], source_id: str) -> str:
    return next((s.kind for s in sources if s.id == source_id), "")
