"""The shared search backends a code set builds its search on."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore
from assistant.text.bridges import Bridge


@dataclass
class SearchBackends:
    """The vector store (with its embedder), the lexical index and the wording bridges."""

    store: VectorStore
    lexical: LexicalIndex
    k: int = 5
    bridges: list[Bridge] = field(default_factory=list)
