"""LLM backends behind LangChain's ``BaseChatModel``: none by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.config import Settings


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings configure; None answers from the records alone."""
    return None
