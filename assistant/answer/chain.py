"""The answer chain: compose a grounded answer, optionally let an LLM word it, guard its codes.

The invalid-code guard runs last on whatever comes out, so no code that exists in none of the
loaded code sets is ever shown unmarked.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.compose import Composer
from assistant.answer.guard import guard
from assistant.core.answer import Answer


def build_chain(composer: Composer, llm: BaseChatModel | None = None) -> Runnable[str, Answer]:
    """question -> grounded Answer (optionally rewritten by an LLM) -> invalid-code guard."""

    def compose(question: str) -> Answer:
        return composer.answer(question)

    def rewrite(answer: Answer) -> Answer:
        if llm is None or not answer.citations:
            return answer
        sources = "\n".join(f"[{c.n}] {c.source} {c.ref}: {c.text}" for c in answer.citations)
        prompt = (
            "Rewrite this grounded answer for a medical coder. Use only the numbered sources, "
            "keep every code exactly as written and keep the [n] citation markers.\n\n"
            f"Question: {answer.question}\n\nAnswer:\n{answer.answer}\n\nSources:\n{sources}"
        )
        answer.answer = str(llm.invoke(prompt).content)
        return answer

    def check(answer: Answer) -> Answer:
        return apply_guard(answer, composer)

    return RunnableLambda(compose) | RunnableLambda(rewrite) | RunnableLambda(check)


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
