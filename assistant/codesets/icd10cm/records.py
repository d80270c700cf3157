"""ICD-10-CM Tabular List, Alphabetic Index and Official Guidelines -> searchable records."""

from __future__ import annotations

from pathlib import Path

from assistant.codesets.icd10cm import alphaindex, guidelines
from assistant.codesets.icd10cm.syntax import normalize_code
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.passages import topic_record, window_records
from assistant.core.records import INCLUSION, Record, Scalar, alias_id, record_id

SOURCE = "icd10cm"  # the first part of every code record id


def code_id(tab: Tabular, code: str) -> str:
    """``icd10cm:2026:E11.65``."""
    return record_id(SOURCE, tab.version, code)


def code_records(tab: Tabular) -> list[Record]:
    """One record per category, subcategory and code, plus one per inclusion term.

    Inclusion terms get their own vectors (``#inc1``...) pointing at the same code, so a
    synonym is matched on its own rather than diluted in a long description.
    """
    source = tab.source_label
    out: list[Record] = []
    for node in tab.codes():
        path = tab.ancestors(node.key)
        inclusion = node.notes.get("inclusion_terms", [])
        meta: dict[str, Scalar] = {
            "kind": "code",
            "code_set": SOURCE,
            "code": node.code,
            "ref": node.code,
            "billable": tab.is_billable(node.key),
            "level": node.kind,
            "source": source,
            "version": f"FY{tab.version}",
            "path": " > ".join(f"{p.code} {p.description}" for p in path),
        }
        parents = " ".join(p.description for p in path[1:])
        base = code_id(tab, node.code)
        out.append(
            Record(
                id=base,
                text=node.description,
                metadata=meta,
                keywords=" ".join([node.code, *inclusion, parents]),
            )
        )
        for n, term in enumerate(inclusion, start=1):
            out.append(
                Record(
                    id=alias_id(base, INCLUSION, n),
                    text=term,
                    metadata={**meta, "alias": True, "matched": term},
                    keywords=node.description,
                )
            )
    return out


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


LONG_GUIDELINE = 1000  # characters; a longer guideline passage also gets window vectors


def guideline_records(pdf: Path) -> list[Record]:
    """Guideline passages, each embedded with its breadcrumb so the section's topic is found."""
    parsed = guidelines.parse_guidelines(pdf)
    out = []
    for chunk in guidelines.chunk_sections(parsed):
        meta: dict[str, Scalar] = {**chunk.metadata(), "passage": chunk.text}
        out.append(
            Record(
                id=chunk.id,
                text=chunk.for_retrieval(),
                metadata=meta,
                keywords=f"{chunk.section} {chunk.title}",
            )
        )
        if chunk.id.endswith(":0"):
            out.append(topic_record(chunk.id, chunk.context, meta))
        out.extend(window_records(chunk.id, chunk.context, chunk.text, meta, LONG_GUIDELINE))
    return out
