"""The answer chain: read the turn, compose a grounded answer, let an LLM word it if one is
configured, and guard every code in what comes out.

The invalid-code guard runs last on whatever is shown, partial streamed text included, so no
code that exists in none of the loaded code sets is ever shown unmarked.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer import unreadable
from assistant.answer.compose import Composer
from assistant.answer.followup import user_turns
from assistant.answer.guard import guard
from assistant.config import Settings
from assistant.core import gate
from assistant.core.answer import Answer
from assistant.llm import writer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)
MAX_CHARS = int(Settings.model_fields["max_question_chars"].default)
REMOTE_NOTICE = (
    "Note: an LLM backend outside this machine ({where}) words the answers, so your questions "
    "and the sources are sent to it."
)


class Turn(TypedDict, total=False):
    """One chat turn: the question and the earlier messages (``{"role", "content"}``)."""

    question: str
    history: list[dict[str, Any]]


class AnswerChain:
    """question (+ history) -> Answer; ``stream`` yields the answer as it grows."""

    def __init__(
        self,
        composer: Composer,
        llm: BaseChatModel | None = None,
        remote: str = "",
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.composer = composer
        self.llm = llm
        self.remote = remote  # where a non-loopback backend is, for a one-time notice
        self.max_chars = max_chars
        self._noticed = False

    def invoke(self, turn: str | Turn) -> Answer:
        *_growing, last = self.stream(turn)
        return last

    def as_runnable(self) -> Runnable[Any, Answer]:
        return RunnableLambda(self.invoke)

    def stream(self, turn: str | Turn) -> Iterator[Answer]:
        """The answer as it grows; ``gate.BadInput`` for an empty or over-long question."""
        question, history = _unpack(turn)
        question, history = gate.question(question, self.max_chars), gate.history(history)
        early = unreadable.answer(question)
        if early is not None:  # no LLM call for noise: nothing in it to word
            yield apply_guard(early, self.composer)
            return
        answer = self._compose(question, history)
        if self.llm is None or not answer.citations:
            yield apply_guard(answer, self.composer)
            return
        draft = copy.deepcopy(answer)
        notice = self._notice()
        try:
            text = ""
            for text in writer.stream(self.llm, answer):
                partial = copy.copy(answer)
                partial.answer = notice + text
                yield apply_guard(partial, self.composer)
            answer.answer = notice + writer.finish(text, answer, self.composer.codesets)
            answer.extra["llm"] = {"used": True}
        except Exception as exc:  # a backend that is down, slow or returns garbage
            why = writer.reason(exc)
            log.warning("LLM backend failed: %s; answering from the records", why)
            answer = writer.fallback(draft, why)
        yield apply_guard(answer, self.composer)

    def _compose(self, question: str, history: list[dict[str, Any]]) -> Answer:
        """The grounded answer; with an LLM a follow-up is first made a standalone question."""
        earlier = user_turns(history)
        if self.llm is not None and earlier:
            try:
                standalone = writer.condense(self.llm, question, earlier)
            except Exception as exc:
                log.warning("LLM backend failed to condense: %s", writer.reason(exc))
            else:
                answer = self.composer.answer(standalone)
                answer.answer = f"Read as: {standalone}\n\n{answer.answer}"
                answer.extra["read_as"] = standalone
                return answer
        return self.composer.answer(question, history)

    def _notice(self) -> str:
        if not self.remote or self._noticed:
            return ""
        self._noticed = True
        return REMOTE_NOTICE.format(where=self.remote) + "\n\n"


def build_chain(
    composer: Composer,
    llm: BaseChatModel | None = None,
    remote: str = "",
    max_chars: int = MAX_CHARS,
) -> AnswerChain:
    """The chain every interface answers through."""
    return AnswerChain(composer, llm, remote, max_chars)


def _unpack(turn: str | Turn) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(turn, str):
        return turn, []
    question = turn.get("question")
    return question if isinstance(question, str) else "", list(turn.get("history") or [])


def apply_guard(answer: Answer, composer: Composer) -> Answer:
    """Mark invalid codes in the text and drop them from the answer's code lists."""
    result = guard(answer.answer, composer.codesets)
    answer.answer = result.text
    keep = [i for i, c in enumerate(answer.codes) if c not in result.invalid]
    if answer.code_sets and len(answer.code_sets) == len(answer.codes):
        answer.code_sets = [answer.code_sets[i] for i in keep]
    answer.codes = [answer.codes[i] for i in keep]
    answer.report = [c for c in answer.report if c not in result.invalid]
    if not answer.code_sets and answer.codes:
        answer.code_sets = [result.code_sets.get(c, "") for c in answer.codes]
    answer.guard = {"checked": result.checked, "invalid": list(result.invalid)}
    return answer
