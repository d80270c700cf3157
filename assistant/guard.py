"""The invalid-code guard: every code-like token in an answer is checked against the release
and a code that does not exist is marked in the text, so it is never presented as a code.

What counts as code-like: a token that normalises as an ICD-10-CM code and either exists, is
written with a dot (``X99.99``), is seven characters or more (``E11999``), or is a bare
category-shaped token that the text calls a code ("code B99", ranges "E08-E13"). Bare
category-shaped words that are not codes ("vitamin B12", "A1C", "H2O", "T2DM") are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.codes import CODE_TOKEN, normalize_code
from assistant.tabular import CODE_SET, Tabular

INVALID_MARK = f" [not a valid {CODE_SET} code]"

# Dotted tokens longer than any code ("S72.00123") are outside CODE_TOKEN; they are invalid.
_OVERLONG = re.compile(r"(?<![\w.])[A-Za-z][0-9][0-9A-Za-z]\.[0-9A-Za-z]{5,}(?![\w])")
_TRUNCATED = re.compile(r"\.?[0-9A-Za-z]")
# The word before a bare token that makes it a code reference ("code B99", "category E15").
_CODE_WORD = re.compile(
    r"\b(?:icd-10-cm|icd-10|codes?|category|categories|subcategory|subcategories)\W*$",
    re.IGNORECASE,
)
_RANGE_NEXT = re.compile(r"\.?-{1,2}[A-Za-z][0-9]")
_RANGE_PREV = re.compile(r"[A-Za-z][0-9][0-9A-Za-z.]*-{1,2}$")


@dataclass
class GuardResult:
    """The answer with invalid codes marked, and what the guard saw."""

    text: str
    checked: int  # code-like tokens checked
    invalid: list[str] = field(default_factory=list)  # as written, in order of appearance
    # Valid but not final: headers, codes still needing a 7th character, and codes written
    # with a trailing "-" or ".-" ("T36.0X5-", "E11.-"), which stand for the codes under them.
    incomplete: list[str] = field(default_factory=list)


_HCPCS_SHAPE = re.compile(r"^[A-V][0-9]{4}$")
_HCPCS_TALK = re.compile(r"\bHCPCS\b|\bLevel II\b", re.I)
_RANGE_TEXT = re.compile(r"[A-Za-z][0-9A-Za-z]{2}-[A-Za-z][0-9A-Za-z]{2}")


def guard(text: str, tab: Tabular) -> GuardResult:
    """Check every code-like token of ``text`` against ``tab`` and mark the invalid ones."""
    marks: list[int] = []  # end offsets of invalid codes
    found: list[tuple[int, str]] = []  # (offset, token) of invalid codes
    incomplete: list[str] = []
    checked = 0
    for match in CODE_TOKEN.finditer(text):
        token = match.group(1)
        if _TRUNCATED.match(text, match.end()):
            continue  # the head of an over-long code ("S72" of "S72.00123"), handled below
        code = normalize_code(token.rstrip("-").rstrip("."))
        if code is None:
            continue
        in_range = _starts_range(text, match.end()) or _ends_range(text, match.start())
        if in_range and _official_range(text, match.start(), match.end(), tab):
            checked += 1  # "U00-U85" names Chapter 22 even though U00 itself is no code
            continue
        exists = tab.node(code) is not None
        if not exists and not _looks_like_code(text, match.start(), token, in_range):
            continue
        if (
            not exists
            and _HCPCS_SHAPE.match(token)
            and _HCPCS_TALK.search(text[: match.start()][-300:])
        ):
            continue  # a HCPCS Level II code named as such ("J0013"): another code set
        checked += 1
        if not exists:
            found.append((match.start(), token))
            marks.append(match.end())
            continue
        dashed = token.endswith("-") or (text.startswith("-", match.end()) and not in_range)
        if dashed:
            incomplete.append(token if token.endswith("-") else f"{token}-")
        elif not tab.is_billable(code):
            incomplete.append(token)
    for match in _OVERLONG.finditer(text):
        checked += 1
        found.append((match.start(), match.group(0)))
        marks.append(match.end())
    invalid = [token for _start, token in sorted(found)]
    return GuardResult(_mark(text, marks), checked, invalid, incomplete)


def _official_range(text: str, start: int, end: int, tab: Tabular) -> bool:
    """Whether the range the token at ``start:end`` belongs to is a block or chapter span."""
    for found in _RANGE_TEXT.finditer(text, max(0, start - 5), min(len(text), end + 5)):
        if found.start() <= start and end <= found.end():
            return found.group(0).upper() in tab.ranges
    return False


def _starts_range(text: str, end: int) -> bool:
    """``E08`` in ``E08-E13``."""
    return bool(_RANGE_NEXT.match(text, end))


def _ends_range(text: str, start: int) -> bool:
    """``E13`` in ``E08-E13``."""
    return bool(_RANGE_PREV.search(text[max(0, start - 10) : start]))


def _looks_like_code(text: str, start: int, token: str, in_range: bool) -> bool:
    """Whether a token that is not in the release was meant as a code (see module doc)."""
    bare = token.rstrip("-").rstrip(".")
    if not bare[1].isdigit():
        return False  # every ICD-10-CM code has a digit second ("CD4", "IL6" are not codes)
    if "." in bare or len(bare) >= 7 or in_range:
        return True
    if len(bare) > 3 and bare[1:4].isdigit():
        return True  # "E1199": the shape of a code typed without its dot
    return bool(_CODE_WORD.search(text[max(0, start - 30) : start]))


def _mark(text: str, marks: list[int]) -> str:
    """Insert the invalid-code mark after each token, once (the guard may run twice)."""
    if not marks:
        return text
    out: list[str] = []
    last = 0
    for end in sorted(set(marks)):
        # Keep a trailing "-" of an incomplete code with the code it belongs to.
        while end < len(text) and text[end] == "-":
            end += 1
        out.append(text[last:end])
        if not text.startswith(INVALID_MARK, end):
            out.append(INVALID_MARK)
        last = end
    out.append(text[last:])
    return "".join(out)
