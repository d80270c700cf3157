"""The Table of Drugs and Chemicals and the Table of Neoplasms, answered cell by cell.

A coder finds the substance or the site row, then the column for the intent (poisoning,
adverse effect, underdosing) or the behaviour (malignant primary, secondary, in situ, benign,
uncertain, unspecified), then completes the code in the Tabular List.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.codesets.icd10cm.seventh import complete, encounter_from_text
from assistant.codesets.icd10cm.syntax import normalize_code
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.records import Record
from assistant.search.lexical import LexicalIndex
from assistant.search.rerank import contradictions, missed

# (pattern, column) in order of precedence; the first that matches names the column.
_DRUG_COLUMNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(adverse (effect|reaction)|side[- ]effects?|reaction to|allergic reaction)\b", re.I
        ),
        "adverse_effect",
    ),
    (
        re.compile(r"\b(underdos\w*|too little|missed doses?|skipped doses?|took less)\b", re.I),
        "underdosing",
    ),
    (re.compile(r"\b(assault\w*|homicid\w*|by another person)\b", re.I), "poisoning_assault"),
    (
        re.compile(r"\b(intentional\w*|suicid\w*|self[- ]harm\w*|on purpose)\b", re.I),
        "poisoning_intentional",
    ),
    (re.compile(r"\b(undetermined)\b", re.I), "poisoning_undetermined"),
    (
        re.compile(r"\b(poison\w*|overdos\w*|toxic\w*|accidental\w*|ingest\w*|swallow\w*)\b", re.I),
        "poisoning_accidental",
    ),
)
_NEOPLASM_COLUMNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(secondary|metasta\w*|spread to)\b", re.I), "malignant_secondary"),
    (re.compile(r"\b(in situ|carcinoma in situ|cis)\b", re.I), "ca_in_situ"),
    (re.compile(r"\b(benign)\b", re.I), "benign"),
    (re.compile(r"\b(uncertain (behaviou?r)?)\b", re.I), "uncertain"),
    (re.compile(r"\b(unspecified (behaviou?r|nature))\b", re.I), "unspecified"),
    (re.compile(r"\b(malignan\w*|cancer|carcinoma|primary|sarcoma)\b", re.I), "malignant_primary"),
)
_NEOPLASM_WORDS = re.compile(
    r"\b(neoplasm|tumou?r|cancer|carcinoma|malignan\w*|metasta\w*|benign|in situ)\b", re.I
)
_FILLER = re.compile(
    r"\b(what|which|is|the|code|codes|for|of|an?|to|from|due|by|with|icd-?10(-cm)?|"
    r"neoplasm|tumou?r|primary|site|patient|initial|subsequent|encounter|visit|first|sequela)\b",
    re.I,
)


@dataclass
class TableAnswer:
    """The table row and column used, and the codes they lead to."""

    record: Record
    column: str
    cell: str
    codes: list[str]


def table_kind(question: str) -> tuple[str, str] | None:
    """("drug" | "neoplasm", column) when the question asks a table, else None."""
    if _NEOPLASM_WORDS.search(question):
        for pattern, column in _NEOPLASM_COLUMNS:
            if pattern.search(question):
                return "neoplasm", column
    for pattern, column in _DRUG_COLUMNS:
        if pattern.search(question):
            return "drug", column
    return None


def subject(question: str, table: str) -> str:
    """The substance or site the question is about, without intent and filler words."""
    patterns = _DRUG_COLUMNS if table == "drug" else _NEOPLASM_COLUMNS
    text = question
    for pattern, _ in patterns:
        text = pattern.sub(" ", text)
    text = _FILLER.sub(" ", text)
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


def lookup_table(
    question: str, lexical: LexicalIndex, tab: Tabular, limit: int = 5
) -> TableAnswer | None:
    """The best row of the asked table and the codes of the asked column, completed."""
    kind = table_kind(question)
    if kind is None:
        return None
    table, column = kind
    words = subject(question, table)
    if not words:
        return None
    ids = [rid for rid, _ in lexical.search("index", words, 60)]
    records = lexical.get(ids)
    rows = [records[i] for i in ids if i in records and records[i].metadata.get("index") == table]
    rows = [r for r in rows if r.metadata.get(f"col_{column}")]
    if not rows:
        return None
    wanted = set(words.lower().split())

    def fit(record: Record) -> tuple[int, int, int]:
        ref = str(record.metadata.get("ref", "")).lower()
        trail = set(re.findall(r"\w+", ref))
        # Words in parentheses are nonessential modifiers (ICD-10-CM convention I.A.7): they
        # say what a row covers without narrowing it, so they count for the question's words
        # but not for the trail's length ("breast (connective tissue) ..." is the main row,
        # "skin NOS, breast" a sub-row).
        essential = set(re.findall(r"\w+", re.sub(r"\([^)]*\)", " ", ref)))
        # Most query words covered, then the main row over sub-rows, then the shortest.
        return (-len(wanted & trail), int(record.metadata.get("level", 0)), len(essential))

    best = min(rows, key=fit)
    cell = str(best.metadata[f"col_{column}"])
    code = normalize_code(cell.rstrip("-."))
    codes: list[str] = []
    if code and tab.node(code) is not None:
        encounter = encounter_from_text(question) or "initial encounter"
        codes = complete(tab, code, encounter, limit=limit)
        # The codes under a cell in Tabular order, those whose side, acuity or other axis the
        # question contradicts or leaves unsaid last ("breast cancer, left": C50.912 first).
        codes.sort(key=lambda c: _misfit(question, _title(tab, c)))
    return TableAnswer(record=best, column=column, cell=cell, codes=codes)


def _title(tab: Tabular, code: str) -> str:
    node = tab.node(code)
    return node.description if node is not None else ""


def _misfit(question: str, title: str) -> tuple[int, int]:
    return contradictions(question, title), missed(question, title)
