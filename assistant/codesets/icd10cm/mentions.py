"""ICD-10-CM codes in prose: which code-like tokens an answer or a question means as codes.

What counts as code-like: a token that normalises as an ICD-10-CM code and either exists, is
written with a dot (``X99.99``), is seven characters or more (``E11999``), or is a bare
category-shaped token that the text calls a code ("code B99", ranges "E08-E13"). Bare
category-shaped words that are not codes ("vitamin B12", "A1C", "H2O", "T2DM") are left alone,
and so is a HCPCS Level II code that the text names as one ("HCPCS code E0100").
"""

from __future__ import annotations

import re

from assistant.codesets.icd10cm.syntax import CODE_TOKEN, normalize_code
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.core.codeset import Mention

NAME = "icd10cm"

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
_RANGE_TEXT = re.compile(r"[A-Za-z][0-9A-Za-z]{2}-[A-Za-z][0-9A-Za-z]{2}")
_HCPCS_SHAPE = re.compile(r"^[A-V][0-9]{4}$")
_HCPCS_TALK = re.compile(r"\bHCPCS\b|\bLevel II\b", re.I)
HCPCS_CONTEXT = 300  # characters before a token searched for the words naming HCPCS


def find_mentions(text: str, tab: Tabular) -> list[Mention]:
    """Every ICD-10-CM code-like token of ``text``, valid or not, in order of appearance."""
    out: list[Mention] = []
    for match in CODE_TOKEN.finditer(text):
        token = match.group(1)
        if _TRUNCATED.match(text, match.end()):
            continue  # the head of an over-long code ("S72" of "S72.00123"), handled below
        code = normalize_code(token.rstrip("-").rstrip("."))
        if code is None:
            continue
        in_range = _starts_range(text, match.end()) or _ends_range(text, match.start())
        if in_range and _official_range(text, match.start(), match.end(), tab):
            # "U00-U85" names Chapter 22 even though U00 itself is no code.
            # A range is cited, never reported, so there is nothing to complete.
            out.append(Mention(match.start(), match.end(), token, NAME, token, complete=True))
            continue
        node = tab.node(code)
        if node is None and not _looks_like_code(text, match.start(), token, in_range):
            continue
        if (
            node is None
            and _HCPCS_SHAPE.match(token)
            and _HCPCS_TALK.search(text[: match.start()][-HCPCS_CONTEXT:])
        ):
            continue  # a HCPCS Level II code named as such ("J0013"): another code set's
        if node is None:
            out.append(Mention(match.start(), match.end(), token, NAME))
            continue
        dashed = token.endswith("-") or (text.startswith("-", match.end()) and not in_range)
        complete = not dashed and tab.is_billable(code)
        written = token if not dashed or token.endswith("-") else f"{token}-"
        out.append(Mention(match.start(), match.end(), written, NAME, node.code, complete))
    for match in _OVERLONG.finditer(text):
        out.append(Mention(match.start(), match.end(), match.group(0), NAME))
    return sorted(out, key=lambda m: m.start)


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
