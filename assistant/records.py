"""The unit every source is ingested as: a stable id, the text to search, citation metadata."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Record:
    """One searchable item (a code, a guideline passage, an index entry, a knowledge section).

    ``metadata`` carries what the citation needs: ``kind``, ``source``, ``version``, ``ref``
    (code, section id or heading) and, for codes, ``code`` and ``billable``.
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
