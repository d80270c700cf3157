"""Official and written sources other than the Tabular List -> searchable records."""

from __future__ import annotations

from pathlib import Path

from assistant import alphaindex, guidelines, knowledge
from assistant.codes import normalize_code
from assistant.records import Record


def guideline_records(pdf: Path) -> tuple[list[Record], str]:
    """Guideline passages, each embedded with its breadcrumb so the section's topic is found."""
    parsed = guidelines.parse_guidelines(pdf)
    records = [
        Record(
            id=chunk.id,
            text=chunk.for_retrieval(),
            metadata={**chunk.metadata(), "passage": chunk.text},
            keywords=f"{chunk.section} {chunk.title}",
        )
        for chunk in guidelines.chunk_sections(parsed)
    ]
    return records, parsed.version


def index_records(path: Path, source: str) -> tuple[list[Record], dict[str, int]]:
    """Alphabetic Index or table entries; those that lead to a code become lookup keys."""
    parsed = alphaindex.parse_index(path, source)
    records = []
    for entry in parsed.entries:
        codes = [
            c for c in (normalize_code(x.rstrip("-.")) for x in alphaindex.entry_codes(entry)) if c
        ]
        records.append(
            Record(
                id=entry.id,
                text=alphaindex.trail_text(entry),
                metadata={
                    "kind": "index",
                    "index": source,
                    "code": entry.code and normalize_code(entry.code.rstrip("-.")) or "",
                    "codes": " ".join(codes),
                    "ref": alphaindex.trail_text(entry, modifiers=True),
                    "citation": alphaindex.render(entry),
                    "source": f"ICD-10-CM {alphaindex.SOURCE_LABELS[source]} FY{parsed.version}",
                    "version": f"FY{parsed.version}",
                    "level": entry.level,
                },
                keywords=" ".join(entry.nemod),
            )
        )
    return records, dict(parsed.counts)


def career_records(folder: Path) -> list[Record]:
    """Knowledge sections by heading; the per-file source lists stay out of retrieval."""
    return [
        Record(
            id=chunk.id,
            text=f"{chunk.title}: {chunk.heading}\n{chunk.text}",
            metadata={
                "kind": "career",
                "source": chunk.file,
                "ref": chunk.heading,
                "title": chunk.title,
                "citation": knowledge.citation(chunk),
                "passage": chunk.text,
            },
        )
        for chunk in knowledge.load_knowledge(folder)
        if chunk.heading.strip().lower() != "sources"
    ]
