"""The invalid-code guard: every code-like token in an answer is checked against the code sets
and a code that exists in none of them is marked in the text, so it is never shown as a code.

Each code set says which tokens of a text are its codes (``CodeSet.mentions``); a token that
one code set finds valid is valid, and one that code sets claim but none finds is marked with
the name of the code set it was written for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.core.codeset import CodeSet, Mention


def invalid_mark(title: str) -> str:
    """The mark written after an invalid code: `` [not a valid ICD-10-CM code]``."""
    return f" [not a valid {title} code]"


@dataclass
class GuardResult:
    """The answer with invalid codes marked, and what the guard saw."""

    text: str
    checked: int  # code-like tokens checked
    invalid: list[str] = field(default_factory=list)  # as written, in order of appearance
    # Valid but not final: headers, codes still needing a character, and codes written with
    # a trailing "-" or ".-" ("T36.0X5-", "E11.-"), which stand for the codes under them.
    incomplete: list[str] = field(default_factory=list)
    code_sets: dict[str, str] = field(default_factory=dict)  # valid code -> its code set


def guard(text: str, codesets: Sequence[CodeSet]) -> GuardResult:
    """Check every code-like token of ``text`` against ``codesets``; mark the invalid ones."""
    titles = {cs.name: cs.title for cs in codesets}
    spans: dict[tuple[int, int], list[Mention]] = {}
    for cs in codesets:
        for mention in cs.mentions(text):
            spans.setdefault((mention.start, mention.end), []).append(mention)
    result = GuardResult(text, checked=0)
    marks: list[tuple[int, str]] = []
    for (_start, end), found in sorted(_outermost(spans).items()):
        result.checked += 1
        valid = [m for m in found if m.valid]
        if valid:
            best = next((m for m in valid if m.complete), valid[0])
            result.code_sets[best.code or best.text] = best.code_set
            if not best.complete:
                result.incomplete.append(best.text)
            continue
        result.invalid.append(found[0].text)
        names = " or ".join(dict.fromkeys(titles[m.code_set] for m in found))
        marks.append((end, names))
    result.text = _mark(text, marks)
    return result


def _outermost(spans: dict[tuple[int, int], list[Mention]]) -> dict[tuple[int, int], list[Mention]]:
    """Spans not inside a longer span of another code set (``0DTJ4ZZ`` over a shorter token)."""
    keys = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    kept: dict[tuple[int, int], list[Mention]] = {}
    reach = -1
    for start, end in keys:
        if start < reach and end <= reach:
            continue
        kept[(start, end)] = spans[(start, end)]
        reach = max(reach, end)
    return kept


def _mark(text: str, marks: list[tuple[int, str]]) -> str:
    """Insert the invalid-code mark after each token, once (the guard may run twice)."""
    if not marks:
        return text
    out: list[str] = []
    last = 0
    for end, names in sorted(set(marks)):
        # Keep a trailing "-" of an incomplete code with the code it belongs to.
        while end < len(text) and text[end] == "-":
            end += 1
        out.append(text[last:end])
        mark = invalid_mark(names)
        if not text.startswith(mark, end) and end >= last:
            out.append(mark)
        last = end
    out.append(text[last:])
    return "".join(out)
