"""How often each word root occurs in a code set's own text: the language its codes speak.

A question is read against every loaded code set's vocabulary to tell which one it is for
("standard wheelchair" speaks HCPCS, "laparoscopic appendectomy" ICD-10-PCS, "stage 3a CKD"
ICD-10-CM). Counts are document frequencies: in how many of the set's texts a root occurs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.text.stems import terms


@dataclass(frozen=True)
class Vocabulary:
    """Document frequency of each root over ``documents`` texts."""

    documents: int
    frequency: dict[str, int] = field(default_factory=dict, hash=False)

    def share(self, root: str) -> float:
        """The fraction of the texts holding ``root``."""
        return self.frequency.get(root, 0) / self.documents if self.documents else 0.0


def count_roots(texts: Iterable[str]) -> Vocabulary:
    """The vocabulary of a collection of texts (each text counts a root once)."""
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        counts.update(terms(text))
    return Vocabulary(n, dict(counts))
