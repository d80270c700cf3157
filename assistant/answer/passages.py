"""Answers quoted from passages: the Official Guidelines, and the career knowledge files."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.answer import missing, router
from assistant.answer.case import case_lines
from assistant.core.answer import Answer, Sources
from assistant.search.passages import Passage

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

SHOWN = 3  # passages quoted per answer
# Characters quoted: the first passage nearly whole, the others enough to judge them by.
GUIDELINE_QUOTE = (700, 300)
CAREER_QUOTE = (1500, 1200)

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_STATES = [
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
]


def guideline(composer: Composer, question: str, decision: router.Route) -> Answer:
    found = decision.passages.get(router.GUIDELINE) or composer.guidelines.search(question, k=SHOWN)
    if not found and not composer.guidelines_loaded:
        return missing.guidelines(question, router.GUIDELINE)
    if not found:
        return Answer(
            question,
            "No passage of the Official Guidelines matches this question; name the topic "
            '("sepsis", "principal diagnosis") or the section ("I.C.1.d").',
            route=router.GUIDELINE,
        )
    sources = Sources()
    lines = []
    for i, p in enumerate(found):
        meta = p.record.metadata
        n = sources.cite(
            str(meta["citation"]), str(meta["ref"]), str(meta.get("passage", p.record.text))
        )
        limit = GUIDELINE_QUOTE[0] if i == 0 else GUIDELINE_QUOTE[1]
        quote = excerpt(str(meta.get("passage") or meta.get("title")), limit)
        head = f"Section {meta['ref']} {meta.get('title', '')}".strip()
        lines.append(f"**{head}** [{n}]\n> {quote}")
    first = found[0].record.metadata
    lines.append(f"\nSource: {first['source']} {first['version']}.")
    named, codes = case_lines(composer, question, sources)
    if named:
        lines.append("\n".join(named))
    return Answer(question, "\n\n".join(lines), sources.items, codes, router.GUIDELINE)


def career(composer: Composer, question: str, decision: router.Route) -> Answer:
    found = decision.passages.get(router.CAREER) or composer.career.search(question, k=SHOWN)
    if not found:
        return Answer(
            question,
            "The career knowledge files are not ingested; run `medcode ingest`.",
            route=router.CAREER,
        )
    sources = Sources()
    lines = []
    gaps = unanswered_specifics(question, found)
    if gaps:
        lines.append(f"My sources do not cover {', '.join(gaps)}; here is what they do say.")
    for i, p in enumerate(found):
        meta = p.record.metadata
        n = sources.cite(str(meta["source"]), str(meta["ref"]), str(meta.get("passage", "")))
        limit = CAREER_QUOTE[0] if i == 0 else CAREER_QUOTE[1]
        body = excerpt(str(meta.get("passage", "")), limit)
        lines.append(f"**{meta['ref']}** ({meta['source']}) [{n}]\n{body}")
    return Answer(question, "\n\n".join(lines), sources.items, [], router.CAREER)


def unanswered_specifics(question: str, found: list[Passage]) -> list[str]:
    """Years and US states the question names that no retrieved passage mentions."""
    text = " ".join(str(p.record.metadata.get("passage", p.record.text)) for p in found)
    asked = [m.group(0) for m in _YEAR.finditer(question)]
    asked += [s for s in _STATES if re.search(rf"\b{s}\b", question)]
    return [a for a in asked if a not in text]


def excerpt(text: str, limit: int) -> str:
    """Whitespace collapsed, cut at a word boundary before ``limit`` characters, with no
    unpaired ``**`` left by the cut (or by a passage window that starts inside bold text)."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " ..."
    return balance_bold(text)


def balance_bold(text: str) -> str:
    """Drop an unpaired ``**``: the first when it closes bold opened before the text began
    ("PC** (founded"), else the last (bold the cut never closed). An unpaired one is shown
    as asterisks and shifts every bold pair after it ("AA**PC**")."""
    if text.count("**") % 2 == 0:
        return text
    first = text.index("**")
    after = text[first + 2 : first + 3]
    closes = first > 0 and not text[first - 1].isspace() and (not after or not after.isalnum())
    at = first if closes else text.rindex("**")
    return text[:at] + text[at + 2 :]
