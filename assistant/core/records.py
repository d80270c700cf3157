"""The unit every source is ingested as: a stable id, the text to search, citation metadata.

Record ids have one scheme, written here only: ``<source>:<version>:<key>`` for the record a
citation points at (``icd10cm:2026:E11.65``, ``guidelines:2026:I.C.1.d.4:0``), and an alias
suffix for the extra vectors that stand for it (``...#inc1`` an inclusion term, ``...#topic``
the heading alone, ``...#part2`` a window of a long passage). Search folds an alias back onto
the record it stands for with :func:`base_id`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

Scalar = str | int | float | bool

INCLUSION = "#inc"  # an inclusion term of a code, embedded on its own
TOPIC = "#topic"  # a passage's heading path alone
PART = "#part"  # an overlapping window of a long passage
_ALIAS = "#"


def record_id(source: str, version: str, key: str) -> str:
    """The id of a record: ``record_id("icd10cm", "2026", "E11.65")`` -> ``icd10cm:2026:E11.65``."""
    return f"{source}:{version}:{key}"


def alias_id(base: str, suffix: str, n: int | None = None) -> str:
    """The id of an extra vector standing for ``base`` (``...#inc1``, ``...#topic``)."""
    return f"{base}{suffix}{'' if n is None else n}"


def base_id(rid: str) -> str:
    """The record an id stands for: an alias folded back onto its base record."""
    return rid.split(_ALIAS, 1)[0]


def key_of(rid: str) -> str:
    """The last part of a record id (the code of a code record)."""
    return base_id(rid).rsplit(":", 1)[-1]


@dataclass(frozen=True)
class Record:
    """One searchable item (a code, a guideline passage, an index entry, a knowledge section).

    ``metadata`` carries what the citation needs: ``kind``, ``source``, ``version``, ``ref``
    (code, section id or heading) and, for codes, ``code``, ``code_set`` and ``billable``.
    """

    id: str
    text: str
    metadata: dict[str, Scalar] = field(default_factory=dict)
    keywords: str = ""  # extra words for the lexical index only (parent titles, synonyms)

    @property
    def kind(self) -> str:
        return str(self.metadata.get("kind", ""))

    @property
    def content_hash(self) -> str:
        """Hash of text and metadata; an unchanged hash means the stored copy is current."""
        payload = json.dumps(
            [self.text, self.metadata, self.keywords], sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
