"""Answers for text the gate says is no coding question, or names a code no code set can have:
said plainly, rather than a best match for noise."""

from __future__ import annotations

from assistant.core import gate
from assistant.core.answer import Answer

ROUTE = "unreadable"
INVALID_CODE = "code"  # the route of the code answers, which also say when a code is invalid


def answer(question: str) -> Answer | None:
    """The answer for unreadable text or an over-long code-like token; None for a question the
    composers should answer. ``question`` has been through ``gate.clean``."""
    overlong = gate.overlong_codes(question)
    if overlong:
        text = "\n".join(gate.overlong_message(token) + "." for token in overlong)
        return Answer(question, text, route=INVALID_CODE, extra={"invalid_codes": overlong})
    if not gate.readable(question):
        return Answer(question, gate.UNREADABLE, route=ROUTE)
    return None
