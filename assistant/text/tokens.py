"""Words of a query or a title: the one tokenizer and stop-word list every search shares."""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")

# Words too common in code titles and questions to say anything about what is asked.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "do",
        "does",
        "i",
        "my",
        "me",
        "code",
        "codes",
        "icd",
    ]
)


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words of a text, in order."""
    return WORD.findall(text.lower())


def query_terms(text: str) -> list[str]:
    """Search words of a query: lower-case, no stop words, order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)
