"""ICD-10-CM Tabular List -> searchable code records."""

from __future__ import annotations

from assistant.records import Record
from assistant.tabular import Tabular


def code_id(tab: Tabular, code: str) -> str:
    return f"icd10cm:{tab.version}:{code}"


def code_records(tab: Tabular) -> list[Record]:
    """One record per category, subcategory and code, plus one per inclusion term.

    Inclusion terms get their own vectors (``#inc1``...) pointing at the same code, so a
    synonym is matched on its own rather than diluted in a long description.
    """
    source = f"{tab.label} Tabular List"
    out: list[Record] = []
    for node in tab.codes():
        path = tab.ancestors(node.key)
        inclusion = node.notes.get("inclusion_terms", [])
        meta: dict[str, str | int | float | bool] = {
            "kind": "code",
            "code": node.code,
            "ref": node.code,
            "billable": tab.is_billable(node.key),
            "level": node.kind,
            "source": source,
            "version": f"FY{tab.version}",
            "path": " > ".join(f"{p.code} {p.description}" for p in path),
        }
        parents = " ".join(p.description for p in path[1:])
        out.append(
            Record(
                id=code_id(tab, node.code),
                text=node.description,
                metadata=meta,
                keywords=" ".join([node.code, *inclusion, parents]),
            )
        )
        for n, term in enumerate(inclusion, start=1):
            out.append(
                Record(
                    id=f"{code_id(tab, node.code)}#inc{n}",
                    text=term,
                    metadata={**meta, "alias": True, "matched": term},
                    keywords=node.description,
                )
            )
    return out
