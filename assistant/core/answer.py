"""What every interface shows: an answer, its numbered sources and the codes it names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Heads the notes a code inherits from its category, block and chapter, after its own notes,
# so a reader (and the page, which folds them) sees where the code's own notes end.
INHERITED_NOTES = "Inherited notes"


@dataclass
class Citation:
    n: int
    source: str
    ref: str
    text: str


@dataclass
class Answer:
    """A composed answer. ``codes`` lists every code the answer shows (alternatives included)
    and ``code_sets`` the code set of each; ``report`` the codes to report, in order."""

    question: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    route: str = ""
    guard: dict[str, Any] = field(default_factory=dict)
    code_sets: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # structured parts for the page

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "codes": self.codes,
            "code_sets": self.code_sets,
            "report": self.report,
            "route": self.route,
            "guard": self.guard,
            **self.extra,
        }


class Sources:
    """Numbered citations collected while an answer is written; one number per source+ref."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def cite(self, source: str, ref: str, text: str) -> int:
        for c in self.items:
            if (c.source, c.ref) == (source, ref):
                return c.n
        self.items.append(Citation(len(self.items) + 1, source, ref, text))
        return len(self.items)
