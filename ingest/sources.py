"""Official and written sources other than the Tabular List -> searchable records."""

from __future__ import annotations

from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant import alphaindex, guidelines, knowledge
from assistant.codes import normalize_code
from assistant.records import Record, Scalar

TOPIC = "#topic"  # id suffix of a passage's heading-only vector
PART = "#part"  # id suffix of the vectors for a long passage's overlapping windows
# A window fits well inside the embedding model's input (all-MiniLM-L6-v2 reads 256 word
# pieces and silently drops the rest), so the end of a long section is still searchable.
PART_CHARS = 300
PART_OVERLAP = 80
_parts = RecursiveCharacterTextSplitter(
    chunk_size=PART_CHARS, chunk_overlap=PART_OVERLAP, separators=["\n\n", "\n", ". ", " "]
)


def guideline_records(pdf: Path) -> tuple[list[Record], str]:
    """Guideline passages, each embedded with its breadcrumb so the section's topic is found."""
    parsed = guidelines.parse_guidelines(pdf)
    records = []
    for chunk in guidelines.chunk_sections(parsed):
        meta: dict[str, Scalar] = {**chunk.metadata(), "passage": chunk.text}
        records.append(
            Record(
                id=chunk.id,
                text=chunk.for_retrieval(),
                metadata=meta,
                keywords=f"{chunk.section} {chunk.title}",
            )
        )
        if chunk.id.endswith(":0"):
            records.append(_topic(chunk.id, chunk.context, meta))
        records.extend(_windows(chunk.id, chunk.context, chunk.text, meta, longer_than=1000))
    return records, parsed.version


def _topic(base_id: str, topic: str, meta: dict[str, str | int | float | bool]) -> Record:
    """A second vector for a passage holding only its heading path: what the passage is about,
    undiluted by its body (a question often names the topic, not the wording of the rule)."""
    return Record(id=f"{base_id}{TOPIC}", text=topic, metadata={**meta, "alias": True})


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
                    **{f"col_{key}": value for key, value in entry.columns.items()},
                },
                keywords=" ".join(entry.nemod),
            )
        )
    return records, dict(parsed.counts)


def career_records(folder: Path) -> list[Record]:
    """Knowledge sections by heading; the per-file source lists stay out of retrieval."""
    records = []
    for chunk in knowledge.load_knowledge(folder):
        if chunk.heading.strip().lower() == "sources":
            continue
        meta: dict[str, str | int | float | bool] = {
            "kind": "career",
            "source": chunk.file,
            "ref": chunk.heading,
            "title": chunk.title,
            "citation": knowledge.citation(chunk),
            "passage": chunk.text,
        }
        records.append(
            Record(id=chunk.id, text=f"{chunk.title}: {chunk.heading}\n{chunk.text}", metadata=meta)
        )
        topic = f"{chunk.title}: {chunk.heading}"
        records.append(_topic(chunk.id, topic, meta))
        records.extend(_windows(chunk.id, topic, chunk.text, meta))
    return records


def _windows(
    base_id: str,
    topic: str,
    text: str,
    meta: dict[str, str | int | float | bool],
    longer_than: int = PART_CHARS,
) -> list[Record]:
    """Extra vectors for the overlapping windows of a passage longer than ``longer_than``
    characters, each headed by its topic; a search scores the passage by its best vector."""
    if len(text) <= longer_than:
        return []
    return [
        Record(id=f"{base_id}{PART}{n}", text=f"{topic}\n{part}", metadata={**meta, "alias": True})
        for n, part in enumerate(_parts.split_text(text), 1)
    ]
