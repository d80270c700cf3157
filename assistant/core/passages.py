"""Extra vectors for a passage: its heading path alone, and windows of a long body.

A search scores a passage by the best of its vectors, so a question that names only the topic
finds it, and so does one about a sentence near the end of a long section.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from assistant.core.records import PART, TOPIC, Record, Scalar, alias_id

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# A window fits well inside the embedding model's input (all-MiniLM-L6-v2 reads 256 word
# pieces and silently drops the rest), so the end of a long section is still searchable.
PART_CHARS = 300
PART_OVERLAP = 80


@cache
def _splitter() -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=PART_CHARS, chunk_overlap=PART_OVERLAP, separators=["\n\n", "\n", ". ", " "]
    )


def topic_record(base_id: str, topic: str, meta: dict[str, Scalar]) -> Record:
    """A second vector for a passage holding only its heading path: what the passage is about,
    undiluted by its body (a question often names the topic, not the wording of the rule)."""
    return Record(id=alias_id(base_id, TOPIC), text=topic, metadata={**meta, "alias": True})


def window_records(
    base_id: str,
    topic: str,
    text: str,
    meta: dict[str, Scalar],
    longer_than: int = PART_CHARS,
) -> list[Record]:
    """Extra vectors for the overlapping windows of a passage longer than ``longer_than``
    characters, each headed by its topic."""
    if len(text) <= longer_than:
        return []
    return [
        Record(
            id=alias_id(base_id, PART, n), text=f"{topic}\n{part}", metadata={**meta, "alias": True}
        )
        for n, part in enumerate(_splitter().split_text(text), 1)
    ]
