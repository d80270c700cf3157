"""The seam every code set plugs into: what the router, guard, answers, CLI and ingest need.

A code set (ICD-10-CM, ICD-10-PCS, HCPCS Level II, a licensed CPT file) knows its own code
syntax, which codes exist and are complete, what to say about a code, which records it adds to
the store and how its codes are searched. Nothing outside ``assistant/codesets/`` names one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assistant.core.records import Record
from assistant.core.vocabulary import Vocabulary

if TYPE_CHECKING:
    from assistant.search.backends import SearchBackends


class UnknownCodeError(ValueError):
    """A code that is not in the release; the one-line message names the nearest valid codes."""

    def __init__(self, code: str, nearest: list[str], release: str, why: str = "") -> None:
        self.code = code
        self.nearest = nearest
        listed = ", ".join(nearest) if nearest else "none"
        detail = f": {why}" if why else ""
        super().__init__(
            f"{code} is not a valid {release} code{detail}; nearest valid codes: {listed}"
        )


@dataclass(frozen=True)
class CodeInfo:
    """What every answer shows of a code: its description, whether it is complete as written
    (billable / reportable), and its code set."""

    code: str
    description: str
    billable: bool
    code_set: str  # registry name: "icd10cm", "icd10pcs", "hcpcs", "cpt"


@dataclass(frozen=True)
class Mention:
    """A code-like token found in prose by one code set."""

    start: int
    end: int
    text: str  # as written
    code_set: str
    code: str | None = None  # canonical form when the code exists
    complete: bool = False  # reportable as written (no header, no missing character)

    @property
    def valid(self) -> bool:
        return self.code is not None


@dataclass
class CodeHit:
    """A code found for a query, with how it was found."""

    code: str
    description: str
    billable: bool
    score: float
    matched: str
    via: list[str] = field(default_factory=list)
    dense: float = 0.0  # best cosine similarity of the code's own vectors to the query
    code_set: str = ""
    detail: dict[str, Any] = field(default_factory=dict)  # code-set specific (units, axes)


@dataclass(frozen=True)
class IngestGroup:
    """Records one source contributes to one store collection, made only when ingest runs."""

    group: str  # ledger name, unique across the store ("icd10cm", "index-drug", ...)
    collection: str
    make: Callable[[], list[Record]]


class CodeSearch(Protocol):
    """How a code set's codes are found for a description."""

    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]: ...


@runtime_checkable
class CodeSet(Protocol):
    """One code set and release."""

    name: str  # registry name, the JSON "code_set" value
    title: str  # "ICD-10-CM"
    release: str  # "FY2026", "January 2026"
    collection: str  # store collection holding its code records
    names: re.Pattern[str]  # how a question names this code set ("HCPCS", "ICD-10-PCS")

    @property
    def label(self) -> str:
        """Code set and release as every answer names them: ``ICD-10-CM FY2026``."""
        ...

    @property
    def source_label(self) -> str:
        """How a citation names the source of a code: ``ICD-10-CM FY2026 Tabular List``."""
        ...

    def normalize(self, text: str) -> str | None:
        """The canonical spelling of a typed code (``e1165`` -> ``E11.65``), or None when the
        text does not have this code set's syntax. Says nothing about existence."""
        ...

    def info(self, code: str) -> CodeInfo | None:
        """The code's description and completeness, or None when it does not exist."""
        ...

    def details(self, code: str) -> dict[str, Any]:
        """Everything ``medcode code CODE --json`` prints; ``UnknownCodeError`` if invalid."""
        ...

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        """Valid codes closest to a mistyped one."""
        ...

    def complete(
        self, code: str, context: str | None = None, limit: int | None = None
    ) -> list[str]:
        """Complete codes for ``code``: itself when final, else those under it, narrowed by what
        ``context`` (the question) says."""
        ...

    def mentions(self, text: str) -> list[Mention]:
        """Code-like tokens of this code set in prose, valid or not."""
        ...

    def brief(self, code: str, context: str | None = None, full: bool = False) -> list[str]:
        """Markdown lines an answer shows under a code (its notes, axes or descriptions), read
        against the question in ``context``; ``full`` for everything a code lookup shows."""
        ...

    def ingest_groups(self) -> list[IngestGroup]:
        """The records this code set adds to the store."""
        ...

    def searcher(self, backends: SearchBackends) -> CodeSearch:
        """The search that finds this code set's codes, built on the shared backends."""
        ...

    @property
    def vocabulary(self) -> Vocabulary:
        """The word roots of this set's own texts, to tell which set a question is for."""
        ...


def label_of(title: str, release: str) -> str:
    """``ICD-10-CM`` + ``FY2026`` -> ``ICD-10-CM FY2026``."""
    return f"{title} {release}".strip()
