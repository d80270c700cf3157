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

# English function words (pronouns, auxiliary and modal verbs, the pieces of contractions,
# "that", "not") beyond STOPWORDS. They say how a question is put, not what it is about:
# "hiccups that will not stop" is no less a diagnosis for HCPCS quality-measure texts saying
# "that" and "not" more often than ICD-10-CM titles do.
FUNCTION_WORDS = STOPWORDS | frozenset(
    [
        "am",
        "was",
        "were",
        "been",
        "being",
        "had",
        "did",
        "doing",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "t",
        "s",
        "d",
        "ll",
        "re",
        "ve",
        "m",
        "don",
        "doesn",
        "didn",
        "won",
        "wouldn",
        "cannot",
        "isn",
        "aren",
        "wasn",
        "weren",
        "hasn",
        "haven",
        "hadn",
        "shouldn",
        "couldn",
        "not",
        "that",
        "this",
        "these",
        "those",
        "there",
        "here",
        "it",
        "its",
        "itself",
        "i",
        "im",
        "ive",
        "we",
        "our",
        "us",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "so",
        "very",
        "just",
        "also",
        "really",
        "still",
        "ever",
        "keeps",
        "keep",
        "going",
        "get",
        "gets",
        "got",
        "getting",
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
