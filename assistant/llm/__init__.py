"""LLM backends behind LangChain's ``BaseChatModel``: none by default, a local Ollama, or any
OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenAI). Each integration is imported
only when the settings choose it, so the default install needs neither."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import SecretStr

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.config import Settings

OLLAMA_URL = "http://127.0.0.1:11434"  # Ollama's own default address
EXTRA = "pip install 'medcode[llm]'"


class LlmError(RuntimeError):
    """The configured backend cannot be built (its integration is missing or misconfigured)."""


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings configure; None answers from the records alone."""
    if settings.llm == "none":
        return None
    if not settings.llm_model:
        raise LlmError(f"MEDCODE_LLM={settings.llm} needs MEDCODE_LLM_MODEL (the model's name)")
    timeout = (settings.llm_connect_timeout, settings.llm_timeout)
    if settings.llm == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise LlmError(f"MEDCODE_LLM=ollama needs langchain-ollama: {EXTRA}") from None
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or OLLAMA_URL,
            temperature=0,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise LlmError(f"MEDCODE_LLM=openai needs langchain-openai: {EXTRA}") from None
    key = (
        settings.llm_api_key.get_secret_value()
        if settings.llm_api_key
        else os.environ.get("OPENAI_API_KEY")
    )
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=SecretStr(key or "not-needed"),  # local OpenAI-compatible servers take any key
        temperature=0,
        timeout=timeout,
        max_retries=0,  # a backend that is down falls back at once, not after retries
    )


def is_remote(settings: Settings) -> bool:
    """Whether questions leave this machine: a backend on a host that is not loopback."""
    if settings.llm == "none":
        return False
    url = settings.llm_base_url or (
        OLLAMA_URL if settings.llm == "ollama" else "https://api.openai.com"
    )
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
