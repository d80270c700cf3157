"""Stems and roots of words, so "lymphocytic" meets "lymphocyte" and "chlamydia" "chlamydial".

Snowball stemmer objects keep state between calls, so each thread gets its own; the results
are cached, and ``functools.lru_cache`` is safe to share between threads.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

from assistant.text.tokens import FUNCTION_WORDS, STOPWORDS, words

_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    found = getattr(_local, "stemmer", None)
    if found is None:
        found = _local.stemmer = snowballstemmer.stemmer("english")
    return found


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of one lower-case word."""
    return str(_stemmer().stemWord(word))


# Latin and adjectival endings that Snowball keeps: "chlamydia"/"chlamydial",
# "calculus"/"calculi", "bronchus"/"bronchial", "streptococcus"/"streptococcal".
_ENDINGS = ("ical", "ial", "ian", "iens", "ens", "al", "ic", "ia", "ae", "us", "um", "is", "a", "i")
MIN_ROOT = 5  # shorter roots are left alone ("media" must not meet "medial")


# Body-part adjectives and the nouns they are formed from, where the endings above do not meet:
# "pancreatic cancer" is a cancer of the pancreas, a "tibial fracture" a fracture of the
# tibia, and ICD-10-CM titles use both forms (C25.3 "pancreatic duct", C25.9 "pancreas").
# Forms of one word only (Merriam-Webster gives each adjective as "of, relating to ... the"
# noun); "cervical" is left out, being the neck's as well as the cervix's.
NOUN_OF = {
    "abdominal": "abdomen",
    "anal": "anus",
    "aortic": "aorta",
    "appendiceal": "appendix",
    "auricular": "auricle",
    "axillary": "axilla",
    "carpal": "carpus",
    "cecal": "cecum",
    "clavicular": "clavicle",
    "coccygeal": "coccyx",
    "cochlear": "cochlea",
    "femoral": "femur",
    "fibular": "fibula",
    "laryngeal": "larynx",
    "mandibular": "mandible",
    "maxillary": "maxilla",
    "muscular": "muscle",
    "nasopharyngeal": "nasopharynx",
    "ovarian": "ovary",
    "pancreatic": "pancreas",
    "patellar": "patella",
    "pelvic": "pelvis",
    "penile": "penis",
    "pericardial": "pericardium",
    "peritoneal": "peritoneum",
    "phalangeal": "phalanx",
    "pharyngeal": "pharynx",
    "rectal": "rectum",
    "sacral": "sacrum",
    "scapular": "scapula",
    "spinal": "spine",
    "splenic": "spleen",
    "synovial": "synovium",
    "tarsal": "tarsus",
    "tendinous": "tendon",
    "testicular": "testis",
    "thoracic": "thorax",
    "tibial": "tibia",
    "tonsillar": "tonsil",
    "ulnar": "ulna",
    "umbilical": "umbilicus",
    "ureteral": "ureter",
    "uterine": "uterus",
    "uvular": "uvula",
    "vulvar": "vulva",
}


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """The stem of ``word`` with one Latin or adjectival ending folded away (a body-part
    adjective reads as its noun)."""
    stemmed = stem(NOUN_OF.get(word, word))
    for ending in _ENDINGS:
        if stemmed.endswith(ending) and len(stemmed) - len(ending) >= MIN_ROOT:
            return stemmed[: -len(ending)]
    return stemmed


@lru_cache(maxsize=65536)
def terms(text: str) -> frozenset[str]:
    """The roots of a text's content words (the same query is read against many titles)."""
    return frozenset(root(w) for w in words(text) if w not in STOPWORDS)


@lru_cache(maxsize=4096)
def content_terms(text: str) -> frozenset[str]:
    """The roots of a text's words other than function words: what a question is about."""
    return frozenset(root(w) for w in words(text) if w not in FUNCTION_WORDS)
