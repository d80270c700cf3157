"""Ingest: official sources -> records -> Chroma + the lexical index (re-runnable)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from assistant.services import Services
from ingest.codes import code_records
from ingest.pipeline import SyncCounts, sync


@dataclass
class IngestSummary:
    """Counts per source and in total, for the summary line."""

    seconds: float = 0.0
    total: SyncCounts = field(default_factory=SyncCounts)
    per_source: dict[str, SyncCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        t = self.total
        return (
            f"ingest: {t.added} added, {t.updated} updated, {t.skipped} skipped, "
            f"{t.removed} removed in {self.seconds:.1f} s"
        )


def run_ingest(services: Services, *, progress: bool = True) -> IngestSummary:
    """Bring every configured source up to date in the store and the lexical index."""
    started = time.perf_counter()
    summary = IngestSummary()
    tab = services.tabular
    counts = sync(
        "icd10cm",
        "codes",
        code_records(tab),
        services.store,
        services.lexical,
        progress=progress,
    )
    summary.per_source["icd10cm"] = counts
    summary.total += counts
    summary.seconds = time.perf_counter() - started
    return summary
