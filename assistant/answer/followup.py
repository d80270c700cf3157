"""Follow-up turns read against the conversation, without an LLM.

A turn that only adds or changes qualifiers ("right side, first visit", "what if it's type 1?",
"actually it's the left leg", "and for the subsequent visit?") refines the last question: its
qualifiers replace the ones of the same kind, the rest of the question stays. A turn that names
a condition, a code or a rule question of its own starts afresh; "and E11.65?" after "what is
E11.9?" asks the same of the new code. The reading is shown ("Read as: ...") so a coder can
correct it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.text.tokens import STOPWORDS, words

# Kinds of qualifier a coder adds to a description, each a pattern and how it is written back.
# A turn's qualifier of one kind replaces the question's qualifier of that kind.
QUALIFIERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("side", re.compile(r"\b(?:right|left|bilateral|both sides)(?:[- ]sided)?\b", re.I)),
    (
        "encounter",
        re.compile(
            r"\b(?:(?:first|initial|new|second|subsequent|later|follow[- ]?up|er|ed)\s+"
            r"(?:visit|encounter)s?|initial|subsequent|follow[- ]?ups?|recheck|sequela|late effects?)\b",
            re.I,
        ),
    ),
    ("stage", re.compile(r"\bstage\s+(?:[0-5](?:[ab])?|i{1,3}v?|iv|v|end)\b|\besrd\b", re.I)),
    ("type", re.compile(r"\btype\s+(?:1|2|i|ii|one|two)\b", re.I)),
    ("severity", re.compile(r"\b(?:mild|moderate|severe)\b", re.I)),
    ("persistence", re.compile(r"\b(?:intermittent|persistent)\b", re.I)),
    ("acuity", re.compile(r"\b(?:acute on chronic|acute|chronic)\b", re.I)),
    ("episode", re.compile(r"\b(?:single episode|recurrent)\b", re.I)),
    ("fracture", re.compile(r"\b(?:open|closed|displaced|nondisplaced|non-displaced)\b", re.I)),
    ("trimester", re.compile(r"\b(?:first|second|third)\s+trimester\b", re.I)),
)
# Words that carry no content of their own in a follow-up ("what if it's ...", "actually").
_FILLER = frozenset(
    [
        "actually",
        "what",
        "if",
        "its",
        "it's",
        "it",
        "is",
        "was",
        "instead",
        "and",
        "but",
        "so",
        "then",
        "now",
        "also",
        "how",
        "about",
        "for",
        "the",
        "a",
        "an",
        "on",
        "of",
        "with",
        "side",
        "sided",
        "visit",
        "encounter",
        "please",
        "case",
        "patient",
        "same",
        "one",
        "this",
        "that",
        "same",
        "s",
        "ok",
        "okay",
        "sorry",
        "i",
        "mean",
        "meant",
    ]
)
# Body parts a side applies to; naming one beside a side is still a refinement ("left leg").
_BODY = re.compile(
    r"\b(?:arm|leg|hand|foot|feet|wrist|ankle|knee|hip|shoulder|elbow|eye|ear|side|limb|"
    r"upper|lower|extremity|breast|lung|kidney)s?\b",
    re.I,
)
_CODE_AND = re.compile(r"^\s*(?:and|what about|how about|also)\b", re.I)


@dataclass(frozen=True)
class Reading:
    """How a turn was read: the question to answer and, for a follow-up, what it refined."""

    question: str
    refined: bool = False
    previous: str = ""

    @property
    def read_as(self) -> str:
        return f"Read as: {self.question}" if self.refined else ""


def user_turns(history: Sequence[dict[str, Any]] | None) -> list[str]:
    """The user's turns of a chat history (``{"role", "content"}`` items), oldest first."""
    out = []
    for item in history or []:
        if isinstance(item, dict) and item.get("role") == "user":
            out.append(_text(item.get("content")))
    return [t for t in out if t.strip()]


def read(
    question: str, history: Sequence[dict[str, Any]] | None, has_codes: bool = False
) -> Reading:
    """The question a turn asks, given the user's earlier turns (each read the same way)."""
    current = ""
    for turn in user_turns(history):
        current = _step(current, turn, codes=False).question
    return _step(current, question, codes=has_codes)


# A turn that adds to the case ("and on long-term insulin?", "also has septic shock", "with
# hypertension too"): the condition joins the last description, so the answer reports the
# companion codes the notes call for together with the first code.
_ADDING = re.compile(r"^\s*(?:and|also|plus)\b|\b(?:too|as well)\s*[?.!]*\s*$", re.I)
_ADDED_EDGES = re.compile(
    r"^\s*(?:and|also|plus)\s+(?:also\s+)?|\s*\b(?:too|as well)\s*[?.!]*\s*$|[?.!]+\s*$", re.I
)
_ASKING = re.compile(
    r"\b(?:what|which|how|when|why|where|who|should|can|could|do|does|is|are)\b|\b[A-Z]\d", re.I
)
ADDED_WORDS = 6  # an added condition is named in a few words; a longer turn is a case of its own


def _step(current: str, turn: str, codes: bool) -> Reading:
    if current and not codes and not is_refinement(turn) and (added := addition(current, turn)):
        return Reading(f"{current.strip().rstrip('?. ')}, {added}", True, current)
    if not current or codes or not is_refinement(turn):
        if current and codes and _CODE_AND.match(turn) and _asks_about_a_code(current):
            # "and E11.65?" after "what is E11.9?": the same question of another code.
            return Reading(f"what is {_CODE_AND.sub('', turn).strip(' ?')}?", True, current)
        return Reading(turn.strip())
    return Reading(refine(current, turn), True, current)


def addition(current: str, turn: str) -> str:
    """What a turn adds to a described case ("on long-term insulin" of "and on long-term
    insulin?"), or "" when it is no addition or the case is a question of its own."""
    if not _ADDING.search(turn) or _ASKING.search(current) or current.strip().endswith("?"):
        return ""
    added = _ADDED_EDGES.sub("", turn).strip(" ,")
    if not added or _ASKING.search(added) or len(added.split()) > ADDED_WORDS:
        return ""
    return added


def is_refinement(turn: str) -> bool:
    """Whether a turn only adds or changes qualifiers (and names no condition of its own)."""
    found = any(pattern.search(turn) for _, pattern in QUALIFIERS)
    rest = turn
    for _, pattern in QUALIFIERS:
        rest = pattern.sub(" ", rest)
    rest = _BODY.sub(" ", rest)
    left = [w for w in words(rest) if w not in _FILLER and w not in STOPWORDS]
    return found and not left


def refine(question: str, turn: str) -> str:
    """``question`` with each qualifier kind the turn names replaced by the turn's value."""
    out = question.strip().rstrip("?. ")
    for _kind, pattern in QUALIFIERS:
        said = [m.group(0) for m in pattern.finditer(turn)]
        if not said:
            continue
        value = " ".join(dict.fromkeys(s.lower() for s in said))
        if pattern.search(out):
            first = pattern.search(out)
            assert first is not None
            rest = pattern.sub(" ", out[first.end() :])  # a second value of this kind goes
            out = f"{out[: first.start()]}{value}{rest}"
        else:
            out = f"{out}, {value}"
    return " ".join(re.sub(r"\s+,", ",", out).split()).strip(" ,")


def _asks_about_a_code(question: str) -> bool:
    return bool(re.search(r"[A-Za-z]\d", question)) and bool(
        re.search(r"\b(?:what is|what's|explain|describe|tell me about|notes?)\b", question, re.I)
    )


def _text(content: Any) -> str:
    """A message's text, from a string or Gradio's list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""
